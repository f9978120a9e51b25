import { bounded } from './bounded-wait.js';
import type { LineSink } from './chain.js';
import type { WritableLike } from './options.js';

/** Any stream-like object (a pino transport, a test sink…). */
export class StreamSink implements LineSink {
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
