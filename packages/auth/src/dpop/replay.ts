/**
 * The replay check of DPoP proofs: a proof's `jti` is accepted once while the proof could be
 * accepted at all. Kept in a store with the rate-limit store's contract (one counter op, limit 1), so
 * the rate-limit package's Redis store holds it across replicas; {@link MemoryReplayStore} otherwise.
 */

/** The one operation the replay check sends: a counter that allows one use while the key lives. */
export interface ReplayCounterOp {
  readonly type: 'counter';
  readonly key: string;
  readonly limit: number;
  readonly cost: number;
  readonly ttlMs: number;
}

/**
 * What the replay check needs of a store: `@rampart/rate-limit`'s `memoryStore()` and `redisStore()`
 * fit. `allowed` is false when the counter was already used.
 */
export interface ReplayStore {
  apply(ops: readonly ReplayCounterOp[], now: number): Promise<{ readonly allowed: boolean }>;
}

/** Proofs remembered by default before the oldest are forgotten. */
export const DEFAULT_REPLAY_CAPACITY = 100_000;

/**
 * An in-process replay cache: each key is refused again until it expires. At `capacity`, expired
 * keys are dropped first, then the oldest (a proof older than the acceptance window is refused by its
 * `iat` anyway).
 */
export class MemoryReplayStore implements ReplayStore {
  readonly #expiries = new Map<string, number>();
  readonly #capacity: number;

  constructor(capacity = DEFAULT_REPLAY_CAPACITY) {
    this.#capacity = capacity;
  }

  /** How many keys are held. */
  get size(): number {
    return this.#expiries.size;
  }

  apply(ops: readonly ReplayCounterOp[], now: number): Promise<{ readonly allowed: boolean }> {
    const taken = ops.some((op) => (this.#expiries.get(op.key) ?? Number.NEGATIVE_INFINITY) > now);
    if (!taken) {
      for (const op of ops) {
        this.#makeRoom(now);
        this.#expiries.delete(op.key); // re-inserted last: the map stays in expiry order
        this.#expiries.set(op.key, now + op.ttlMs);
      }
    }
    return Promise.resolve({ allowed: !taken });
  }

  #makeRoom(now: number): void {
    if (this.#expiries.size < this.#capacity) return;
    for (const [key, expiry] of this.#expiries) {
      if (expiry <= now) {
        this.#expiries.delete(key);
        continue;
      }
      // the oldest live key makes room when no expired one did
      if (this.#expiries.size >= this.#capacity) this.#expiries.delete(key);
      return;
    }
  }
}
