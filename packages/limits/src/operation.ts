/**
 * The limits checks for operations outside Apollo's HTTP pipeline (subscriptions over graphql-ws):
 * the same engine, cache and decision as the plugin's `didResolveOperation`.
 */
import type { OperationHook, OperationInput, SecurityState } from '@rampart/core';
import type { LimitsEngine } from './engine.js';

/**
 * The `onOperation` hook of {@link limitsModule}: analyzes the operation with the subscribe message's
 * variables (cached per document and per query hash when no variable influenced it), writes
 * `state.cost.estimated` and the `LIMITS_SLOT` analysis, records every violation, and throws the
 * first violation's `rampartError` in enforce mode (in measure mode: records, warns through the
 * server's logger, admits).
 *
 * Returns no handle: nothing is needed per event or at the end. The actual cost is an HTTP figure
 * (one response walked once); a subscription's events are not walked, so `state.cost.actual` stays
 * `undefined` and a budget charges the estimate. `exposeCost` applies to HTTP responses only.
 */
export function limitsOperationHook(engine: LimitsEngine): OperationHook {
  return (state: SecurityState, input: OperationInput): undefined => {
    const analysis = engine.analysisFor({
      schema: input.schema,
      document: input.document,
      operationName: input.operation.name?.value ?? null,
      query: input.query,
      variables: input.variables,
    });
    engine.decide(state, analysis, engine.logger);
    return undefined;
  };
}
