import type { KeyObject } from 'node:crypto';
import { type HealthError, healthError, rampartObserver } from '@rampart/core';
import { pino } from 'pino';
import { ChainStage, type LineSink, newChainId } from './chain.js';
import { CheckpointTimer, type RepeatScheduler } from './checkpoint-timer.js';
import { type CheckpointSigner, CheckpointWriter, createAnchor } from './checkpoint-writer.js';
import { flushOnExit, forgetOnExit } from './exit-hook.js';
import { GroupCommitSink } from './group-commit.js';
import { jsonString } from './json-text.js';
import { checkKeyId, hmacKeyId, loadHmacKey, loadPrivateKey, signingKeyId } from './keys.js';
import { observeSink } from './observe-sink.js';
import { type AuditOptions, checkpointSchedule } from './options.js';
import type { OperationFacts } from './record.js';
import type { SanitizeLimits } from './sanitize.js';
import { serializeRecordBody } from './serialize.js';
import { createSink } from './sinks.js';

/** A new HMAC key (and, optionally, a new checkpoint signing key) for {@link AuditWriter.rotateKey}. */
export interface AuditKeyRotation {
  /** The new HMAC-SHA-256 key: at least 32 bytes, as bytes, hex text or `@/path/to/keyfile`. */
  hmacKey: string | Uint8Array;
  /**
   * Its id (`key_id` of the new chain's lines). 1 to 64 of `A-Z a-z 0-9 . _ -`.
   * @default the first 8 bytes of SHA-256 of the key bytes, as 16 hex digits
   */
  keyId?: string;
  /**
   * A new Ed25519 private key for the checkpoints (PEM text, `@/path/to/key.pem` or a `KeyObject`).
   * Needs `chain.checkpoints`.
   * @default undefined (the checkpoints keep their key)
   */
  privateKey?: string | KeyObject;
  /**
   * Id of the new signing key.
   * @default the first 8 bytes of SHA-256 of its public key's SPKI DER, as 16 hex digits
   */
  checkpointKeyId?: string;
}

/** What {@link AuditWriter.rotateKey} did. */
export interface AuditKeyRotationResult {
  /** The chain that ended: its id, last seq (the new chain links to that line's MAC) and key id. */
  readonly previous: { readonly chain: string; readonly seq: number; readonly keyId: string };
  /** The new chain's id. */
  readonly chain: string;
  /** The new HMAC key's id. */
  readonly keyId: string;
  /** Whether the rotation record (`audit.key.rotated`, the new chain's seq 1) was written. */
  readonly recorded: boolean;
  /** Whether the ended chain is covered by a checkpoint (always true without checkpoints). */
  readonly sealed: boolean;
}

/** Calls `onWriteError`, or, without it, emits one process warning (the first error). */
function reporter(userOnError: ((e: Error) => void) | undefined, prefix: string): (e: Error) => void {
  let warned = false;
  return (e) => {
    if (userOnError) {
      try {
        userOnError(e);
      } catch {}
    } else if (!warned) {
      warned = true;
      process.emitWarning(`Rampart audit: ${prefix}${e.message}`, 'RampartAuditWarning');
    }
  };
}

/** The HMAC key, its id and the checkpoint writer and signer of `options.chain`. */
function chainParts(options: Readonly<AuditOptions>, onAnchorError: (e: Error) => void) {
  const chain = options.chain;
  const key = chain ? loadHmacKey(chain.key) : undefined;
  const keyId = chain?.keyId ?? (key ? hmacKeyId(key) : '');
  const cp = chain?.checkpoints;
  if (!cp) return { key, keyId, checkpoints: undefined };
  const privateKey = loadPrivateKey(cp.privateKey);
  const signer: CheckpointSigner = { key: privateKey, keyId: cp.keyId ?? signingKeyId(privateKey) };
  const anchor = cp.anchor === undefined ? undefined : createAnchor(cp.anchor, onAnchorError);
  return {
    key,
    keyId,
    checkpoints: { writer: new CheckpointWriter(cp.path, anchor), every: checkpointSchedule(cp).every, signer },
  };
}

/**
 * The audit logger: a pino instance (separate from the application's) whose destination is the
 * chain stage, which MACs each line and hands it to the configured sink.
 */
export class AuditWriter {
  readonly #stage: ChainStage;
  readonly #sink: LineSink;
  readonly #grouped: boolean;
  readonly #logger: pino.Logger;
  readonly #timestamp: () => string;
  readonly #onError: (e: Error) => void;
  readonly #checkpointWriter: CheckpointWriter | undefined;
  #anchorFailures = 0;
  #sequence = 0;
  #dropped = 0;
  #healthy = true;
  #lastError: HealthError | null = null;
  readonly #timer: CheckpointTimer | undefined;
  #closed = false;
  /** Removes the queue-depth gauge (telemetry) on close. */
  readonly #unobserve: () => void;

  /**
   * @param options - the resolved audit options.
   * @param schedule - how the time-based checkpoints (`chain.checkpoints.everyMs`) are scheduled
   *   (default: an unref'd `setInterval`; tests pass their own and tick by hand).
   */
  constructor(options: Readonly<AuditOptions>, schedule?: RepeatScheduler) {
    const report = reporter(options.onWriteError, 'cannot write the audit trail: ');
    this.#onError = (e: Error) => {
      this.#healthy = false;
      this.#lastError = healthError(options.clock.now(), e);
      rampartObserver()?.auditError?.();
      report(e);
    };
    // An anchor failure never makes the trail unhealthy (failClosed does not refuse requests for it).
    const reportAnchor = reporter(options.onWriteError, '');
    const onAnchorError = (e: Error) => {
      this.#anchorFailures++;
      reportAnchor(e);
    };
    this.#sink = createSink(options, {
      onError: this.#onError,
      mark: () => ({ seq: this.#stage.seq, head: this.#stage.head }),
      onLost: (lost, after) => {
        this.#dropped += lost;
        this.#stage.rewind(after.seq, after.head);
      },
      onWritten: () => {
        this.#healthy = true;
      },
    });
    this.#unobserve = observeSink(this.#sink);
    this.#grouped = this.#sink instanceof GroupCommitSink;
    const cp = options.chain?.checkpoints;
    const clock = options.clock;
    const parts = chainParts(options, onAnchorError);
    this.#checkpointWriter = parts.checkpoints?.writer;
    this.#stage = new ChainStage(this.#sink, {
      ...parts,
      chainId: newChainId(),
      now: () => clock.now(),
      onError: this.#onError,
    });
    // One ISO formatting per millisecond, however many records share it.
    let lastMs = Number.NaN;
    let lastIso = '';
    let lastStamp = '';
    const iso = () => {
      const ms = clock.now();
      if (ms !== lastMs) {
        lastMs = ms;
        lastIso = new Date(ms).toISOString();
        lastStamp = `"@timestamp":"${lastIso}"`;
      }
      return lastIso;
    };
    this.#timestamp = () => {
      iso();
      return lastStamp;
    };
    // Lines start with `@timestamp` (no `log.level`: every audit line would say `info`).
    this.#logger = pino(
      {
        level: 'info',
        base: null,
        messageKey: 'message',
        timestamp: false,
        formatters: { level: () => ({ '@timestamp': iso() }) },
      },
      this.#stage as unknown as pino.DestinationStream,
    );
    if (cp) {
      // The chain's first checkpoint registers it, so deleting every line of it is detected.
      this.#stage.checkpoint();
      const { everyMs } = checkpointSchedule(cp);
      if (everyMs > 0) {
        this.#timer = new CheckpointTimer(this.#stage, everyMs, schedule);
        this.#timer.start();
      }
    }
    flushOnExit(this);
  }

  /** This writer's chain id. */
  get chainId(): string {
    return this.#stage.chainId;
  }

  /** Sequence number and MAC of the last line written. */
  get head(): { seq: number; mac: string } {
    return { seq: this.#stage.seq, mac: this.#stage.head };
  }

  /** Id of the HMAC key lines are MACed with now (`key_id`). */
  get keyId(): string {
    return this.#stage.keyId;
  }

  /** Checkpoints the anchor (`chain.checkpoints.anchor`) failed to take. */
  get anchorFailures(): number {
    return this.#anchorFailures;
  }

  /**
   * Rotates the HMAC key (and, optionally, the checkpoint signing key): writes out the lines waiting
   * for the turn's group write, ends the current chain (its final checkpoint is signed with the old
   * key) and starts a new chain whose first line, the rotation record `audit.key.rotated`, links to
   * the ended chain's last MAC and names it. The verifier follows the link, so records removed across
   * the rotation are detected. Throws (and changes nothing) on a bad key, without `chain`, or after close.
   */
  async rotateKey(rotation: AuditKeyRotation): Promise<AuditKeyRotationResult> {
    if (this.#closed) throw new Error('audit: cannot rotate the key of a closed audit writer');
    if (!this.#checkpointWriter && rotation.privateKey !== undefined)
      throw new Error('audit: a new checkpoint key needs chain.checkpoints');
    if (!this.#stage.keyId) throw new Error('audit: key rotation needs the chain option (an HMAC key)');
    const key = loadHmacKey(rotation.hmacKey);
    const keyId = rotation.keyId === undefined ? hmacKeyId(key) : checkKeyId(rotation.keyId, 'keyId');
    let signer: CheckpointSigner | undefined;
    if (rotation.privateKey !== undefined) {
      const privateKey = loadPrivateKey(rotation.privateKey);
      const id = rotation.checkpointKeyId;
      signer = {
        key: privateKey,
        keyId: id === undefined ? signingKeyId(privateKey) : checkKeyId(id, 'checkpointKeyId'),
      };
    }
    // A failed group write rewinds the chain to its last line on disk: none may straddle the switch.
    if (this.#grouped) this.writePendingNow();
    const ended = this.#stage.rotate({ key, keyId, chainId: newChainId(), signer });
    // The new chain's first checkpoint registers it (deleting all of its lines is detected).
    this.#stage.checkpoint();
    const previous = { chain: ended.chain, seq: ended.seq, keyId: ended.keyId };
    const recorded = this.write(
      {
        event: { kind: 'event', category: ['configuration'], type: ['change'], action: 'audit.key.rotated' },
        rampart: {
          key_rotation: {
            previous_chain: ended.chain,
            previous_seq: ended.seq,
            previous_key_id: ended.keyId,
            key_id: keyId,
          },
        },
      },
      'audit.key.rotated',
    );
    const sealed = await this.#stage.sealChain(ended);
    return { previous, chain: this.#stage.chainId, keyId, recorded, sealed };
  }

  /** False once a write failed, until a later write succeeds. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Records that could not be written. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The last failed write (its time and error code), `null` if none. */
  get lastError(): HealthError | null {
    return this.#lastError;
  }

  /** Records accepted and not yet written (group commit; 0 otherwise). */
  get queued(): number {
    const pending = (this.#sink as { readonly pending?: unknown }).pending;
    return typeof pending === 'number' ? pending : 0;
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
      // `message` only when it says more than `event.action` (as in writeRecord).
      const action = (record as { event?: { action?: unknown } }).event?.action;
      if (message === action) this.#logger.info(record);
      else this.#logger.info(record, message);
    } catch (error) {
      this.#onError(error as Error);
      this.#dropped++;
      return false;
    }
    return this.#settle();
  }

  /**
   * Writes the record of `facts` (the hot path of the plugin): the same line pino writes for
   * `write(buildRecord(facts, limits), message)`, byte for byte (`{"@timestamp":…,<record keys>}`, and
   * `"message"` last when it differs from `event.action`), serialised by {@link serializeRecordBody} without building the object.
   * Returns whether the destination accepted it. Never throws.
   */
  writeRecord(facts: OperationFacts, limits: SanitizeLimits, message: string): boolean {
    if (this.#closed) {
      this.#dropped++;
      return false;
    }
    try {
      // `message` only when it says more than `event.action`; no `log.level` (always `info`).
      const body = serializeRecordBody(facts, limits);
      this.#stage.writeOpen(
        message === facts.action
          ? `{${this.#timestamp()},${body}`
          : `{${this.#timestamp()},${body},"message":${jsonString(message)}`,
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
    // Under group commit, accepted is not written yet: health follows the group writes.
    if (!ok) this.#dropped++;
    else if (!this.#grouped) this.#healthy = true;
    return ok;
  }

  /** Whether lines wait for the end of the event-loop turn (`durability: 'group'` on a file or stdout). */
  get grouped(): boolean {
    return this.#grouped;
  }

  /**
   * Whether the last record written is on the OS's side: at once for synchronous destinations; for
   * group commit, once the turn's write is done (`false` if that write failed). For `failClosed`.
   */
  whenWritten(): Promise<boolean> {
    return this.#sink instanceof GroupCommitSink ? this.#sink.whenWritten() : Promise.resolve(this.#stage.lastWriteOk);
  }

  /**
   * Writes the pending group now (for callers that must answer synchronously, such as a
   * `failClosed` subscription start) and returns whether every pending line was written.
   */
  writePendingNow(): boolean {
    return this.#sink instanceof GroupCommitSink ? this.#sink.flushSync() : this.#stage.lastWriteOk;
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
    // No timed checkpoint during or after the final one.
    this.#timer?.stop();
    await this.flush();
    this.#closed = true;
    this.#unobserve();
    forgetOnExit(this);
    await this.#sink.close();
    await this.#checkpointWriter?.close();
  }
}
