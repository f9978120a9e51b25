/**
 * The rate-limit module's `onOperation` (core's transport-agnostic contract): what the Apollo plugin
 * decides in `didResolveOperation` and settles in `willSendResponse`, for an operation that does not
 * go through Apollo's HTTP pipeline (a `subscribe` message over graphql-ws). It calls the SAME engine
 * function as the plugin ({@link RateLimiter.decide}): one store call charges the operation limit, the
 * cost budget (with `state.cost.estimated`, written before by the limits module) and the quotas.
 *
 * Differences with HTTP, by design:
 * - The transport has already parsed and validated the document, so there is no admission before
 *   parsing (admission.ts) and no `invalidDocumentCost`: the one decision charges everything.
 * - `throttle.mode: 'delay'` applies as on HTTP: the `subscribe` message waits (at most `maxDelayMs`,
 *   at most `maxQueue` waiting per client) before it is admitted or refused.
 * - A subscription is charged ONCE, when admitted, at its estimated cost; `end` refunds nothing
 *   (events keep costing the server while it runs; per-event limits are `@rateLimit` on the fields,
 *   whose resolver wrappers run on every event). A query or mutation sent over the socket is settled
 *   as on HTTP: refunded to its actual cost, or everything but the operation count when no result was
 *   sent.
 * - No `RateLimit` headers and no `extensions.cost` (there is no response to carry them); a refusal
 *   still carries `extensions.code` and `extensions.retryAfter` (the transport strips `extensions.http`).
 */
import type { OperationEnd, OperationHandle, OperationHook, OperationInput, SecurityState } from '@rampart/core';
import type { OperationCharge, OperationDecision } from './conclude.js';
import { isPending } from './maybe-promise.js';
import type { RateLimiter } from './rate-limiter.js';

/** The handle of an admitted operation: settles its charge and records the per-field decisions once. */
class AdmittedOperation implements OperationHandle {
  readonly #limiter: RateLimiter;
  readonly #state: SecurityState;
  /** The charge to settle at the end (queries and mutations only; a subscription keeps its charge). */
  readonly #charge: OperationCharge | undefined;

  constructor(limiter: RateLimiter, state: SecurityState, charge: OperationCharge | undefined) {
    this.#limiter = limiter;
    this.#state = state;
    this.#charge = charge;
  }

  end(ended: OperationEnd): void | Promise<void> {
    // the `@rateLimit` tallies of every event, as one 'allowed' decision per rule (HTTP: per response)
    this.#limiter.flushFieldDecisions(this.#state);
    const charge = this.#charge;
    if (charge === undefined) return;
    // as on HTTP: executed when a result was sent; a store failure is handled by the failure policy
    const settled = this.#limiter.settle(this.#state, charge, ended.results > 0);
    if (isPending(settled)) return settled.then(() => undefined);
  }
}

/**
 * The module's {@link OperationHook}: refuses with the decision's error (`RATE_LIMITED`,
 * `QUOTA_EXCEEDED` or `THROTTLED`, `extensions.retryAfter` set) or admits with a handle whose `end`
 * records the per-field decisions and, for a query or mutation, settles the charge.
 */
export function rateLimitOperationHook(limiter: RateLimiter): OperationHook {
  const operational = limiter.hasOperationPolicies;
  return (state: SecurityState, input: OperationInput) => {
    if (!operational) return new AdmittedOperation(limiter, state, undefined);
    const settles = input.operation.operation !== 'subscription';
    const decided = (decision: OperationDecision): OperationHandle => {
      if (decision.error) throw decision.error;
      return new AdmittedOperation(limiter, state, settles ? decision.charge : undefined);
    };
    const decision = limiter.decide(state);
    return isPending(decision) ? decision.then(decided) : decided(decision);
  };
}
