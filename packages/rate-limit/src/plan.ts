/**
 * Planning an operation's store call: one part per operation-level policy that applies (the operation
 * limit, the cost budget, each quota), with its store op and its `RateLimit-Policy` item.
 */
import type { SecurityState } from '@rampart/core';
import { calendarWindow, fixedWindow, type Window } from './calendar.js';
import { ClientKeyCache } from './client-keys.js';
import { policyItem } from './headers.js';
import { keyPart } from './keys.js';
import type { ResolvedRateLimitOptions } from './options.js';
import type { CounterOp, StoreOp } from './store.js';

/** The kind of policy a part belongs to. */
export type PartKind = 'operation' | 'budget' | 'quota';

/** One policy's share of an operation's store call. */
export interface Part {
  readonly kind: PartKind;
  readonly name: string;
  readonly op: StoreOp;
  /** Fixed or calendar window (counters). */
  readonly window?: Window | undefined;
  readonly limit: number;
  readonly cost: number;
  readonly unit?: 'calls' | 'cost';
  /** Its `RateLimit-Policy` item (built once per policy and window). */
  readonly policy: string;
}

/** Builds the parts of operations (see the file comment), caching keys and policy items. */
export class OperationPlanner {
  readonly #options: ResolvedRateLimitOptions;
  readonly #keys: ClientKeyCache;
  /** The operation limit's current window (shared by every client). */
  #operationWindow: Window | undefined;
  readonly #operationPolicy: string;
  readonly #budgetPolicy: string;
  /** Each quota's name as a key part. */
  readonly #quotaNameParts: readonly string[];
  /** Each quota's `RateLimit-Policy` item, for the window it was built for. */
  readonly #quotaPolicies: Array<{ window: Window; value: string } | undefined> = [];

  constructor(options: ResolvedRateLimitOptions) {
    this.#options = options;
    this.#keys = new ClientKeyCache(options.prefix);
    const { operation, costBudget, quotas } = options;
    this.#operationPolicy = operation ? policyItem('operation', operation.limit, operation.duration) : '';
    this.#budgetPolicy = costBudget
      ? policyItem('cost-budget', costBudget.maximumAvailable, costBudget.maximumAvailable / costBudget.restoreRate)
      : '';
    this.#quotaNameParts = quotas.map((quota) => keyPart(quota.name));
  }

  /** `RateLimit-Policy` items of the operation limit and the cost budget ('' when not set). */
  get policies(): { readonly operation: string; readonly budget: string } {
    return { operation: this.#operationPolicy, budget: this.#budgetPolicy };
  }

  /** The store key of a client's cost budget. */
  budgetKey(who: string): string {
    return this.#keys.budgetKey(who);
  }

  /**
   * The operation limit's part of a client's store call at `now` (when an operation limit is set).
   * `charged`: already charged before parsing, so this part only reads the count (cost 0).
   */
  operationPart(who: string, now: number, charged = false): Part | undefined {
    const limit = this.#options.operation;
    if (!limit) return undefined;
    let window = this.#operationWindow;
    if (window === undefined || now < window.start || now >= window.end) {
      window = fixedWindow(now, limit.duration * 1000);
      this.#operationWindow = window;
    }
    const key = this.#keys.operationKey(who, limit.duration, window);
    return {
      kind: 'operation',
      name: 'operation',
      window,
      limit: limit.limit,
      cost: 1,
      op: counterOp(key, limit.limit, charged ? 0 : 1, window, now),
      policy: this.#operationPolicy,
    };
  }

  /** The parts of an operation's store call (the operation limit only read when charged before parsing). */
  plan(state: SecurityState, who: string, now: number, operationCharged: boolean): Part[] {
    const parts: Part[] = [];
    const estimated = finiteCost(state.cost.estimated);
    const operation = this.operationPart(who, now, operationCharged);
    if (operation) parts.push(operation);
    const budget = this.#budgetPart(who, estimated);
    if (budget) parts.push(budget);
    const quotas = this.#options.quotas;
    for (let i = 0; i < quotas.length; i++) {
      const quota = quotas[i]!;
      if (quota.appliesTo && !quota.appliesTo(state.principal)) continue;
      parts.push(this.#quotaPart(i, who, now, estimated));
    }
    return parts;
  }

  #budgetPart(who: string, estimated: number | undefined): Part | undefined {
    const budget = this.#options.costBudget;
    if (!budget) return undefined;
    const cost = estimated ?? budget.fixedCost;
    return {
      kind: 'budget',
      name: 'cost-budget',
      limit: budget.maximumAvailable,
      cost,
      op: {
        type: 'bucket',
        key: this.#keys.budgetKey(who),
        capacity: budget.maximumAvailable,
        restorePerSecond: budget.restoreRate,
        cost,
      },
      policy: this.#budgetPolicy,
    };
  }

  #quotaPart(index: number, who: string, now: number, estimated: number | undefined): Part {
    const quota = this.#options.quotas[index]!;
    const window = calendarWindow(now, quota.period);
    const key = this.#keys.quotaKey(who, index, this.#quotaNameParts[index]!, window);
    const cost = quota.unit === 'cost' ? Math.ceil(estimated ?? this.#options.costBudget?.fixedCost ?? 1) : 1;
    return {
      kind: 'quota',
      name: quota.name,
      window,
      limit: quota.limit,
      cost,
      unit: quota.unit,
      op: counterOp(key, quota.limit, cost, window, now),
      policy: this.#quotaPolicy(index, quota.name, quota.limit, window),
    };
  }

  /** The `RateLimit-Policy` item of quota `index` in `window` (the window length varies by month). */
  #quotaPolicy(index: number, name: string, limit: number, window: Window): string {
    const cached = this.#quotaPolicies[index];
    if (cached !== undefined && cached.window === window) return cached.value;
    const value = policyItem(name, limit, (window.end - window.start) / 1000);
    this.#quotaPolicies[index] = { window, value };
    return value;
  }
}

/** A counter op for a fixed or calendar window. */
function counterOp(key: string, limit: number, cost: number, window: Window, now: number): CounterOp {
  // Keys carry their window id, so keeping them a little past the window end is harmless and keeps
  // counts when the store's clock and the request's clock differ slightly.
  const length = window.end - window.start;
  return { type: 'counter', key, limit, cost, ttlMs: window.end - now + Math.min(length, 3_600_000) };
}

/** A usable cost figure (a finite number ≥ 0), else `undefined`. */
export function finiteCost(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
