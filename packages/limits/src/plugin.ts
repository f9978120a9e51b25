/**
 * The Apollo adapter: analysis and enforcement in `didResolveOperation` (after validation, with the
 * request's variables, so Apollo's document cache cannot bypass it), the actual cost in
 * `willSendResponse`. Variable-independent analyses are cached per document in a bounded LRU.
 */
import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestContext,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestListener,
} from '@apollo/server';
import {
  ensureSecurityState,
  type RampartModule,
  RESOLVED,
  rampartError,
  type SecurityState,
  syncPlugin,
} from '@rampart/core';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { actualCost } from './actual.js';
import { analyzeWithResolved, enforcedCost, type OperationAnalysis } from './analyze.js';
import { costDirectivesTypeDefs } from './directives.js';
import { type LimitsOptions, type ResolvedLimitsOptions, resolveLimitsOptions } from './options.js';

/** A small LRU map (insertion order of a `Map`, refreshed on hit). */
export class LruCache<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();
  constructor(max: number) {
    this.#max = max;
  }
  /** The value, marked most recently used. */
  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }
  /** Stores a value, evicting the least recently used entry when full. */
  set(key: K, value: V): void {
    if (this.#max <= 0) return;
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value as K);
  }
  /** Number of entries. */
  get size(): number {
    return this.#map.size;
  }
}

/** The analyses of one schema's operations that do not depend on variables. */
interface SchemaCache {
  readonly byDocument: WeakMap<DocumentNode, Map<string, OperationAnalysis>>;
  readonly byHash: LruCache<string, OperationAnalysis>;
}

/** What the plugin keeps per request, for tests and other adapters (`state.slots.get(LIMITS_SLOT)`). */
export const LIMITS_SLOT: unique symbol = Symbol.for('rampart.limits.analysis') as never;

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
  const opts = resolveLimitsOptions(options);
  // Two levels per schema: Apollo hands out the same DocumentNode for every request of a cached
  // query, so a WeakMap on the document object finds the analysis without hashing a string (entries
  // go when Apollo's document cache drops the document); the LRU by query hash serves servers whose
  // document cache is off (a fresh DocumentNode per request).
  const caches = new WeakMap<GraphQLSchema, SchemaCache>();
  const cacheFor = (schema: GraphQLSchema) => {
    let c = caches.get(schema);
    if (!c) {
      c = { byDocument: new WeakMap(), byHash: new LruCache(opts.cacheSize) };
      caches.set(schema, c);
    }
    return c;
  };

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
    const cache = cacheFor(ctx.schema);
    const operationName = ctx.operationName ?? '';
    let perDocument = cache.byDocument.get(ctx.document);
    let a = perDocument?.get(operationName);
    if (!a) {
      const key = `${ctx.queryHash}\u0000${operationName}`;
      a = cache.byHash.get(key);
      if (!a) {
        a = analyzeWithResolved(ctx.schema, ctx.document, opts, ctx.operationName, ctx.request.variables ?? undefined);
        if (!a.variableDependent) cache.byHash.set(key, a);
      }
      if (!a.variableDependent && opts.cacheSize > 0) {
        if (!perDocument) {
          perDocument = new Map();
          cache.byDocument.set(ctx.document, perDocument);
        }
        perDocument.set(operationName, a);
      }
    }
    l.analysis = a;
    l.state.slots.set(LIMITS_SLOT, a);
    l.state.cost.estimated = enforcedCost(a, opts);
    if (a.violations.length === 0) return;
    const enforce = opts.mode === 'enforce';
    for (const v of a.violations) {
      l.state.record({
        source: 'limits',
        outcome: enforce ? 'denied' : 'measured',
        code: v.code,
        ...(v.coordinate ? { coordinate: v.coordinate } : {}),
        rule: v.rule,
        reason: v.message,
        details: { measured: v.measured, max: v.max },
      });
    }
    const first = a.violations[0];
    if (!enforce || !first) {
      ctx.logger.warn(`rampart limits (measure mode): ${a.violations.map((v) => v.message).join(' ')}`);
      return;
    }
    const details: Record<string, unknown> = {};
    if (first.rule === 'cost') details.cost = { estimated: first.measured, max: first.max };
    else if (opts.exposeLimits) {
      details.limit = {
        name: first.rule,
        measured: first.measured,
        max: first.max,
        ...(first.coordinate ? { coordinate: first.coordinate } : {}),
      };
    }
    throw rampartError(first.code, first.message, { details });
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
    cacheSize: (schema: GraphQLSchema) => caches.get(schema)?.byHash.size ?? 0,
  } as LimitsPlugin);
}

/**
 * The limits package as a {@link RampartModule} for `rampart()`: the `@cost`/`@listSize` SDL and the
 * plugin. Place it before the rate-limit module (which reads `state.cost`).
 */
export function limitsModule(options?: LimitsOptions): RampartModule {
  const plugin = limitsPlugin(options);
  return { name: 'limits', typeDefs: costDirectivesTypeDefs, plugins: [plugin] };
}
