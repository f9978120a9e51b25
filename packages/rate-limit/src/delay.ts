/**
 * Delay mode (`throttle.mode: 'delay'`, slow-down): a request over a rate or a budget waits, bounded
 * by `maxDelayMs` in total and `maxQueue` waiting requests per client, then tries again.
 */
import type { Principal } from '@rampart/core';
import type { MaybePromise } from './maybe-promise.js';
import type { ResolvedThrottleOptions } from './options.js';
import { WaitQueue } from './wait-queue.js';

/** The delay mode of one limiter step (before parsing, or after validation), with its own queues. */
export class Slowdown {
  readonly #throttle: ResolvedThrottleOptions;
  readonly #queue: WaitQueue;

  constructor(throttle: ResolvedThrottleOptions, sleep: ((ms: number) => Promise<void>) | undefined) {
    this.#throttle = throttle;
    this.#queue = new WaitQueue(sleep);
  }

  /** Delay mode applies to this principal. */
  appliesTo(principal: Principal): boolean {
    const throttle = this.#throttle;
    return throttle.mode === 'delay' && (throttle.appliesTo === undefined || throttle.appliesTo(principal));
  }

  /**
   * The ms to wait before trying again, or `undefined` to refuse now: the wait must be positive, keep
   * the total under `maxDelayMs`, and find room in the client's queue (joined here, in the same tick
   * as the check, so the bound is exact). `queued`: this request already waits in the queue.
   */
  waitBeforeRetry(who: string, waitMs: number, waitedMs: number, queued: boolean): number | undefined {
    const throttle = this.#throttle;
    const inQueue = this.#queue.size(who);
    if (waitMs > 0 && waitedMs + waitMs <= throttle.maxDelayMs && (queued || inQueue < throttle.maxQueue)) {
      if (!queued) this.#queue.join(who);
      return waitMs;
    }
    return undefined;
  }

  /** For a request that joined the queue: waits, then retries until `attempt` gives a result. */
  waitFor<T extends object>(who: string, firstWaitMs: number, attempt: () => MaybePromise<T | number>): Promise<T> {
    return this.#queue.waitFor(who, firstWaitMs, attempt);
  }
}
