import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LineSink } from './chain.js';

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
