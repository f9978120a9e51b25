/**
 * Admission decisions after validation: what one store call for an operation's policies comes to —
 * admitted (the charge, the `RateLimit` headers, one decision), refused (the error, its message and
 * headers, one decision per refusing policy), or, in delay mode, the ms to wait before trying again.
 */
import { ErrorCode, rampartError, type SecurityState } from '@rampart/core';
import type { GraphQLError } from 'graphql';
import type { Slowdown } from './delay.js';
import { type PolicyStatus, rateLimitHeaders, retryAfterSeconds, stateItem } from './headers.js';
import type { ResolvedRateLimitOptions } from './options.js';
import { finiteCost, type Part } from './plan.js';
import type { OpResult, Store } from './store.js';
import { type Outcome, type StoreAnswer, storeUnavailable } from './store-calls.js';

/** What an operation was charged, kept until the response is sent (refunds). */
export interface OperationCharge {
  readonly who: string;
  readonly store: Store;
  readonly parts: readonly Part[];
  /** Cost charged to the budget (estimated, or the fixed cost). */
  readonly requestedCost: number | undefined;
  /** The estimate came from `state.cost.estimated` (so an actual cost can correct it). */
  readonly estimated: boolean;
  /** Units left in the budget after the charge. */
  currentlyAvailable: number | undefined;
  headers: Record<string, string>;
}

/** The decision on an operation's policies. */
export interface OperationDecision {
  /** Set when the operation is refused: throw it from `didResolveOperation`. */
  readonly error?: GraphQLError;
  /** Set when the operation was admitted and charged. */
  readonly charge?: OperationCharge;
  /** Cost figures for `extensions.cost` (when a budget is configured). */
  readonly requestedCost?: number | undefined;
  readonly currentlyAvailable?: number | undefined;
}

/** A refusing policy: its part, its store result and its header figures. */
interface Refusal {
  readonly part: Part;
  readonly result: OpResult;
  readonly status: PolicyStatus;
}

/** Turns the outcome of an operation's store call into a decision (see the file comment). */
export class OperationConcluder {
  readonly #options: ResolvedRateLimitOptions;
  readonly #slowdown: Slowdown;
  /** The configured store (an answer from another one came from the memory fallback). */
  readonly #store: Store;

  constructor(options: ResolvedRateLimitOptions, slowdown: Slowdown, store: Store) {
    this.#options = options;
    this.#slowdown = slowdown;
    this.#store = store;
  }

  /** A decision, or the ms to wait (delay mode: the client's queue was joined). */
  conclude(
    state: SecurityState,
    who: string,
    parts: Part[],
    now: number,
    outcome: Outcome,
    started: number,
    queued: boolean,
  ): OperationDecision | number {
    if (outcome.kind !== 'result') return storeFailureDecision(state, outcome.kind);
    if (outcome.result.allowed) return this.#admitted(state, who, parts, now, outcome);
    const results = outcome.result.results;
    const statuses = parts.map((part, i) => policyStatus(part, results[i]!, now, this.#options));
    const refused: Refusal[] = [];
    for (let i = 0; i < parts.length; i++) {
      if (!results[i]!.allowed) refused.push({ part: parts[i]!, result: results[i]!, status: statuses[i]! });
    }
    const quota = refused.find((x) => x.part.kind === 'quota');
    const delays = this.#slowdown.appliesTo(state.principal);
    if (!quota && delays) {
      // could waiting help? (a quota never refills in time)
      const wait = this.#slowdown.waitBeforeRetry(who, waitForAll(refused, now), now - started, queued);
      if (wait !== undefined) return wait;
    }
    const primary = quota ?? refused.find((x) => x.part.kind === 'budget') ?? refused[0]!;
    const error = this.#refusalError(primary, statuses, now, delays);
    for (const x of refused) {
      state.record({
        source: 'rate-limit',
        outcome: 'limited',
        code: x === primary ? codeOf(x.part) : undefined,
        rule: x.part.name,
        reason: `${x.part.kind} exceeded`,
        details: {
          limit: x.status.quota,
          remaining: x.status.remaining,
          resetMs: Math.round(x.status.resetSeconds * 1000),
        },
      });
    }
    const budgetIndex = parts.findIndex((p) => p.kind === 'budget');
    return {
      error,
      requestedCost: budgetIndex >= 0 ? parts[budgetIndex]!.cost : undefined,
      currentlyAvailable: budgetIndex >= 0 ? results[budgetIndex]!.value : undefined,
    };
  }

  /** The error of a refusal named by its primary policy (quota, then budget, then operation limit). */
  #refusalError(primary: Refusal, statuses: readonly PolicyStatus[], now: number, delayed: boolean): GraphQLError {
    const { part, result } = primary;
    const retryAfter = retryAfterSeconds(
      part.kind === 'budget' ? this.#budgetResetMs(part, result) : part.window!.end - now,
    );
    const details: Record<string, unknown> = { retryAfter };
    if (part.kind === 'budget') {
      details.cost = {
        requestedQueryCost: part.cost,
        maximumAvailable: part.limit,
        currentlyAvailable: result.value,
      };
    }
    return rampartError(codeOf(part), this.#message(part, result.resetMs < 0, delayed), {
      headers: { 'retry-after': String(retryAfter), ...rateLimitHeaders(statuses) },
      details,
    });
  }

  /** The admitted path (every request that is not refused): figures, headers and one decision. */
  #admitted(state: SecurityState, who: string, parts: Part[], now: number, answer: StoreAnswer): OperationDecision {
    const results = answer.result.results;
    const headers = this.#options.headers;
    const restoreRate = this.#options.costBudget?.restoreRate ?? 0;
    let policy = '';
    let current = '';
    // One decision for the operation: the tightest policy (least remaining share) names it.
    let tightest = -1;
    let tightestShare = 0;
    let tightestRemaining = 0;
    let tightestReset = 0;
    let budgetIndex = -1;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const result = results[i]!;
      if (part.kind === 'budget') budgetIndex = i;
      const remaining = remainingOf(part, result);
      const resetSeconds = resetSecondsOf(part, result, now, restoreRate);
      const share = remaining / part.limit;
      if (tightest < 0 || share < tightestShare) {
        tightest = i;
        tightestShare = share;
        tightestRemaining = remaining;
        tightestReset = resetSeconds;
      }
      if (headers) {
        const item = stateItem(part.name, remaining, resetSeconds);
        policy = i === 0 ? part.policy : `${policy}, ${part.policy}`;
        current = i === 0 ? item : `${current}, ${item}`;
      }
    }
    const requestedCost = budgetIndex >= 0 ? parts[budgetIndex]!.cost : undefined;
    const currentlyAvailable = budgetIndex >= 0 ? results[budgetIndex]!.value : undefined;
    const charge: OperationCharge = {
      who,
      store: answer.store,
      parts,
      requestedCost,
      estimated: finiteCost(state.cost.estimated) !== undefined,
      currentlyAvailable,
      headers: headers ? { 'ratelimit-policy': policy, ratelimit: current } : {},
    };
    const details: Record<string, unknown> = {
      limit: parts[tightest]!.limit,
      remaining: tightestRemaining,
      resetMs: Math.round(tightestReset * 1000),
    };
    if (answer.store !== this.#store) details.store = 'memory-fallback';
    const n = parts.length;
    const reason = n === 1 ? 'within limit' : `within all ${n} operation policies`;
    state.record({ source: 'rate-limit', outcome: 'allowed', rule: parts[tightest]!.name, reason, details, at: now });
    return { charge, requestedCost, currentlyAvailable };
  }

  /** ms until a refused budget holds the requested cost (`resetMs < 0`: never; then the time to refill). */
  #budgetResetMs(part: Part, result: OpResult): number {
    return result.resetMs < 0 ? msToFill(part.limit, this.#options.costBudget!.restoreRate) : result.resetMs;
  }

  #message(part: Part, never: boolean, delayed: boolean): string {
    const expose = this.#options.exposeLimits;
    const waited = delayed ? ' (after the longest allowed wait)' : '';
    switch (part.kind) {
      case 'quota': {
        const period = part.window && part.window.end - part.window.start > 86_400_000 ? 'month' : 'day';
        return `Quota "${part.name}" used up for this ${period}${expose ? ` (limit ${part.limit})` : ''}.`;
      }
      case 'budget':
        if (never)
          return `Query cost ${expose ? `${part.cost} ` : ''}exceeds the maximum available cost${expose ? ` of ${part.limit}` : ''}.`;
        return `Cost budget exhausted${expose ? ` (query cost ${part.cost})` : ''}; retry later${waited}.`;
      default:
        return `Too many requests${expose ? ` (limit ${part.limit} per ${this.#options.operation!.duration} s)` : ''}${waited}.`;
    }
  }
}

/** The decision when the store failed: admitted (`onStoreError: 'allow'`) or refused (`'deny'`). */
function storeFailureDecision(state: SecurityState, kind: 'allow' | 'deny'): OperationDecision {
  if (kind === 'allow') {
    state.record({
      source: 'rate-limit',
      outcome: 'allowed',
      rule: 'store-unavailable',
      reason: 'store unavailable; admitted by onStoreError: allow',
      details: { storeError: true },
    });
    return {};
  }
  const error = storeUnavailable('request');
  state.record({
    source: 'rate-limit',
    outcome: 'limited',
    code: ErrorCode.RATE_LIMITED,
    rule: 'store-unavailable',
    reason: 'store unavailable; refused by onStoreError: deny',
    details: { storeError: true },
  });
  return { error };
}

/** The wait after which every refusing policy could admit (infinite when a budget never can). */
function waitForAll(refused: readonly Refusal[], now: number): number {
  let wait = 0;
  for (const x of refused) {
    const ms = x.part.kind === 'budget' ? x.result.resetMs : x.part.window!.end - now;
    wait = ms < 0 ? Number.POSITIVE_INFINITY : Math.max(wait, ms);
  }
  return wait;
}

function codeOf(part: Part): ErrorCode {
  if (part.kind === 'quota') return ErrorCode.QUOTA_EXCEEDED;
  return part.kind === 'budget' ? ErrorCode.THROTTLED : ErrorCode.RATE_LIMITED;
}

/** Units a part has left after (or, refused, before) the call. */
function remainingOf(part: Part, result: OpResult): number {
  return part.kind === 'budget' ? result.value : part.limit - result.value;
}

/** Seconds until a part resets (a budget: until it holds the cost, or refills when it never can). */
function resetSecondsOf(part: Part, result: OpResult, now: number, restoreRate: number): number {
  if (part.kind !== 'budget') return (part.window!.end - now) / 1000;
  return (result.resetMs < 0 ? msToFill(part.limit, restoreRate) : result.resetMs) / 1000;
}

/** The `RateLimit` header figures of one part. */
function policyStatus(part: Part, result: OpResult, now: number, options: ResolvedRateLimitOptions): PolicyStatus {
  const restoreRate = options.costBudget?.restoreRate ?? 0;
  const window = part.window;
  return {
    name: part.name,
    quota: part.limit,
    windowSeconds: part.kind === 'budget' ? part.limit / restoreRate : (window!.end - window!.start) / 1000,
    remaining: remainingOf(part, result),
    resetSeconds: resetSecondsOf(part, result, now, restoreRate),
  };
}

/** Milliseconds for a bucket restoring `rate` units a second to gain `units`. */
export function msToFill(units: number, rate: number): number {
  return Math.ceil((units * 1000) / rate);
}
