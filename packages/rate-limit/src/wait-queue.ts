/**
 * Delay mode's per-client queue: how many of a client's requests are waiting, bounded by
 * `throttle.maxQueue`, and the loop that sleeps and tries again until a try gives a result.
 */

type MaybePromise<T> = T | Promise<T>;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The waiting requests of every client, for one limiter step (before parsing, or after validation). */
export class WaitQueue {
  readonly #waiting = new Map<string, number>();
  readonly #sleep: (ms: number) => Promise<void>;

  /** @param sleep - how to wait (the `sleep` option; tests pass one that moves a test clock). */
  constructor(sleep: ((ms: number) => Promise<void>) | undefined) {
    this.#sleep = sleep ?? defaultSleep;
  }

  /** How many of `who`'s requests are waiting. */
  size(who: string): number {
    return this.#waiting.get(who) ?? 0;
  }

  /** A request of `who` joins the queue (in the same tick as the check that bounds it). */
  join(who: string): void {
    this.#waiting.set(who, this.size(who) + 1);
  }

  /**
   * For a request that joined `who`'s queue: waits `firstWait` ms, then tries `attempt` again (a result,
   * or the ms to wait once more) until it gives a result; leaves the queue however it ends.
   */
  async waitFor<T extends object>(who: string, firstWait: number, attempt: () => MaybePromise<T | number>): Promise<T> {
    try {
      let wait = firstWait;
      for (;;) {
        await this.#sleep(wait);
        const out = await attempt();
        if (typeof out !== 'number') return out;
        wait = out;
      }
    } finally {
      const n = this.size(who) - 1;
      if (n <= 0) this.#waiting.delete(who);
      else this.#waiting.set(who, n);
    }
  }
}
