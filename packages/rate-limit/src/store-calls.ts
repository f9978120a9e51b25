/**
 * Store calls through the failure policy (`onStoreError`): a failed call is admitted, refused, or
 * applied to an in-process fallback store; the first failure of an outage and the recovery warn once.
 */
import {
  type Clock,
  ErrorCode,
  type RampartObserver,
  rampartError,
  rampartObserver,
  type StoreHealth,
  systemClock,
} from '@rampart/core';
import type { GraphQLError } from 'graphql';
import type { MaybePromise } from './maybe-promise.js';
import { MemoryStore } from './memory-store.js';
import type { StoreErrorPolicy } from './options.js';
import type { ApplyResult, Store, StoreOp } from './store.js';

/** What a store call came to, after the failure policy (`onStoreError`). */
export type Outcome =
  | { readonly kind: 'result'; readonly result: ApplyResult; readonly store: Store }
  | { readonly kind: 'allow' }
  | { readonly kind: 'deny' };

/** The outcome of a store call that answered. */
export type StoreAnswer = Extract<Outcome, { kind: 'result' }>;

/** The store of one limiter, with its failure policy and its fallback store. */
export class StoreCalls {
  readonly store: Store;
  readonly #policy: StoreErrorPolicy;
  readonly #fallback: MemoryStore | undefined;
  readonly #warn: (message: string) => void;
  readonly #clock: Clock;
  /** True between a failed call and the next call that succeeds. */
  #down = false;
  /** When `#down` last changed (ms since the epoch; the creation time at first). */
  #since: number;

  constructor(store: Store, policy: StoreErrorPolicy, warn: (message: string) => void, clock: Clock = systemClock) {
    this.store = store;
    this.#policy = policy;
    this.#warn = warn;
    this.#clock = clock;
    this.#since = clock.now();
    this.#fallback = policy === 'fallback-memory' && !(store instanceof MemoryStore) ? new MemoryStore() : undefined;
  }

  /** The store as the last call saw it (for `rampart().health()`). */
  health(): StoreHealth {
    return {
      name: this.store.name,
      status: this.#down ? 'down' : 'up',
      since: new Date(this.#since).toISOString(),
      onStoreError: this.#policy,
      fallback: this.#down && this.#fallback !== undefined,
    };
  }

  /** Applies `ops` in one store call, through the failure policy; synchronous when the store is. */
  apply(ops: readonly StoreOp[], now: number, upTo = 0): MaybePromise<Outcome> {
    // telemetry: undefined (free) when nothing observes; a synchronous store (memory) has no round trip
    const observer = this.store.applySync === undefined ? rampartObserver() : undefined;
    return observer?.storeCall === undefined ? this.#apply(ops, now, upTo) : this.#observed(observer, ops, now, upTo);
  }

  /** {@link apply} on an asynchronous store, reporting its round trip and whether it answered. */
  #observed(observer: RampartObserver, ops: readonly StoreOp[], now: number, upTo: number): MaybePromise<Outcome> {
    const startedAt = performance.now();
    const report = (ok: boolean) =>
      observer.storeCall?.(this.store.name, { startedAt, durationMs: performance.now() - startedAt }, ok);
    const out = this.#apply(ops, now, upTo);
    if (!(out instanceof Promise)) {
      report(!this.#down);
      return out;
    }
    return out.then((outcome) => {
      report(!this.#down);
      return outcome;
    });
  }

  #apply(ops: readonly StoreOp[], now: number, upTo: number): MaybePromise<Outcome> {
    const store = this.store;
    if (store.applySync) {
      try {
        return this.#answered(store.applySync(ops, now, upTo), store);
      } catch (error) {
        return this.failed(error, ops, now, upTo);
      }
    }
    let pending: Promise<ApplyResult>;
    try {
      pending = store.apply(ops, now, upTo);
    } catch (error) {
      return this.failed(error, ops, now, upTo);
    }
    return pending.then(
      (result) => this.#answered(result, store),
      (error) => this.failed(error, ops, now, upTo),
    );
  }

  #answered(result: ApplyResult, store: Store): Outcome {
    if (this.#down) {
      this.#down = false;
      this.#since = this.#clock.now();
      this.#warn(`[rampart/rate-limit] store "${store.name}" answers again; counting resumes there`);
    }
    return { kind: 'result', result, store };
  }

  /** A call that failed: warns once per outage, then admits, refuses, or applies `ops` to the fallback. */
  failed(error: unknown, ops: readonly StoreOp[], now: number, upTo = 0): Outcome {
    const policy = this.#policy;
    if (!this.#down) {
      this.#down = true;
      this.#since = this.#clock.now();
      this.#warn(
        `[rampart/rate-limit] store "${this.store.name}" failed (${(error as Error)?.message ?? String(error)}); ` +
          `onStoreError: '${policy}'${policy === 'allow' ? ' — requests are ADMITTED without limits until it returns' : ''}`,
      );
    }
    if (policy === 'fallback-memory' && this.#fallback) {
      return { kind: 'result', result: this.#fallback.applySync(ops, now, upTo), store: this.#fallback };
    }
    return policy === 'allow' ? { kind: 'allow' } : { kind: 'deny' };
  }

  /** Closes the store and the fallback store. */
  async close(): Promise<void> {
    await this.store.close?.();
    await this.#fallback?.close();
  }
}

/** The refusal when the store is down and `onStoreError` is `'deny'` (503, Retry-After 1). */
export function storeUnavailable(scope: 'request' | 'field'): GraphQLError {
  return rampartError(ErrorCode.RATE_LIMITED, 'Rate limiting is unavailable; try again shortly.', {
    scope,
    status: 503,
    headers: { 'retry-after': '1' },
    details: { retryAfter: 1 },
  });
}
