/**
 * Settling an operation after its response is built: the budget is refunded to the actual cost (or
 * fully, when execution never started), cost quotas likewise, calls quotas only when nothing ran.
 * One store call, only when something changes. Also `extensions.cost`, which reports the result.
 */
import type { SecurityState } from '@rampart/core';
import type { OperationCharge } from './conclude.js';
import type { MaybePromise } from './maybe-promise.js';
import type { ResolvedRateLimitOptions } from './options.js';
import { finiteCost } from './plan.js';
import type { ApplyResult, StoreOp } from './store.js';

/** `extensions.cost` of a response (Shopify's shape). */
export interface CostExtension {
  requestedQueryCost: number | null;
  actualQueryCost: number | null;
  throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
}

/** The refund ops of a charge, and the index of the budget's op among them (-1: none). */
interface Refunds {
  readonly ops: StoreOp[] | undefined;
  readonly budgetIndex: number;
}

/**
 * Settles a charge (see the file comment); returns the budget's units left. Synchronous when there is
 * nothing to settle or the store is synchronous. A store failure goes to `onFailure` (the failure
 * policy's warning) and leaves the figures of the charge.
 */
export function settleCharge(
  state: SecurityState,
  charge: OperationCharge,
  executed: boolean,
  onFailure: (error: unknown, now: number) => void,
): MaybePromise<number | undefined> {
  const { ops, budgetIndex } = refundsOf(charge, executed, finiteCost(state.cost.actual));
  if (ops === undefined) return charge.currentlyAvailable;
  const now = state.clock.now();
  const store = charge.store;
  const failed = (error: unknown): number | undefined => {
    onFailure(error, now);
    return charge.currentlyAvailable;
  };
  try {
    if (store.applySync) return settled(charge, budgetIndex, store.applySync(ops, now));
    return store.apply(ops, now).then((result) => settled(charge, budgetIndex, result), failed);
  } catch (error) {
    return failed(error);
  }
}

function refundsOf(charge: OperationCharge, executed: boolean, actual: number | undefined): Refunds {
  let ops: StoreOp[] | undefined;
  let budgetIndex = -1;
  for (const part of charge.parts) {
    if (part.kind === 'budget') {
      const op = part.op as Extract<StoreOp, { type: 'bucket' }>;
      let refund = 0;
      if (!executed) refund = part.cost;
      else if (charge.estimated && actual !== undefined) refund = part.cost - actual;
      if (refund !== 0) {
        ops ??= [];
        budgetIndex = ops.length;
        ops.push({
          type: 'adjust-bucket',
          key: op.key,
          capacity: op.capacity,
          restorePerSecond: op.restorePerSecond,
          amount: refund,
        });
      }
    } else if (part.kind === 'quota') {
      let delta = 0;
      if (!executed) delta = -part.cost;
      else if (part.unit === 'cost' && charge.estimated && actual !== undefined) delta = Math.ceil(actual) - part.cost;
      if (delta !== 0) {
        ops ??= [];
        ops.push({ type: 'adjust-counter', key: part.op.key, delta });
      }
    }
  }
  return { ops, budgetIndex };
}

function settled(charge: OperationCharge, budgetIndex: number, result: ApplyResult): number | undefined {
  if (budgetIndex >= 0) charge.currentlyAvailable = result.results[budgetIndex]!.value;
  return charge.currentlyAvailable;
}

/** `extensions.cost` for a response, when a budget is configured and exposed. */
export function costExtension(
  options: ResolvedRateLimitOptions,
  state: SecurityState,
  requested: number | undefined,
  available: number | undefined,
): CostExtension | undefined {
  const budget = options.costBudget;
  if (!budget?.exposeExtension) return undefined;
  return {
    requestedQueryCost: requested ?? null,
    actualQueryCost: finiteCost(state.cost.actual) ?? null,
    throttleStatus: {
      maximumAvailable: budget.maximumAvailable,
      currentlyAvailable: Math.floor(available ?? budget.maximumAvailable),
      restoreRate: budget.restoreRate,
    },
  };
}
