import { rampartObserver } from '@rampart/core';
import { pino } from 'pino';
import { ChainStage, CheckpointWriter, type LineSink, newChainId } from './chain.js';
import { CheckpointTimer, type RepeatScheduler } from './checkpoint-timer.js';
import { flushOnExit, forgetOnExit } from './exit-hook.js';
import { GroupCommitSink } from './group-commit.js';
import { jsonString } from './json-text.js';
import { loadHmacKey, loadPrivateKey } from './keys.js';
import { observeSink } from './observe-sink.js';
import { type AuditOptions, checkpointSchedule } from './options.js';
import type { OperationFacts } from './record.js';
import type { SanitizeLimits } from './sanitize.js';
import { serializeRecordBody } from './serialize.js';
import { createSink } from './sinks.js';

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
  #sequence = 0;
  #dropped = 0;
  #healthy = true;
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
    let warned = false;
    const userOnError = options.onWriteError;
    this.#onError = (e: Error) => {
      this.#healthy = false;
      rampartObserver()?.auditError?.();
      if (userOnError) {
        try {
          userOnError(e);
        } catch {}
      } else if (!warned) {
        warned = true;
        process.emitWarning(`Rampart audit: cannot write the audit trail: ${e.message}`, 'RampartAuditWarning');
      }
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
    const chain = options.chain;
    const key = chain ? loadHmacKey(chain.key) : undefined;
    const cp = chain?.checkpoints;
    const clock = options.clock;
    this.#stage = new ChainStage(this.#sink, {
      key,
      chainId: newChainId(),
      checkpoints: cp
        ? { writer: new CheckpointWriter(cp.path, loadPrivateKey(cp.privateKey)), every: checkpointSchedule(cp).every }
        : undefined,
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
  }
}
