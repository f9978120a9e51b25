/**
 * Group commit (`durability: 'group'`): the lines of one event-loop turn are written together, in one
 * `write` system call, at the end of that turn (in the `setImmediate` check phase), in order and before
 * any line of the next turn.
 *
 * Why `setImmediate` and not a microtask (`queueMicrotask`/`process.nextTick`): Node drains the
 * microtask queue after every single I/O callback, so a microtask flush would write each request's
 * record on its own (one syscall per request again). The check phase runs once per loop iteration,
 * after the poll phase has run the callbacks of every socket that was ready, so every request that
 * finished in that iteration shares the write. The wait is bounded: the check phase comes right after
 * the current poll phase, before the loop blocks for new I/O.
 *
 * What a SIGKILL can lose: the lines accepted in the current turn (not yet written). Everything of
 * earlier turns is in the kernel (the same guarantee as the synchronous mode for those). `flushSync`
 * (process exit), `flush` (checkpoints, `serverWillStop`, SIGTERM through Apollo's stop) write the
 * pending lines at once.
 */
import { closeSync, writeSync } from 'node:fs';
import type { LineSink } from './chain.js';

/** Where the chain stood before a line (what to rewind to when a group write loses that line). */
export interface ChainMark {
  readonly seq: number;
  readonly head: string;
}

/** What the group-commit sink needs from the writer around it. */
export interface GroupCommitHooks {
  /** A write failed. */
  readonly onError: (error: Error) => void;
  /** The chain position before the line being accepted (asked once per batch, for its first line). */
  readonly mark: () => ChainMark;
  /**
   * A group write failed: `lost` lines of it were not written; the chain must continue from `after`
   * (the last line that is on disk), so the next line does not point at a line that is not there.
   */
  readonly onLost: (lost: number, after: ChainMark) => void;
  /** A group write succeeded. */
  readonly onWritten?: () => void;
}

/** Longest batch kept in memory: a turn that produces more is written in several writes. */
const MAX_BATCH_BYTES = 1 << 20;
const MAC_AT_END = /"mac":"([\da-f]{64})"\}\n$/;

/** A synchronous file descriptor sink that writes each event-loop turn's lines in one `write`. */
export class GroupCommitSink implements LineSink {
  /** Lines wait for the end of the turn; checkpoints call `flush()` first. */
  readonly buffered = true;
  readonly #open: () => number;
  readonly #ownsFd: boolean;
  readonly #hooks: GroupCommitHooks;
  #fd: number | undefined;
  #batch: Buffer = Buffer.allocUnsafe(64 * 1024);
  #used = 0;
  #lines = 0;
  #base: ChainMark | undefined;
  #scheduled = false;
  #waiters: ((ok: boolean) => void)[] | undefined;
  #lastOk = true;
  /** A failed write left part of a line on disk: the next write starts on a new line. */
  #partial = false;
  readonly #flushNow = () => {
    this.#scheduled = false;
    this.flushSync();
  };

  constructor(target: { fd: number } | { open: () => number }, hooks: GroupCommitHooks) {
    this.#hooks = hooks;
    if ('fd' in target) {
      this.#fd = target.fd;
      this.#open = () => target.fd;
      this.#ownsFd = false;
    } else {
      this.#open = target.open;
      this.#ownsFd = true;
    }
  }

  /** Lines accepted and not written yet. */
  get pending(): number {
    return this.#lines;
  }

  write(line: string): boolean {
    const room = line.length * 3;
    this.#accept(room);
    this.#used += this.#batch.write(line, this.#used, 'utf8');
    this.#after();
    return true;
  }

  writeBytes(bytes: Buffer, offset: number, length: number): boolean {
    this.#accept(length);
    this.#used += bytes.copy(this.#batch, this.#used, offset, offset + length);
    this.#after();
    return true;
  }

  #accept(room: number): void {
    if (this.#lines === 0) {
      this.#base = this.#hooks.mark();
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(this.#flushNow);
      }
    }
    if (this.#used + room + 1 > this.#batch.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#batch.length * 2, this.#used + room + 1));
      this.#batch.copy(grown, 0, 0, this.#used);
      this.#batch = grown;
    }
  }

  #after(): void {
    this.#lines++;
    // A turn that writes more than the cap is written in several writes (still in order).
    if (this.#used >= MAX_BATCH_BYTES) this.flushSync();
  }

  /**
   * A promise of whether the batch holding the last accepted line was written (for `failClosed`):
   * that batch is pending, or it was the last one written.
   */
  whenWritten(): Promise<boolean> {
    if (this.#lines === 0) return Promise.resolve(this.#lastOk);
    return new Promise((resolve) => {
      if (this.#waiters) this.#waiters.push(resolve);
      else this.#waiters = [resolve];
    });
  }

  /** Writes the pending lines now, in one write; returns whether they were all written. */
  flushSync(): boolean {
    if (this.#lines === 0) return this.#lastOk;
    const lines = this.#lines;
    const used = this.#used;
    const base = this.#base as ChainMark;
    const waiters = this.#waiters;
    this.#lines = 0;
    this.#used = 0;
    this.#waiters = undefined;
    let written = 0;
    let ok = true;
    try {
      const fd = this.#fd ?? this.#open();
      this.#fd = fd;
      if (this.#partial) {
        writeSync(fd, '\n');
        this.#partial = false;
      }
      // A short write (pipes, signals): finish from the bytes not yet written.
      while (written < used) written += writeSync(fd, this.#batch, written, used - written);
    } catch (error) {
      ok = false;
      this.#lostAfter(written, lines, base);
      this.#hooks.onError(error as Error);
    }
    this.#lastOk = ok;
    if (ok) this.#hooks.onWritten?.();
    if (waiters) for (const w of waiters) w(ok);
    return ok;
  }

  /** After a failed write of `written` bytes: which lines are on disk, and where the chain goes on. */
  #lostAfter(written: number, lines: number, base: ChainMark): void {
    let durable = 0;
    let lastEnd = -1;
    for (let i = 0; i < written; i++) {
      if (this.#batch[i] === 0x0a) {
        durable++;
        lastEnd = i;
      }
    }
    this.#partial = written > lastEnd + 1;
    let head = base.head;
    if (durable > 0) {
      const start = this.#batch.lastIndexOf(0x0a, lastEnd - 1) + 1;
      const m = MAC_AT_END.exec(this.#batch.toString('latin1', start, lastEnd + 1));
      if (m) head = m[1] as string;
    }
    this.#hooks.onLost(lines - durable, { seq: base.seq + durable, head });
  }

  async flush(): Promise<void> {
    this.flushSync();
  }

  async close(): Promise<void> {
    this.flushSync();
    if (this.#ownsFd && this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch {}
      this.#fd = undefined;
    }
  }
}
