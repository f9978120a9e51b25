/**
 * Writing signed checkpoints: to their own file (synchronously; they are rare) and, optionally, to an
 * off-host anchor (`chain.checkpoints.anchor`) that never blocks or fails the log.
 */
import { type KeyObject, sign } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pino } from 'pino';
import { bounded } from './bounded-wait.js';
import { checkpointPayload } from './chain.js';
import type { AuditCheckpointAnchor, AuditCheckpointRecord, WritableLike } from './options.js';
import { StreamSink } from './stream-sink.js';

/** The key checkpoints are signed with, and its id (written as `key_id`). */
export interface CheckpointSigner {
  readonly key: KeyObject;
  readonly keyId: string;
}

/** Where anchored checkpoints go. `send` never throws; failures go to the anchor's error callback. */
export interface Anchor {
  send(checkpoint: AuditCheckpointRecord, line: string): void;
  /** Waits (at most 5 s) for the checkpoints sent so far, and releases the destination. */
  close(): Promise<void>;
}

/** An anchor that appends each checkpoint line to a file, asynchronously, in order. */
function fileAnchor(path: string, onError: (e: Error) => void): Anchor {
  let last: Promise<void> = mkdir(dirname(path), { recursive: true }).then(
    () => undefined,
    () => undefined,
  );
  return {
    send(_checkpoint, line) {
      last = last.then(() => appendFile(path, line, { mode: 0o600 })).catch((e: Error) => onError(e));
    },
    close: () => bounded(last),
  };
}

/** An anchor that calls the user's function (a rejected promise or a throw is reported). */
function functionAnchor(
  fn: (checkpoint: AuditCheckpointRecord) => void | Promise<void>,
  onError: (e: Error) => void,
): Anchor {
  const pending = new Set<Promise<void>>();
  return {
    send(checkpoint) {
      try {
        const result = fn({ ...checkpoint });
        if (result && typeof (result as Promise<void>).then === 'function') {
          const p = Promise.resolve(result).then(
            () => undefined,
            (e: unknown) => onError(e instanceof Error ? e : new Error(String(e))),
          );
          pending.add(p);
          void p.finally(() => pending.delete(p));
        }
      } catch (e) {
        onError(e instanceof Error ? e : new Error(String(e)));
      }
    },
    close: () => bounded(Promise.all(pending).then(() => undefined)),
  };
}

/** An anchor that writes each checkpoint line to a stream or a pino transport. */
function streamAnchor(stream: WritableLike, onError: (e: Error) => void, owned: boolean): Anchor {
  const sink = new StreamSink(stream, onError, owned);
  return {
    send(_checkpoint, line) {
      try {
        sink.write(line);
      } catch (e) {
        onError(e as Error);
      }
    },
    close: () => sink.close(),
  };
}

/**
 * The anchor of `option` (a file path, `{ path }`, `{ stream }`, `{ transport }` or a function). Errors,
 * including a transport that cannot start, go to `onError` with the message prefixed.
 */
export function createAnchor(option: AuditCheckpointAnchor, report: (e: Error) => void): Anchor {
  const onError = (e: Error) => report(new Error(`audit checkpoint anchor: ${e.message}`, { cause: e }));
  if (typeof option === 'function') return functionAnchor(option, onError);
  if (typeof option === 'string') return fileAnchor(option, onError);
  if ('path' in option) return fileAnchor(option.path, onError);
  if ('stream' in option) return streamAnchor(option.stream, onError, false);
  try {
    const t = pino.transport(option.transport as unknown as Parameters<typeof pino.transport>[0]);
    return streamAnchor(t as unknown as WritableLike, onError, true);
  } catch (e) {
    onError(e as Error);
    return { send: () => undefined, close: async () => undefined };
  }
}

/** Appends signed checkpoints to their own file and hands each one to the anchor, if any. */
export class CheckpointWriter {
  readonly #path: string;
  readonly #anchor: Anchor | undefined;
  #fd: number | undefined;

  constructor(path: string, anchor?: Anchor) {
    this.#path = path;
    this.#anchor = anchor;
  }

  /**
   * Signs one checkpoint with `signer` and appends it. Throws when the file cannot be written; the
   * anchor gets the checkpoint either way (it is the copy that survives the loss of this host).
   */
  write(signer: CheckpointSigner, chain: string, seq: number, head: string, timestamp: string): void {
    const sig = sign(null, Buffer.from(checkpointPayload(chain, seq, head, timestamp)), signer.key).toString('base64');
    const checkpoint: AuditCheckpointRecord = { '@timestamp': timestamp, chain, seq, head, key_id: signer.keyId, sig };
    const line = `${JSON.stringify(checkpoint)}\n`;
    try {
      if (this.#fd === undefined) {
        mkdirSync(dirname(this.#path), { recursive: true });
        this.#fd = openSync(this.#path, 'a', 0o600);
      }
      writeSync(this.#fd, line);
    } finally {
      this.#anchor?.send(checkpoint, line);
    }
  }

  /** Closes the file and the anchor (waiting, at most 5 s, for anchored checkpoints in flight). */
  async close(): Promise<void> {
    this.closeSync();
    await this.#anchor?.close();
  }

  /** Closes the file. */
  closeSync(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
