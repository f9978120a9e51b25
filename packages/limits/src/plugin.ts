/**
 * The Apollo adapter: analysis and enforcement in `didResolveOperation` (after validation, with the
 * request's variables, so Apollo's document cache cannot bypass it), the actual cost in
 * `willSendResponse` (listener.ts). The analysis, its cache and the decision live in engine.ts, shared
 * with the module's `onOperation` (operation.ts).
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ensureSecurityState, type RampartModule, type SynchronousStartPlugin } from '@rampart/core';
import type { GraphQLSchema } from 'graphql';
import { costDirectivesTypeDefs } from './directives.js';
import { LimitsEngine } from './engine.js';
import { LimitsListener } from './listener.js';
import { limitsOperationHook } from './operation.js';
import { type LimitsOptions, type ResolvedLimitsOptions, resolveLimitsOptions } from './options.js';

/** The plugin object, with its cache exposed for tests and metrics. */
export interface LimitsPlugin extends SynchronousStartPlugin {
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
  return {
    options: engine.options,
    cacheSize: (schema: GraphQLSchema) => engine.cacheSize(schema),
    // the server's logger, for measure-mode warnings outside Apollo's requests (graphql-ws)
    async serverWillStart({ logger }) {
      engine.logger = logger;
    },
    startRequest: (requestContext) =>
      new LimitsListener(engine, ensureSecurityState(requestContext.contextValue as object)),
    async requestDidStart(requestContext) {
      return new LimitsListener(engine, ensureSecurityState(requestContext.contextValue as object));
    },
  };
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
    prepareDocument: (schema, document) => engine.prepare(schema, document),
  };
}
