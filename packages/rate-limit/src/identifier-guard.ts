/**
 * The per-identifier part of a brute-force guard: attempts at one identifier (an e-mail address), from
 * every address together, are paced — "slow down, don't disconnect". Past a burst, the wait between
 * attempts doubles as attempts pile up, up to a maximum; an attempt that comes earlier is refused with
 * `Retry-After` and never reaches the resolver. The owner is never locked out: they wait at most the
 * maximum delay, and a success resets the pacing.
 *
 * The pacing is a ladder of leaky buckets in ONE atomic store call (every store supports buckets):
 * step k holds `burst × (k + 1)` attempts and restores one every `delay × 2^k` seconds (the last step:
 * every `maxDelay`). Each attempt takes one unit from every step; the first empty step sets the wait.
 */
import type { BucketOp, DeleteOp } from './store.js';

/** The pacing options of one guarded field (resolved brute-force options). */
export interface PacingOptions {
  readonly identifierBurst: number;
  readonly identifierDelaySeconds: number;
  readonly identifierMaxDelaySeconds: number;
}

/** One step of the ladder: capacity and seconds per restored attempt. */
export interface PacingStep {
  readonly capacity: number;
  readonly seconds: number;
}

/** The ladder of an options set: delays `delay, 2·delay, 4·delay, …` below `maxDelay`, then `maxDelay`. */
export function pacingSteps(options: PacingOptions): PacingStep[] {
  const steps: PacingStep[] = [];
  let seconds = options.identifierDelaySeconds;
  while (seconds < options.identifierMaxDelaySeconds && steps.length < 30) {
    steps.push({ capacity: options.identifierBurst * (steps.length + 1), seconds });
    seconds *= 2;
  }
  steps.push({ capacity: options.identifierBurst * (steps.length + 1), seconds: options.identifierMaxDelaySeconds });
  return steps;
}

/** The bucket ops that take one attempt from every step (keys `<base>:<k>`, one hash tag). */
export function paceOps(base: string, steps: readonly PacingStep[]): BucketOp[] {
  return steps.map((s, k) => ({
    type: 'bucket',
    key: `${base}:${k}`,
    capacity: s.capacity,
    restorePerSecond: 1 / s.seconds,
    cost: 1,
  }));
}

/** Resets the pacing (a success): every step full again. */
export function resetOps(paced: readonly BucketOp[]): DeleteOp[] {
  return paced.map((op) => ({ type: 'delete', key: op.key }));
}
