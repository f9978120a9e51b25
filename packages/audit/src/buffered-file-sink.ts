import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino } from 'pino';
import { bounded } from './bounded-wait.js';
import type { LineSink } from './chain.js';

/** Buffered asynchronous file writes through pino's SonicBoom. */
export class BufferedFileSink implements LineSink {
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
