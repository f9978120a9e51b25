import type { ApplyResult, OpResult, Store, StoreOp } from './store.js';

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
 * LRU), so a key costs its string plus about 40 bytes. Expiry uses the `now` each call passes (the request's clock), never the wall clock.
 */
export class MemoryStore implements Store {
  readonly name = 'memory';
  readonly maxKeys: number;
  #index = new Map<string, number>();
  #value = new Float64Array(INITIAL_CAPACITY);
  #stamp = new Float64Array(INITIAL_CAPACITY);
  #expires = new Float64Array(INITIAL_CAPACITY);
  #used = new Uint8Array(INITIAL_CAPACITY);
  #free: number[] = [];
  #next = 0;
  #lastNow = 0;
  #current = new Float64Array(8);
  #timer: NodeJS.Timeout | undefined;
  #sweep: IterableIterator<[string, number]> | undefined;
  #evictor: IterableIterator<[string, number]> | undefined;

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
    this.#sweep ??= this.#index.entries();
    for (let i = 0; i < max; i++) {
      const n = this.#sweep.next();
      if (n.done) {
        this.#sweep = undefined;
        break;
      }
      const [key, slot] = n.value;
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
    // Check phase: read each limited key without charging.
    let allowed = true;
    let k = upTo > 0 ? upTo : 1;
    // scratch: the figures read in the check phase (applySync never re-enters)
    if (this.#current.length < n) this.#current = new Float64Array(n * 2);
    const current = this.#current;
    for (let i = 0; i < n; i++) {
      const op = ops[i] as StoreOp;
      if (op.type === 'counter') {
        const slot = this.#live(op.key, now);
        const cur = slot === -1 ? 0 : (this.#value[slot] as number);
        current[i] = cur;
        if (upTo > 0) {
          if (op.cost > 0) k = Math.min(k, Math.floor((op.limit - cur) / op.cost));
        } else if (cur + op.cost > op.limit) allowed = false;
      } else if (op.type === 'bucket') {
        const avail = this.#available(op.key, op.capacity, op.restorePerSecond, now);
        current[i] = avail;
        if (avail < op.cost) allowed = false;
      }
    }
    if (upTo > 0 && k < 1) allowed = false;
    if (k < 0) k = 0;
    // Commit phase.
    for (let i = 0; i < n; i++) {
      const op = ops[i] as StoreOp;
      switch (op.type) {
        case 'counter': {
          const cur = current[i] as number;
          const own = cur + op.cost <= op.limit;
          if (allowed) {
            let slot = this.#live(op.key, now);
            if (slot === -1) slot = this.#insert(op.key, 0, 0, now + op.ttlMs);
            const v = (this.#value[slot] as number) + op.cost * k;
            this.#value[slot] = v;
            results[i] = { allowed: true, value: v, resetMs: (this.#expires[slot] as number) - now };
          } else {
            const slot = this.#live(op.key, now);
            let resetMs = slot === -1 ? op.ttlMs : (this.#expires[slot] as number) - now;
            let value = cur;
            if (!own && op.blockMs && op.blockMs > 0 && cur <= op.limit) {
              value = op.limit + 1;
              resetMs = op.blockMs;
              if (slot === -1) this.#insert(op.key, value, 0, now + op.blockMs);
              else {
                this.#value[slot] = value;
                this.#expires[slot] = now + op.blockMs;
              }
            }
            results[i] = { allowed: own, value, resetMs };
          }
          break;
        }
        case 'bucket': {
          const avail = current[i] as number;
          const own = avail >= op.cost;
          if (allowed) {
            const left = avail - op.cost;
            this.#setBucket(op.key, left, op.capacity, op.restorePerSecond, now);
            results[i] = { allowed: true, value: left, resetMs: msToFill(op.capacity - left, op.restorePerSecond) };
          } else if (own) {
            results[i] = { allowed: true, value: avail, resetMs: msToFill(op.capacity - avail, op.restorePerSecond) };
          } else {
            results[i] = {
              allowed: false,
              value: avail,
              resetMs: op.cost > op.capacity ? -1 : msToFill(op.cost - avail, op.restorePerSecond),
            };
          }
          break;
        }
        case 'adjust-bucket': {
          const avail = this.#available(op.key, op.capacity, op.restorePerSecond, now);
          const next = Math.max(-op.capacity, Math.min(op.capacity, avail + op.amount));
          this.#setBucket(op.key, next, op.capacity, op.restorePerSecond, now);
          results[i] = { allowed: true, value: next, resetMs: msToFill(op.capacity - next, op.restorePerSecond) };
          break;
        }
        case 'adjust-counter': {
          const slot = this.#live(op.key, now);
          if (slot === -1) results[i] = { allowed: true, value: 0, resetMs: 0 };
          else {
            const v = (this.#value[slot] as number) + op.delta;
            this.#value[slot] = v;
            results[i] = { allowed: true, value: v, resetMs: (this.#expires[slot] as number) - now };
          }
          break;
        }
        case 'delete': {
          const slot = this.#index.get(op.key);
          if (slot !== undefined) this.#drop(op.key, slot);
          results[i] = { allowed: true, value: 0, resetMs: 0 };
          break;
        }
      }
    }
    return upTo > 0 ? { allowed, results, units: allowed ? k : 0 } : { allowed, results };
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Forgets every key. */
  clear(): void {
    this.#index.clear();
    this.#free = [];
    this.#next = 0;
    this.#sweep = undefined;
    this.#evictor = undefined;
  }

  #available(key: string, capacity: number, rate: number, now: number): number {
    const slot = this.#live(key, now);
    if (slot === -1) return capacity;
    const elapsed = Math.max(0, now - (this.#stamp[slot] as number));
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
      this.#stamp[slot] = now;
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

  #insert(key: string, value: number, stamp: number, expires: number): number {
    if (this.#index.size >= this.maxKeys) {
      // Evict with the CLOCK algorithm (LRU approximation, second chance): walk from the oldest
      // entry; a key used since the last pass is moved to the young end with its mark cleared, the
      // first unmarked key is evicted. Reads only set a mark, so they never reorder the Map; one
      // long-lived iterator never rescans the deleted entries at the front of the table.
      for (let guard = this.#index.size * 2 + 2; guard > 0; guard--) {
        this.#evictor ??= this.#index.entries();
        const n = this.#evictor.next();
        if (n.done) {
          this.#evictor = undefined;
          continue;
        }
        const [k, sl] = n.value;
        if (this.#used[sl] === 1 && (this.#expires[sl] as number) > this.#lastNow) {
          this.#used[sl] = 0;
          this.#index.delete(k);
          this.#index.set(k, sl);
          continue;
        }
        this.#drop(k, sl);
        break;
      }
    }
    let slot = this.#free.pop();
    if (slot === undefined) {
      slot = this.#next++;
      if (slot >= this.#value.length) this.#grow();
    }
    this.#value[slot] = value;
    this.#stamp[slot] = stamp;
    this.#expires[slot] = expires;
    this.#used[slot] = 0;
    // Keys arrive as concatenated (rope) strings; a flat copy costs about a third of the memory.
    this.#index.set(key.normalize(), slot);
    return slot;
  }

  #drop(key: string, slot: number): void {
    this.#index.delete(key);
    this.#free.push(slot);
  }

  #grow(): void {
    const size = Math.min(Math.max(this.#value.length * 2, INITIAL_CAPACITY), this.maxKeys + 8);
    const grow = (a: Float64Array) => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    this.#value = grow(this.#value);
    this.#stamp = grow(this.#stamp);
    this.#expires = grow(this.#expires);
    const used = new Uint8Array(size);
    used.set(this.#used);
    this.#used = used;
  }
}

function msToFill(units: number, ratePerSecond: number): number {
  return units <= 0 ? 0 : Math.ceil((units * 1000) / ratePerSecond);
}
