/**
 * Admission before parsing: parsing and validating a hostile document is expensive, so a client
 * over its operation limit or out of cost budget is refused BEFORE its document is read. One store
 * call per request: the operation limit is charged (one call), the cost budget is looked at (a bucket
 * op of cost 0). The operation decision after parsing then skips the operation limit. A document that
 * fails to parse or validate never reaches that decision: it is charged `invalidDocumentCost` against
 * the budget when its response is sent ({@link Admission.chargeInvalidDocument}).
 */
import { ErrorCode, rampartError, type SecurityState } from '@rampart/core';
import type { GraphQLError } from 'graphql';
import { msToFill } from './conclude.js';
import { Slowdown } from './delay.js';
import { rateLimitHeaders, retryAfterSeconds, stateItem } from './headers.js';
import { isPending, type MaybePromise } from './maybe-promise.js';
import type { Part } from './plan.js';
import type { RateLimiter } from './rate-limiter.js';
import type { BucketOp, StoreOp } from './store.js';
import type { Outcome } from './store-calls.js';

/** The outcome of {@link Admission.admit}. */
export type AdmissionResult =
  | { readonly error: GraphQLError }
  | {
      /** The operation limit was charged (the decision after parsing must not charge it again). */
      readonly operationCharged: boolean;
    };

const ADMITTED: AdmissionResult = Object.freeze({ operationCharged: true });
const ADMITTED_UNCHARGED: AdmissionResult = Object.freeze({ operationCharged: false });

const admissions = new WeakMap<RateLimiter, Admission>();

/** The one {@link Admission} of a limiter (the module's `onRequest` and the plugin share it). */
export function admissionOf(limiter: RateLimiter): Admission {
  let admission = admissions.get(limiter);
  if (admission === undefined) {
    admission = new Admission(limiter);
    admissions.set(limiter, admission);
  }
  return admission;
}

/** Pre-parse admission of one limiter (see the file comment). */
export class Admission {
  readonly #limiter: RateLimiter;
  readonly #slowdown: Slowdown;
  /** True when an operation limit or a cost budget is configured (quotas are decided after parsing). */
  readonly active: boolean;

  constructor(limiter: RateLimiter) {
    this.#limiter = limiter;
    this.#slowdown = new Slowdown(limiter.options.throttle, limiter.options.sleep);
    this.active = !!(limiter.options.operation || limiter.options.costBudget);
  }

  /** Charges and checks a request before parsing; synchronous with a synchronous store that needs no wait. */
  admit(state: SecurityState): MaybePromise<AdmissionResult> {
    if (!this.active) return ADMITTED_UNCHARGED;
    const who = this.#limiter.keyOf(state.principal);
    const now = state.clock.now();
    const out = this.#attempt(state, who, now, now);
    if (typeof out === 'number') return this.#delayed(state, who, now, out);
    if (isPending(out))
      return out.then((result) => (typeof result === 'number' ? this.#delayed(state, who, now, result) : result));
    return out;
  }

  async #delayed(state: SecurityState, who: string, started: number, firstWait: number): Promise<AdmissionResult> {
    return this.#slowdown.waitFor(who, firstWait, () => this.#attempt(state, who, state.clock.now(), started, true));
  }

  /** One store call: a result, or the ms to wait (delay mode; the client's queue joined). */
  #attempt(
    state: SecurityState,
    who: string,
    now: number,
    started: number,
    queued = false,
  ): MaybePromise<AdmissionResult | number> {
    const limiter = this.#limiter;
    const op = limiter.operationPart(who, now);
    const budget = this.#budgetPeek(who);
    const ops: StoreOp[] = [];
    if (op) ops.push(op.op);
    if (budget) ops.push(budget);
    const out = limiter.execute(ops, now);
    const conclude = (outcome: Outcome) => this.#conclude(state, who, now, started, queued, outcome, op, budget);
    return isPending(out) ? out.then(conclude) : conclude(out);
  }

  #budgetPeek(who: string): BucketOp | undefined {
    const budget = this.#limiter.options.costBudget;
    if (!budget) return undefined;
    const key = this.#limiter.budgetKey(who);
    return { type: 'bucket', key, capacity: budget.maximumAvailable, restorePerSecond: budget.restoreRate, cost: 0 };
  }

  #conclude(
    state: SecurityState,
    who: string,
    now: number,
    started: number,
    queued: boolean,
    outcome: Outcome,
    op: Part | undefined,
    budget: BucketOp | undefined,
  ): MaybePromise<AdmissionResult | number> {
    if (outcome.kind === 'allow') return ADMITTED_UNCHARGED; // the decision after parsing records it
    if (outcome.kind === 'deny') {
      state.record({
        source: 'rate-limit',
        outcome: 'limited',
        code: ErrorCode.RATE_LIMITED,
        rule: 'store-unavailable',
        reason: 'store unavailable; refused by onStoreError: deny (before parsing)',
        details: { storeError: true },
      });
      return { error: this.#limiter.unavailable('request') };
    }
    const results = outcome.result.results;
    const opResult = op ? results[0] : undefined;
    const budgetResult = budget ? results[op ? 1 : 0] : undefined;
    const threshold = this.#threshold();
    const available = budgetResult?.value;
    let kind: 'operation' | 'budget' | undefined;
    let waitMs = 0;
    if (opResult && !opResult.allowed) {
      kind = 'operation';
      waitMs = op!.window!.end - now;
    } else if (budget && available !== undefined && available < threshold) {
      kind = 'budget';
      waitMs = msToFill(threshold - available, budget.restorePerSecond);
    }
    if (kind === undefined) return op ? ADMITTED : ADMITTED_UNCHARGED;
    // refused by the budget after the operation limit was charged (a budget below zero refuses the
    // whole call, then nothing was charged): give the call back
    const charged = kind === 'budget' && op !== undefined && outcome.result.allowed;
    const refund = charged ? this.#limiter.execute([refundCall(op)], now) : undefined;
    const wait = this.#wait(state, who, waitMs, now - started, queued);
    const delayed = this.#slowdown.appliesTo(state.principal);
    const result = wait ?? this.#refuse(state, kind, now, waitMs, op, opResult?.value, available, delayed);
    return refund !== undefined && isPending(refund) ? refund.then(() => result) : result;
  }

  /** A budget below this refuses before parsing: `invalidDocumentCost`, or any positive amount when it is 0. */
  #threshold(): number {
    const cost = this.#limiter.options.costBudget?.invalidDocumentCost ?? 1;
    return cost > 0 ? cost : Number.MIN_VALUE;
  }

  /** Delay mode: the ms to wait before trying again (queue joined), or `undefined` to refuse now. */
  #wait(state: SecurityState, who: string, waitMs: number, waited: number, queued: boolean): number | undefined {
    if (!this.#slowdown.appliesTo(state.principal)) return undefined;
    return this.#slowdown.waitBeforeRetry(who, waitMs, waited, queued);
  }

  #refuse(
    state: SecurityState,
    kind: 'operation' | 'budget',
    now: number,
    waitMs: number,
    op: Part | undefined,
    counted: number | undefined,
    available: number | undefined,
    delayed: boolean,
  ): AdmissionResult {
    const options = this.#limiter.options;
    const retryAfter = retryAfterSeconds(waitMs);
    const expose = options.exposeLimits;
    const waited = delayed ? ' (after the longest allowed wait)' : '';
    const headers: Record<string, string> = { 'retry-after': String(retryAfter) };
    let message: string;
    if (kind === 'operation') {
      const limit = options.operation!;
      message = `Too many requests${expose ? ` (limit ${limit.limit} per ${limit.duration} s)` : ''}${waited}.`;
      Object.assign(
        headers,
        rateLimitHeaders([
          {
            name: 'operation',
            quota: limit.limit,
            windowSeconds: limit.duration,
            remaining: limit.limit - (counted ?? limit.limit),
            resetSeconds: (op!.window!.end - now) / 1000,
          },
        ]),
      );
    } else {
      const budget = options.costBudget!;
      const left = Math.max(0, Math.floor(available ?? 0));
      message = `Cost budget exhausted${expose ? ` (${left} of ${budget.maximumAvailable} available)` : ''}; retry later${waited}.`;
      headers['ratelimit-policy'] = this.#limiter.policies.budget;
      headers.ratelimit = stateItem('cost-budget', available ?? 0, waitMs / 1000);
    }
    const code = kind === 'operation' ? ErrorCode.RATE_LIMITED : ErrorCode.THROTTLED;
    state.record({
      source: 'rate-limit',
      outcome: 'limited',
      code,
      rule: kind === 'operation' ? 'operation' : 'cost-budget',
      reason: `${kind === 'operation' ? 'operation limit' : 'cost budget'} exceeded (refused before parsing)`,
      details: {
        limit: kind === 'operation' ? options.operation!.limit : options.costBudget!.maximumAvailable,
        remaining: 0,
        resetMs: waitMs,
      },
    });
    return { error: rampartError(code, message, { headers, details: { retryAfter } }) };
  }

  /**
   * A request admitted here whose document failed to parse or validate (it ended before its
   * operation was decided): charges `invalidDocumentCost` against the budget. Always applied.
   */
  chargeInvalidDocument(state: SecurityState): MaybePromise<void> {
    const budget = this.#limiter.options.costBudget;
    if (!budget) return;
    const cost = budget.invalidDocumentCost;
    state.record({
      source: 'rate-limit',
      outcome: 'allowed',
      rule: 'cost-budget',
      reason: 'document failed to parse or validate; charged invalidDocumentCost',
      details: { cost },
    });
    if (cost <= 0) return;
    const key = this.#limiter.budgetKey(this.#limiter.keyOf(state.principal));
    const out = this.#limiter.execute(
      [
        {
          type: 'adjust-bucket',
          key,
          capacity: budget.maximumAvailable,
          restorePerSecond: budget.restoreRate,
          amount: -cost,
        },
      ],
      state.clock.now(),
    );
    if (isPending(out)) return out.then(() => undefined);
  }
}

function refundCall(op: Part): StoreOp {
  return { type: 'adjust-counter', key: op.op.key, delta: -1 };
}
