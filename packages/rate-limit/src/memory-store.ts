import type {
  AdjustBucketOp,
  AdjustCounterOp,
  ApplyResult,
  BucketOp,
  CounterOp,
  OpResult,
  Store,
  StoreOp,
} from './store.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Maximum number of live keys; past it the least recently used key is evicted, so an attacker
   * rotating addresses cannot grow the process without limit.
   * @default 1_000_000
   */
  maxKeys?: number;
  /**
   * How often expired keys are swept in the background (ms; 0: never — expired keys are then only
   * dropped when touched or evicted). The timer is `unref`'d.
   * @default 10_000
   */
  sweepIntervalMs?: number;
}

const INITIAL_CAPACITY = 1024;
const SWEEP_BATCH = 20_000;

/**
 * The embedded store: one process, bounded memory. Values live in typed arrays indexed through one
 * `Map<string, slot>`; past `maxKeys` a least-recently-used key is evicted (CLOCK approximation of
 * LRU), so a key costs its string plus a few typed-array slots. Expiry uses the `now` each call passes (the request's clock), never the wall clock.
 */
export class MemoryStore implements Store {
  readonly name = 'memory';
  readonly maxKeys: number;
  /** Key → its slot in the typed arrays below. */
  #index = new Map<string, number>();
  /** Per slot: a counter's count, or a bucket's units at `#updatedAt`. */
  #value = new Float64Array(INITIAL_CAPACITY);
  /** Per slot: when a bucket's units were computed (ms). */
  #updatedAt = new Float64Array(INITIAL_CAPACITY);
  /** Per slot: when the key expires (ms, by the `now` of the calls). */
  #expires = new Float64Array(INITIAL_CAPACITY);
  /** Per slot: used since the eviction cursor last passed (CLOCK mark). */
  #used = new Uint8Array(INITIAL_CAPACITY);
  #freeSlots: number[] = [];
  #nextSlot = 0;
  /** The latest `now` seen (sweeps and eviction use it). */
  #lastNow = 0;
  /** Scratch for the check phase: each op's count or available units. */
  #current = new Float64Array(8);
  #timer: NodeJS.Timeout | undefined;
  #sweepCursor: IterableIterator<[string, number]> | undefined;
  #evictionCursor: IterableIterator<[string, number]> | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? 1_000_000;
    if (!Number.isInteger(maxKeys) || maxKeys < 1)
      throw new RangeError('MemoryStore maxKeys must be a positive integer');
    this.maxKeys = maxKeys;
    const interval = options.sweepIntervalMs ?? 10_000;
    if (interval > 0) {
      this.#timer = setInterval(() => this.sweep(), interval);
      this.#timer.unref();
    }
  }

  /** Number of keys held (live or not yet swept). */
  get size(): number {
    return this.#index.size;
  }

  /** Drops up to `max` expired keys, continuing where the last sweep stopped. Returns how many it dropped. */
  sweep(now = this.#lastNow, max = SWEEP_BATCH): number {
    let dropped = 0;
    this.#sweepCursor ??= this.#index.entries();
    for (let i = 0; i < max; i++) {
      const entry = this.#sweepCursor.next();
      if (entry.done) {
        this.#sweepCursor = undefined;
        break;
      }
      const [key, slot] = entry.value;
      if ((this.#expires[slot] as number) <= now) {
        this.#drop(key, slot);
        dropped++;
      }
    }
    return dropped;
  }

  async apply(ops: readonly StoreOp[], now: number, upTo = 0): Promise<ApplyResult> {
    return this.applySync(ops, now, upTo);
  }

  applySync(ops: readonly StoreOp[], now: number, upTo = 0): ApplyResult {
    if (now > this.#lastNow) this.#lastNow = now;
    const n = ops.length;
    const results: OpResult[] = new Array(n);
    // scratch: the figures read in the check phase (applySync never re-enters)
    if (this.#current.length < n) this.#current = new Float64Array(n * 2);
    const current = this.#current;
    let units = this.#check(ops, now, upTo, current);
    const allowed = units > 0;
    if (units < 0) units = 0;
    // Commit phase.
    for (let i = 0; i < n; i++) {
      const op = ops[i] as StoreOp;
      switch (op.type) {
        case 'counter':
          results[i] = this.#commitCounter(op, current[i] as number, allowed, units, now);
          break;
        case 'bucket':
          results[i] = this.#commitBucket(op, current[i] as number, allowed, now);
          break;
        case 'adjust-bucket':
          results[i] = this.#adjustBucket(op, now);
          break;
        case 'adjust-counter':
          results[i] = this.#adjustCounter(op, now);
          break;
        case 'delete': {
          const slot = this.#index.get(op.key);
          if (slot !== undefined) this.#drop(op.key, slot);
          results[i] = { allowed: true, value: 0, resetMs: 0 };
          break;
        }
      }
    }
    return upTo > 0 ? { allowed, results, units: allowed ? units : 0 } : { allowed, results };
  }

  /**
   * Check phase: reads each limited key without charging (into `current`). Returns the units to charge
   * (1 without `upTo`; with `upTo`, the most that fit every counter): below 1 when the call is refused.
   */
  #check(ops: readonly StoreOp[], now: number, upTo: number, current: Float64Array): number {
    let allowed = true;
    let units = upTo > 0 ? upTo : 1;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as StoreOp;
      if (op.type === 'counter') {
        const slot = this.#live(op.key, now);
        const counted = slot === -1 ? 0 : (this.#value[slot] as number);
        current[i] = counted;
        if (upTo > 0) {
          if (op.cost > 0) units = Math.min(units, Math.floor((op.limit - counted) / op.cost));
        } else if (counted + op.cost > op.limit) allowed = false;
      } else if (op.type === 'bucket') {
        const available = this.#available(op.key, op.capacity, op.restorePerSecond, now);
        current[i] = available;
        if (available < op.cost) allowed = false;
      }
    }
    if (upTo > 0 && units < 1) allowed = false;
    // refused: at most 0 (the caller reports 0 units)
    return allowed ? units : Math.min(units, 0);
  }

  #commitCounter(op: CounterOp, counted: number, allowed: boolean, units: number, now: number): OpResult {
    if (allowed) {
      let slot = this.#live(op.key, now);
      if (slot === -1) slot = this.#insert(op.key, 0, 0, now + op.ttlMs);
      const value = (this.#value[slot] as number) + op.cost * units;
      this.#value[slot] = value;
      return { allowed: true, value, resetMs: (this.#expires[slot] as number) - now };
    }
    const own = counted + op.cost <= op.limit;
    const slot = this.#live(op.key, now);
    let resetMs = slot === -1 ? op.ttlMs : (this.#expires[slot] as number) - now;
    let value = counted;
    if (!own && op.blockMs && op.blockMs > 0 && counted <= op.limit) {
      // brute-force block: marked over the limit for blockMs
      value = op.limit + 1;
      resetMs = op.blockMs;
      if (slot === -1) this.#insert(op.key, value, 0, now + op.blockMs);
      else {
        this.#value[slot] = value;
        this.#expires[slot] = now + op.blockMs;
      }
    }
    return { allowed: own, value, resetMs };
  }

  #commitBucket(op: BucketOp, available: number, allowed: boolean, now: number): OpResult {
    const { capacity, restorePerSecond: rate } = op;
    if (allowed) {
      const left = available - op.cost;
      this.#setBucket(op.key, left, capacity, rate, now);
      return { allowed: true, value: left, resetMs: msToFill(capacity - left, rate) };
    }
    if (available >= op.cost) {
      return { allowed: true, value: available, resetMs: msToFill(capacity - available, rate) };
    }
    const resetMs = op.cost > capacity ? -1 : msToFill(op.cost - available, rate);
    return { allowed: false, value: available, resetMs };
  }

  #adjustBucket(op: AdjustBucketOp, now: number): OpResult {
    const available = this.#available(op.key, op.capacity, op.restorePerSecond, now);
    const next = Math.max(-op.capacity, Math.min(op.capacity, available + op.amount));
    this.#setBucket(op.key, next, op.capacity, op.restorePerSecond, now);
    return { allowed: true, value: next, resetMs: msToFill(op.capacity - next, op.restorePerSecond) };
  }

  #adjustCounter(op: AdjustCounterOp, now: number): OpResult {
    const slot = this.#live(op.key, now);
    if (slot === -1) return { allowed: true, value: 0, resetMs: 0 };
    const value = (this.#value[slot] as number) + op.delta;
    this.#value[slot] = value;
    return { allowed: true, value, resetMs: (this.#expires[slot] as number) - now };
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Forgets every key. */
  clear(): void {
    this.#index.clear();
    this.#freeSlots = [];
    this.#nextSlot = 0;
    this.#sweepCursor = undefined;
    this.#evictionCursor = undefined;
  }

  #available(key: string, capacity: number, rate: number, now: number): number {
    const slot = this.#live(key, now);
    if (slot === -1) return capacity;
    const elapsed = Math.max(0, now - (this.#updatedAt[slot] as number));
    return Math.min(capacity, (this.#value[slot] as number) + (elapsed * rate) / 1000);
  }

  #setBucket(key: string, available: number, capacity: number, rate: number, now: number): void {
    if (available >= capacity) {
      const slot = this.#index.get(key);
      if (slot !== undefined) this.#drop(key, slot);
      return;
    }
    const expires = now + msToFill(capacity - available, rate) + 1000;
    const slot = this.#live(key, now);
    if (slot === -1) this.#insert(key, available, now, expires);
    else {
      this.#value[slot] = available;
      this.#updatedAt[slot] = now;
      this.#expires[slot] = expires;
    }
  }

  /** The slot of a live key (marked as recently used), or -1. */
  #live(key: string, now: number): number {
    const slot = this.#index.get(key);
    if (slot === undefined) return -1;
    if ((this.#expires[slot] as number) <= now) {
      this.#drop(key, slot);
      return -1;
    }
    this.#used[slot] = 1;
    return slot;
  }

  #insert(key: string, value: number, updatedAt: number, expires: number): number {
    if (this.#index.size >= this.maxKeys) {
      // Evict with the CLOCK algorithm (LRU approximation, second chance): walk from the oldest
      // entry; a key used since the last pass is moved to the young end with its mark cleared, the
      // first unmarked key is evicted. Reads only set a mark, so they never reorder the Map; one
      // long-lived iterator never rescans the deleted entries at the front of the table.
      for (let guard = this.#index.size * 2 + 2; guard > 0; guard--) {
        this.#evictionCursor ??= this.#index.entries();
        const entry = this.#evictionCursor.next();
        if (entry.done) {
          this.#evictionCursor = undefined;
          continue;
        }
        const [candidate, candidateSlot] = entry.value;
        if (this.#used[candidateSlot] === 1 && (this.#expires[candidateSlot] as number) > this.#lastNow) {
          this.#used[candidateSlot] = 0;
          this.#index.delete(candidate);
          this.#index.set(candidate, candidateSlot);
          continue;
        }
        this.#drop(candidate, candidateSlot);
        break;
      }
    }
    let slot = this.#freeSlots.pop();
    if (slot === undefined) {
      slot = this.#nextSlot++;
      if (slot >= this.#value.length) this.#grow();
    }
    this.#value[slot] = value;
    this.#updatedAt[slot] = updatedAt;
    this.#expires[slot] = expires;
    this.#used[slot] = 0;
    // Keys arrive as concatenated (rope) strings; a flat copy takes less memory.
    this.#index.set(key.normalize(), slot);
    return slot;
  }

  #drop(key: string, slot: number): void {
    this.#index.delete(key);
    this.#freeSlots.push(slot);
  }

  #grow(): void {
    const size = Math.min(Math.max(this.#value.length * 2, INITIAL_CAPACITY), this.maxKeys + 8);
    const grow = (old: Float64Array) => {
      const grown = new Float64Array(size);
      grown.set(old);
      return grown;
    };
    this.#value = grow(this.#value);
    this.#updatedAt = grow(this.#updatedAt);
    this.#expires = grow(this.#expires);
    const used = new Uint8Array(size);
    used.set(this.#used);
    this.#used = used;
  }
}

function msToFill(units: number, ratePerSecond: number): number {
  return units <= 0 ? 0 : Math.ceil((units * 1000) / ratePerSecond);
}
