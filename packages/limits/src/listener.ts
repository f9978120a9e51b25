/**
 * One request of the limits plugin: the analysis and decision in `didResolveOperation` (after
 * validation, with the request's variables), the actual cost and `exposeCost` in `willSendResponse`.
 * Prototype hooks, so a request allocates this object and no closures.
 */
import type {
  BaseContext,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestListener,
} from '@apollo/server';
import { runHook, type SecurityState } from '@rampart/core';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { actualCost } from './actual.js';
import type { OperationAnalysis } from './analyze.js';
import type { LimitsEngine } from './engine.js';
import type { ResolvedLimitsOptions } from './options.js';
import { enforcedCost } from './verdict.js';

/** The limits hooks of one request. */
export class LimitsListener implements GraphQLRequestListener<BaseContext> {
  /** The analysis of the request's operation, once decided. */
  analysis: OperationAnalysis | undefined;

  constructor(
    readonly engine: LimitsEngine,
    readonly state: SecurityState,
  ) {}

  /** Analyzes the operation and applies the decision (rejects with the first violation in enforce mode). */
  didResolveOperation(ctx: GraphQLRequestContextDidResolveOperation<BaseContext>): Promise<void> {
    return runHook(this, this.#decide, ctx);
  }

  #decide(ctx: GraphQLRequestContextDidResolveOperation<BaseContext>): void {
    const analysis = this.engine.analysisFor({
      schema: ctx.schema,
      document: ctx.document,
      operationName: ctx.operationName,
      queryHash: ctx.queryHash,
      variables: ctx.request.variables,
    });
    this.analysis = analysis;
    this.engine.decide(this.state, analysis, ctx.logger);
  }

  /**
   * Defers the actual cost (walked only when someone reads `state.cost.actual`: the rate limiter's
   * refund, the audit record, `exposeCost`), then adds `extensions.cost` when `exposeCost` is on.
   * Synchronous up to the write of `cost.actual`, so plugins listed after this one see it.
   */
  willSendResponse(ctx: GraphQLRequestContextWillSendResponse<BaseContext>): Promise<void> {
    return runHook(this, this.#account, ctx);
  }

  #account(ctx: GraphQLRequestContextWillSendResponse<BaseContext>): void {
    const analysis = this.analysis;
    const body = ctx.response.body;
    if (!analysis || !ctx.document || body.kind !== 'single') return;
    const result = body.singleResult;
    const opts = this.engine.options;
    const data = result.data;
    if (data !== undefined && data !== null) {
      const request = { schema: ctx.schema, document: ctx.document, operationName: ctx.operationName };
      this.state.cost.deferActual(() => actualFigure(opts, request, data, ctx.request.variables));
    }
    if (opts.exposeCost) {
      // merged with what another package (the rate limiter's budget) puts under `cost`
      result.extensions = {
        ...result.extensions,
        cost: {
          ...(result.extensions?.cost as Record<string, unknown> | undefined),
          estimated: enforcedCost(analysis, opts),
          ...(this.state.cost.actual !== undefined ? { actual: this.state.cost.actual } : {}),
          ...(opts.cost.max !== false ? { max: opts.cost.max } : {}),
        },
      };
    }
  }
}

/** The actual cost figure the options enforce (`cost` or `fieldCost`) of one response's data. */
function actualFigure(
  opts: ResolvedLimitsOptions,
  request: { schema: GraphQLSchema; document: DocumentNode; operationName: string | null | undefined },
  data: Record<string, unknown>,
  variables: Readonly<Record<string, unknown>> | undefined,
): number {
  const figures = actualCost(request.schema, request.document, data, {
    operationName: request.operationName,
    variables,
    mutationBase: opts.cost.mutationBase,
    workBudget: opts.workBudget,
  });
  return opts.cost.model === 'ibm' ? figures.fieldCost : figures.cost;
}
