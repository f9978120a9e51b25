/**
 * The Apollo adapter: analysis and enforcement in `didResolveOperation` (after validation, with the
 * request's variables, so Apollo's document cache cannot bypass it), the actual cost in
 * `willSendResponse`. The analysis, its cache and the decision live in engine.ts, shared with the
 * module's `onOperation` (operation.ts).
 */
import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestContext,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestListener,
} from '@apollo/server';
import { ensureSecurityState, type RampartModule, RESOLVED, type SecurityState, syncPlugin } from '@rampart/core';
import type { GraphQLSchema } from 'graphql';
import { actualCost } from './actual.js';
import { enforcedCost, type OperationAnalysis } from './analyze.js';
import { costDirectivesTypeDefs } from './directives.js';
import { LimitsEngine } from './engine.js';
import { limitsOperationHook } from './operation.js';
import { type LimitsOptions, type ResolvedLimitsOptions, resolveLimitsOptions } from './options.js';

/** The plugin object, with its cache exposed for tests and metrics. */
export interface LimitsPlugin extends ApolloServerPlugin<BaseContext> {
  /** Resolved options. */
  readonly options: ResolvedLimitsOptions;
  /** Entries in the per-document cache of the given schema. */
  cacheSize(schema: GraphQLSchema): number;
}

/**
 * The limits plugin for Apollo Server 5. Writes `state.cost.estimated` in `didResolveOperation` and
 * `state.cost.actual` at the start of `willSendResponse`; records every rejection (or, in measure
 * mode, every would-be rejection) in the security state.
 * @param options - limits options (see {@link LimitsOptions}).
 */
export function limitsPlugin(options?: LimitsOptions): LimitsPlugin {
  return pluginFor(new LimitsEngine(resolveLimitsOptions(options)));
}

/** The Apollo plugin over an engine (its cache shared with the module's `onOperation`). */
function pluginFor(engine: LimitsEngine): LimitsPlugin {
  const opts = engine.options;

  /** One request: prototype hooks, so a request allocates this object and no closures. */
  class LimitsListener {
    analysis: OperationAnalysis | undefined;
    constructor(readonly state: SecurityState) {}

    didResolveOperation(ctx: GraphQLRequestContextDidResolveOperation<BaseContext>): Promise<void> {
      try {
        decide(this, ctx);
        return RESOLVED;
      } catch (error) {
        return Promise.reject(error);
      }
    }

    willSendResponse(ctx: GraphQLRequestContextWillSendResponse<BaseContext>): Promise<void> {
      finish(this, ctx);
      return RESOLVED;
    }
  }

  const start = (requestContext: GraphQLRequestContext<BaseContext>): GraphQLRequestListener<BaseContext> =>
    new LimitsListener(
      ensureSecurityState(requestContext.contextValue as object),
    ) as GraphQLRequestListener<BaseContext>;

  function decide(l: LimitsListener, ctx: GraphQLRequestContextDidResolveOperation<BaseContext>): void {
    const a = engine.analysisFor({
      schema: ctx.schema,
      document: ctx.document,
      operationName: ctx.operationName,
      queryHash: ctx.queryHash,
      variables: ctx.request.variables,
    });
    l.analysis = a;
    engine.decide(l.state, a, ctx.logger);
  }

  function finish(l: LimitsListener, ctx: GraphQLRequestContextWillSendResponse<BaseContext>): void {
    // Synchronous up to the write of `cost.actual`, so plugins listed after this one see it.
    const analysis = l.analysis;
    if (!analysis || !ctx.document) return;
    const body = ctx.response.body;
    if (body.kind !== 'single') return;
    const result = body.singleResult;
    // The actual cost walks the response along the operation: done only when someone reads it
    // (the rate limiter's refund, the audit record, `exposeCost`), at most once per request.
    const data = result.data;
    const document = ctx.document;
    const compute = (): number | undefined => {
      if (data === undefined || data === null) return undefined;
      const figures = actualCost(ctx.schema, document, data, {
        operationName: ctx.operationName,
        variables: ctx.request.variables,
        mutationBase: opts.cost.mutationBase,
        workBudget: opts.workBudget,
      });
      return opts.cost.model === 'ibm' ? figures.fieldCost : figures.cost;
    };
    if (data !== undefined && data !== null) l.state.cost.deferActual(compute);
    if (opts.exposeCost) {
      // merged with what another package (the rate limiter's budget) puts under `cost`
      result.extensions = {
        ...result.extensions,
        cost: {
          ...(result.extensions?.cost as Record<string, unknown> | undefined),
          estimated: enforcedCost(analysis, opts),
          ...(l.state.cost.actual !== undefined ? { actual: l.state.cost.actual } : {}),
          ...(opts.cost.max !== false ? { max: opts.cost.max } : {}),
        },
      };
    }
  }

  return syncPlugin<LimitsPlugin>(start, {
    options: opts,
    cacheSize: (schema: GraphQLSchema) => engine.cacheSize(schema),
    // the server's logger, for measure-mode warnings outside Apollo's requests (graphql-ws)
    async serverWillStart({ logger }) {
      engine.logger = logger;
    },
  } as LimitsPlugin);
}

/**
 * The limits package as a {@link RampartModule} for `rampart()`: the `@cost`/`@listSize` SDL, the
 * plugin, and `onOperation` (the same checks for subscriptions over graphql-ws, sharing the plugin's
 * analysis cache). Place it before the rate-limit module (which reads `state.cost`).
 */
export function limitsModule(options?: LimitsOptions): RampartModule {
  const engine = new LimitsEngine(resolveLimitsOptions(options));
  return {
    name: 'limits',
    phase: 'checks',
    typeDefs: costDirectivesTypeDefs,
    plugins: [pluginFor(engine)],
    onOperation: limitsOperationHook(engine),
  };
}
