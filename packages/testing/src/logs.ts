import { Writable } from 'node:stream';

/**
 * A writable stream that collects newline-delimited JSON records (pino's output) in memory, for
 * passing as a pino destination in tests.
 */
export class LogSink extends Writable {
  /** Every complete line written, as text. */
  readonly lines: string[] = [];
  #partial = '';

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = this.#partial + chunk.toString();
    const parts = text.split('\n');
    this.#partial = parts.pop() ?? '';
    for (const p of parts) if (p.length > 0) this.lines.push(p);
    callback();
  }

  /** Every record, parsed. */
  get records(): Record<string, any>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, any>);
  }

  /** Forgets what was collected. */
  clear(): void {
    this.lines.length = 0;
    this.#partial = '';
  }
}

/** Parses a file of newline-delimited JSON records. */
export async function readJsonLines(path: string): Promise<Record<string, any>[]> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, any>);
}
