import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino } from 'pino';
import type { LineSink } from './chain.js';
import { type GroupCommitHooks, GroupCommitSink } from './group-commit.js';
import type { AuditOptions, WritableLike } from './options.js';

/** Opens `path` for appending (mode 0600), creating its folder. */
export function openAppend(path: string): number {
  mkdirSync(dirname(path), { recursive: true });
  return openSync(path, 'a', 0o600);
}

/** Synchronous writes to a file descriptor: the line is on the OS's side when `write` returns true. */
export class FdSink implements LineSink {
  readonly buffered = false;
  #fd: number | undefined;
  readonly #path: string | undefined;
  readonly #ownsFd: boolean;
  readonly #onError: (e: Error) => void;

  constructor(target: { fd: number } | { path: string }, onError: (e: Error) => void) {
    this.#onError = onError;
    if ('fd' in target) {
      this.#fd = target.fd;
      this.#ownsFd = false;
    } else {
      this.#path = target.path;
      this.#ownsFd = true;
    }
  }

  #open(): number {
    if (this.#fd === undefined) {
      const path = this.#path as string;
      mkdirSync(dirname(path), { recursive: true });
      this.#fd = openSync(path, 'a', 0o600);
    }
    return this.#fd;
  }

  write(line: string): boolean {
    try {
      const fd = this.#open();
      const n = writeSync(fd, line);
      if (n < line.length || n < Buffer.byteLength(line)) {
        // A short write (pipes, signals): finish the line from the bytes not yet written.
        const buf = Buffer.from(line, 'utf8');
        let off = n;
        while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      }
      return true;
    } catch (error) {
      this.#onError(error as Error);
      return false;
    }
  }

  writeBytes(bytes: Buffer, offset: number, length: number): boolean {
    try {
      const fd = this.#open();
      const end = offset + length;
      let off = offset + writeSync(fd, bytes, offset, length);
      // A short write (pipes, signals): finish the line.
      while (off < end) off += writeSync(fd, bytes, off, end - off);
      return true;
    } catch (error) {
      this.#onError(error as Error);
      return false;
    }
  }

  flushSync(): void {}
  async flush(): Promise<void> {}
  async close(): Promise<void> {
    if (this.#ownsFd && this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch {}
      this.#fd = undefined;
    }
  }
}

/** Buffered asynchronous file writes through pino's SonicBoom. */
class BufferedFileSink implements LineSink {
  readonly buffered = true;
  readonly #boom: ReturnType<typeof pino.destination> | undefined;
  #droppedNow = false;

  constructor(path: string, minLength: number, onError: (e: Error) => void) {
    // The file is opened synchronously, so the sink is ready at once: lines written right before an
    // early process.exit() can still be flushed, and an unwritable path is reported immediately.
    let fd: number;
    try {
      mkdirSync(dirname(path), { recursive: true });
      fd = openSync(path, 'a', 0o600);
    } catch (error) {
      onError(error as Error);
      this.#boom = undefined;
      return;
    }
    this.#boom = pino.destination({
      fd,
      sync: false,
      minLength,
      // Never block the event loop retrying a busy destination.
      retryEAGAIN: () => false,
      // Bound the memory held for a destination that stopped accepting writes.
      maxLength: 16 * 1024 * 1024,
    } as Parameters<typeof pino.destination>[0]);
    // Asynchronous errors lose lines already accepted: the verifier shows the gap they leave.
    this.#boom.on('error', (e: Error) => onError(e));
    // 'drop' is emitted synchronously inside write(): that line is known not to be written.
    this.#boom.on('drop', () => {
      this.#droppedNow = true;
      onError(new Error('audit: destination buffer full (16 MB), line dropped'));
    });
  }

  write(line: string): boolean {
    if (!this.#boom) return false;
    this.#droppedNow = false;
    this.#boom.write(line);
    return !this.#droppedNow;
  }

  flushSync(): void {
    try {
      this.#boom?.flushSync();
    } catch {
      // not ready yet / nothing to flush / destination broken (reported through 'error')
    }
  }

  async flush(): Promise<void> {
    await bounded(
      new Promise<void>((resolve) => {
        try {
          if (!this.#boom) resolve();
          else this.#boom.flush(() => resolve());
        } catch {
          resolve();
        }
      }),
    );
  }

  async close(): Promise<void> {
    const boom = this.#boom;
    if (!boom) return;
    this.flushSync();
    await bounded(
      new Promise<void>((resolve) => {
        boom.once('close', () => resolve());
        boom.once('error', () => resolve());
        boom.end();
      }),
    );
  }
}

/** Any stream-like object (a pino transport, a test sink…). */
class StreamSink implements LineSink {
  readonly buffered = true;
  readonly #stream: WritableLike;
  readonly #owned: boolean;

  constructor(stream: WritableLike, onError: (e: Error) => void, owned = false) {
    this.#stream = stream;
    this.#owned = owned;
    // Asynchronous errors lose lines already accepted: the verifier shows the gap they leave.
    stream.on?.('error', (e: Error) => onError(e));
  }

  write(line: string): boolean {
    this.#stream.write(line);
    return true;
  }

  flushSync(): void {
    try {
      this.#stream.flushSync?.();
    } catch {}
  }

  async flush(): Promise<void> {
    const s = this.#stream;
    if (typeof s.flush === 'function') {
      await bounded(
        new Promise<void>((resolve) => {
          try {
            (s.flush as (cb: () => void) => void)(() => resolve());
          } catch {
            resolve();
          }
        }),
      );
    } else this.flushSync();
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.#owned) {
      const s = this.#stream;
      await bounded(
        new Promise<void>((resolve) => {
          s.on?.('close', () => resolve());
          try {
            s.end?.();
          } catch {
            resolve();
          }
        }),
      );
    }
  }
}

/** Waits for `p`, but at most `ms` (a destination that never answers must not hang shutdown). */
export async function bounded(p: Promise<void>, ms = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p,
    new Promise<void>((resolve) => {
      // Ref'd on purpose: it keeps the loop alive while an unref'd worker (pino transport) drains.
      timer = setTimeout(resolve, ms);
    }),
  ]);
  if (timer) clearTimeout(timer);
}

/** The sink of the configured destination and durability. */
export function createSink(options: Readonly<AuditOptions>, hooks: GroupCommitHooks): LineSink {
  const onError = hooks.onError;
  const d = options.destination;
  const group = options.durability === 'group';
  if (d === 'stdout') return group ? new GroupCommitSink({ fd: 1 }, hooks) : new FdSink({ fd: 1 }, onError);
  if (typeof d === 'string') return group ? groupFile(d, hooks) : new FdSink({ path: d }, onError);
  if ('stream' in d) return new StreamSink(d.stream, onError);
  if ('transport' in d) {
    const t = pino.transport(d.transport as unknown as Parameters<typeof pino.transport>[0]) as unknown as WritableLike;
    return new StreamSink(t, onError, true);
  }
  if (d.sync === false) return new BufferedFileSink(d.path, d.minLength ?? 4096, onError);
  return group ? groupFile(d.path, hooks) : new FdSink({ path: d.path }, onError);
}

function groupFile(path: string, hooks: GroupCommitHooks): GroupCommitSink {
  return new GroupCommitSink({ open: () => openAppend(path) }, hooks);
}
