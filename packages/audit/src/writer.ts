import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino } from 'pino';
import { ChainStage, CheckpointWriter, type LineSink, newChainId } from './chain.js';
import { loadHmacKey, loadPrivateKey } from './keys.js';
import type { AuditOptions, WritableLike } from './options.js';
import type { OperationFacts } from './record.js';
import type { SanitizeLimits } from './sanitize.js';
import { q, serializeRecordBody } from './serialize.js';

/** Synchronous writes to a file descriptor: the line is on the OS's side when `write` returns true. */
class FdSink implements LineSink {
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
async function bounded(p: Promise<void>, ms = 5000): Promise<void> {
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

const live = new Set<AuditWriter>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const w of live) w.flushSync();
  });
}

/**
 * The audit logger: a pino instance (separate from the application's) whose destination is the
 * chain stage, which MACs each line and hands it to the configured sink.
 */
export class AuditWriter {
  readonly #stage: ChainStage;
  readonly #sink: LineSink;
  readonly #logger: pino.Logger;
  readonly #timestamp: () => string;
  readonly #onError: (e: Error) => void;
  #sequence = 0;
  #dropped = 0;
  #healthy = true;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: Readonly<AuditOptions>) {
    let warned = false;
    const userOnError = options.onWriteError;
    this.#onError = (e: Error) => {
      this.#healthy = false;
      if (userOnError) {
        try {
          userOnError(e);
        } catch {}
      } else if (!warned) {
        warned = true;
        process.emitWarning(`Rampart audit: cannot write the audit trail: ${e.message}`, 'RampartAuditWarning');
      }
    };
    this.#sink = createSink(options, this.#onError);
    const chain = options.chain;
    const key = chain ? loadHmacKey(chain.key) : undefined;
    const cp = chain?.checkpoints;
    const clock = options.clock;
    this.#stage = new ChainStage(this.#sink, {
      key,
      chainId: newChainId(),
      checkpoints: cp
        ? { writer: new CheckpointWriter(cp.path, loadPrivateKey(cp.privateKey)), every: cp.every ?? 1000 }
        : undefined,
      now: () => clock.now(),
      onError: this.#onError,
    });
    // One ISO formatting per millisecond, however many records share it.
    let lastMs = Number.NaN;
    let lastStamp = '';
    const timestamp = () => {
      const ms = clock.now();
      if (ms !== lastMs) {
        lastMs = ms;
        lastStamp = `,"@timestamp":"${new Date(ms).toISOString()}"`;
      }
      return lastStamp;
    };
    this.#timestamp = timestamp;
    this.#logger = pino(
      {
        level: 'info',
        base: null,
        messageKey: 'message',
        timestamp,
        formatters: { level: (label: string) => ({ 'log.level': label }) },
      },
      this.#stage as unknown as pino.DestinationStream,
    );
    if (cp) {
      // The chain's first checkpoint registers it, so deleting every line of it is detected.
      this.#stage.checkpoint();
      if (cp.intervalMs && cp.intervalMs > 0) {
        this.#timer = setInterval(() => {
          if (this.#stage.dirty) void this.#stage.checkpointAsync();
        }, cp.intervalMs);
        this.#timer.unref();
      }
    }
    live.add(this);
    installExitHook();
  }

  /** This writer's chain id. */
  get chainId(): string {
    return this.#stage.chainId;
  }

  /** Sequence number and MAC of the last line written. */
  get head(): { seq: number; mac: string } {
    return { seq: this.#stage.seq, mac: this.#stage.head };
  }

  /** False once a write failed, until a later write succeeds. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Records that could not be written. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The next `event.sequence` (counts every record attempted, so a drop shows as a gap). */
  nextSequence(): number {
    return ++this.#sequence;
  }

  /**
   * Writes one record object through the pino logger (any JSON-like object; used for records that
   * are not operation facts). Returns whether the destination accepted it. Never throws.
   */
  write(record: object, message: string): boolean {
    if (this.#closed) {
      this.#dropped++;
      return false;
    }
    try {
      this.#logger.info(record, message);
    } catch (error) {
      this.#onError(error as Error);
      this.#dropped++;
      return false;
    }
    return this.#settle();
  }

  /**
   * Writes the record of `facts` (the hot path of the plugin): the same line pino writes for
   * `write(buildRecord(facts, limits), message)`, byte for byte (`{"log.level":"info","@timestamp":…,
   * <record keys>,"message":…`), serialised by {@link serializeRecordBody} without building the object.
   * Returns whether the destination accepted it. Never throws.
   */
  writeRecord(facts: OperationFacts, limits: SanitizeLimits, message: string): boolean {
    if (this.#closed) {
      this.#dropped++;
      return false;
    }
    try {
      this.#stage.writeOpen(
        `{"log.level":"info"${this.#timestamp()},${serializeRecordBody(facts, limits)},"message":${q(message)}`,
      );
    } catch (error) {
      this.#onError(error as Error);
      this.#dropped++;
      return false;
    }
    return this.#settle();
  }

  #settle(): boolean {
    const ok = this.#stage.lastWriteOk;
    if (ok) this.#healthy = true;
    else this.#dropped++;
    return ok;
  }

  /** Writes a signed checkpoint of the current head once buffered lines are out. */
  checkpoint(): Promise<boolean> {
    return this.#stage.checkpointAsync();
  }

  /** Flushes buffered lines and writes a checkpoint (used by `serverWillStop`). */
  async flush(): Promise<void> {
    await this.#stage.checkpointAsync();
  }

  /** Synchronous flush + checkpoint (used on process exit). */
  flushSync(): void {
    this.#sink.flushSync();
    this.#stage.checkpoint();
  }

  /** Flushes, checkpoints and releases the destination. Later writes are dropped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    live.delete(this);
    await this.#sink.close();
  }
}

function createSink(options: Readonly<AuditOptions>, onError: (e: Error) => void): LineSink {
  const d = options.destination;
  if (d === 'stdout') return new FdSink({ fd: 1 }, onError);
  if (typeof d === 'string') return new FdSink({ path: d }, onError);
  if ('stream' in d) return new StreamSink(d.stream, onError);
  if ('transport' in d) {
    const t = pino.transport(d.transport as unknown as Parameters<typeof pino.transport>[0]) as unknown as WritableLike;
    return new StreamSink(t, onError, true);
  }
  if (d.sync === false) return new BufferedFileSink(d.path, d.minLength ?? 4096, onError);
  return new FdSink({ path: d.path }, onError);
}
