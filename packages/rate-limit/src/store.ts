/**
 * The contract between the rate-limit policies and a counter store. Every policy (per-field limits,
 * operation limits, cost budgets, quotas, brute-force guards) is expressed as a short list of
 * {@link StoreOp}s that a store applies atomically in one call (one Redis round trip).
 */

/**
 * A counter that allows at most `limit` units while the key lives. A new (or expired) key lives
 * `ttlMs`. Fixed windows put the window start in the key and pass the time left in the window.
 */
export interface CounterOp {
  readonly type: 'counter';
  readonly key: string;
  /** Units allowed while the key lives. */
  readonly limit: number;
  /** Units this call charges (0: read only). */
  readonly cost: number;
  /** Lifetime of a key this call creates, in ms. */
  readonly ttlMs: number;
  /**
   * When > 0 and this counter refuses, the key is marked over the limit and kept for `blockMs`
   * (brute-force block). A key already over its limit is not extended.
   */
  readonly blockMs?: number;
}

/** A leaky bucket (Shopify-style cost budget): `capacity` units, restored at `restorePerSecond`. */
export interface BucketOp {
  readonly type: 'bucket';
  readonly key: string;
  readonly capacity: number;
  readonly restorePerSecond: number;
  /** Units this call takes from the bucket. */
  readonly cost: number;
}

/** Gives `amount` units back to a bucket (negative: takes more), never above its capacity. Always applied. */
export interface AdjustBucketOp {
  readonly type: 'adjust-bucket';
  readonly key: string;
  readonly capacity: number;
  readonly restorePerSecond: number;
  readonly amount: number;
}

/** Adds `delta` to a counter that exists (negative: refund); keeps its lifetime. Always applied. */
export interface AdjustCounterOp {
  readonly type: 'adjust-counter';
  readonly key: string;
  readonly delta: number;
}

/** Deletes a key. Always applied. */
export interface DeleteOp {
  readonly type: 'delete';
  readonly key: string;
}

/** One step of an atomic store call. */
export type StoreOp = CounterOp | BucketOp | AdjustBucketOp | AdjustCounterOp | DeleteOp;

/** The outcome of one {@link StoreOp}. */
export interface OpResult {
  /** False when this op's own limit refused the call. */
  readonly allowed: boolean;
  /**
   * Counter: units counted after the call (before it, when refused). Bucket: units available after
   * the call (before it, when refused).
   */
  readonly value: number;
  /**
   * Counter: ms until the key expires (the window resets or the block ends).
   * Bucket: when allowed, ms until full; when refused, ms until `cost` units are available
   * (`-1`: never, the cost exceeds the capacity).
   */
  readonly resetMs: number;
}

/** The outcome of one atomic store call. */
export interface ApplyResult {
  /** True when every counter and bucket allowed the call; then (and only then) all were charged. */
  readonly allowed: boolean;
  /** One result per op, in order. */
  readonly results: readonly OpResult[];
  /** With `upTo`: how many units were charged (0 when refused). */
  readonly units?: number;
}

/**
 * A counter store. `apply` checks every `counter` and `bucket` op first and charges them only when all
 * allow the call (all-or-nothing: a refused request uses up nothing, except a brute-force block mark);
 * `adjust-*` and `delete` ops always apply. Keys of one call share one Redis Cluster hash slot.
 */
export interface Store {
  /** A short name for decisions and logs (`'memory'`, `'redis'`). */
  readonly name: string;
  /**
   * Applies `ops` atomically at time `now` (ms since epoch, from the request's clock).
   * With `upTo` > 0 (counters only): charges `k` times each counter's cost for the largest `k ≤ upTo`
   * that fits every counter (partial admission of a batch of calls; `units` = k), refused when k = 0.
   */
  apply(ops: readonly StoreOp[], now: number, upTo?: number): Promise<ApplyResult>;
  /** A synchronous variant, when the store has one (memory): lets `@rateLimit` fields stay synchronous. */
  applySync?(ops: readonly StoreOp[], now: number, upTo?: number): ApplyResult;
  /** Resolves once the store can answer (a Redis connection is ready); the plugin awaits it at startup. */
  ready?(): Promise<void>;
  /** Releases timers and connections the store owns. */
  close?(): Promise<void>;
}
