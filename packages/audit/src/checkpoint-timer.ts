/**
 * Time-based checkpoints (`chain.checkpoints.everyMs`): a repeating, unref'd timer that seals the
 * chain's tail with a signed checkpoint when records were written since the last checkpoint, so that
 * after a crash at most `everyMs` of records are unsealed. Idle periods write nothing.
 */

/**
 * Starts calling `tick` every `everyMs` milliseconds and returns a function that stops it. The
 * default ({@link unrefInterval}) must never keep the process alive; tests give their own and call the
 * ticks themselves (no sleeping), awaiting what `tick` returns.
 */
export type RepeatScheduler = (tick: () => Promise<CheckpointTickOutcome>, everyMs: number) => () => void;

/** The {@link RepeatScheduler} of production: `setInterval`, unref'd. */
export const unrefInterval: RepeatScheduler = (tick, everyMs) => {
  const interval = setInterval(() => void tick(), everyMs);
  interval.unref();
  return () => clearInterval(interval);
};

/** What the timer checkpoints: the chain stage. */
export interface Checkpointable {
  /** Whether records were written since the last checkpoint. */
  readonly dirty: boolean;
  /** Writes a checkpoint of the current head once buffered lines are out; whether it was written. */
  checkpointAsync(): Promise<boolean>;
}

/** What one tick did. */
export type CheckpointTickOutcome = 'written' | 'idle' | 'busy' | 'failed';

/** Writes a checkpoint every `everyMs` when the chain moved since the last one. */
export class CheckpointTimer {
  readonly #target: Checkpointable;
  readonly #everyMs: number;
  readonly #schedule: RepeatScheduler;
  #stop: (() => void) | undefined;
  #inFlight = false;

  /**
   * @param target - the chain stage.
   * @param everyMs - the period, > 0.
   * @param schedule - how ticks are scheduled (default: an unref'd `setInterval`).
   */
  constructor(target: Checkpointable, everyMs: number, schedule: RepeatScheduler = unrefInterval) {
    this.#target = target;
    this.#everyMs = everyMs;
    this.#schedule = schedule;
  }

  /** Starts the ticks (no-op when started). */
  start(): void {
    this.#stop ??= this.#schedule(() => this.tick(), this.#everyMs);
  }

  /** Stops the ticks (no-op when stopped). */
  stop(): void {
    this.#stop?.();
    this.#stop = undefined;
  }

  /** Whether ticks are scheduled. */
  get running(): boolean {
    return this.#stop !== undefined;
  }

  /**
   * One tick: a checkpoint when records were written since the last one (`'idle'` otherwise); a tick
   * that comes while the previous tick's checkpoint waits for a slow destination does nothing
   * (`'busy'`). Never throws (write errors go to the writer's `onError`).
   */
  async tick(): Promise<CheckpointTickOutcome> {
    if (!this.#target.dirty) return 'idle';
    if (this.#inFlight) return 'busy';
    this.#inFlight = true;
    try {
      return (await this.#target.checkpointAsync()) ? 'written' : 'failed';
    } finally {
      this.#inFlight = false;
    }
  }
}
