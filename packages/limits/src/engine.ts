/**
 * What the Apollo plugin (`didResolveOperation`) and the transport-agnostic `onOperation` hook share:
 * the per-schema cache of variable-independent analyses, and the decision on one analysis (write
 * `state.cost.estimated` and the slot, record every violation, refuse on the first one). One
 * implementation, two adapters.
 */
import { createHash } from 'node:crypto';
import { rampartError, type SecurityState } from '@rampart/core';
import { type DocumentNode, type GraphQLSchema, Kind } from 'graphql';
import { analyzeWithResolved, type OperationAnalysis } from './analyze.js';
import { LruCache } from './lru.js';
import type { ResolvedLimitsOptions } from './options.js';
import { enforcedCost } from './verdict.js';

/** What the analysis of one request keeps per request, for tests and other adapters (`state.slots.get(LIMITS_SLOT)`). */
export const LIMITS_SLOT: unique symbol = Symbol.for('rampart.limits.analysis') as never;

/** Where measure-mode warnings go. Apollo's `Logger` fits (only `warn` is used). */
export interface LimitsLogger {
  /** Logs one warning. */
  warn(message: string): unknown;
}

/** The analyses of one schema's operations that do not depend on variables. */
interface SchemaCache {
  readonly byDocument: WeakMap<DocumentNode, Map<string, OperationAnalysis>>;
  readonly byHash: LruCache<string, OperationAnalysis>;
}

/** Variants kept per prepared document whose analysis depends on variables (one per set of values). */
const PREPARED_VARIANTS = 64;
/** Longest JSON of a request's variables used as a variant's key (longer: analyzed, not kept). */
const MAX_VARIANT_KEY = 2048;

/** A document known in advance: the schema it was prepared for, its variable-dependent analyses. */
interface PreparedDocument {
  readonly schema: GraphQLSchema;
  readonly variants: LruCache<string, OperationAnalysis>;
}

/** One operation to analyze, as either adapter knows it. */
export interface LimitsRequest {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  /** The name of the operation that runs (`null` for the lone anonymous one). */
  readonly operationName: string | null;
  /** SHA-256 (hex) of the query text, Apollo's `queryHash`, when the adapter has it. */
  readonly queryHash?: string | undefined;
  /** The query text, hashed (SHA-256, like Apollo) only when the document cache misses and no `queryHash` is given. */
  readonly query?: string | undefined;
  /** The request's variables (untrusted JSON). */
  readonly variables: Readonly<Record<string, unknown>> | null | undefined;
}

/** The cache and the decision of one limits plugin/module (one per `limitsPlugin()` call). */
export class LimitsEngine {
  readonly options: ResolvedLimitsOptions;
  /** Where warnings go outside Apollo's requests (the server's logger once it started; before: `console`). */
  logger: LimitsLogger = console;
  // Two levels per schema: Apollo hands out the same DocumentNode for every request of a cached
  // query, so a WeakMap on the document object finds the analysis without hashing a string (entries
  // go when Apollo's document cache drops the document); the LRU by query hash serves servers whose
  // document cache is off (a fresh DocumentNode per request) and graphql-ws subscribe messages.
  readonly #caches = new WeakMap<GraphQLSchema, SchemaCache>();
  /**
   * Documents known in advance (trusted documents, see {@link LimitsEngine.prepare}): their
   * variable-dependent analyses are kept per operation name and variable values.
   */
  readonly #prepared = new WeakMap<DocumentNode, PreparedDocument>();

  constructor(options: ResolvedLimitsOptions) {
    this.options = options;
  }

  /** Entries in the per-query-hash cache of the given schema. */
  cacheSize(schema: GraphQLSchema): number {
    return this.#caches.get(schema)?.byHash.size ?? 0;
  }

  /**
   * Analyzes every operation of a document known in advance (a trusted document, once, at load) and
   * keeps the analyses that no variable influences, under the document object every request of it
   * brings; for the others, the analysis of each set of variable values is kept once computed (a
   * bounded number per document), so a request pays only for values not seen before.
   */
  prepare(schema: GraphQLSchema, document: DocumentNode): void {
    if (this.options.cacheSize > 0) this.#prepared.set(document, { schema, variants: new LruCache(PREPARED_VARIANTS) });
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      this.analysisFor({ schema, document, operationName: definition.name?.value ?? null, variables: undefined });
    }
  }

  /** The analysis of the request's operation: cached when no variable influenced it. */
  analysisFor(r: LimitsRequest): OperationAnalysis {
    const cache = this.#cacheFor(r.schema);
    const name = r.operationName ?? '';
    const hit = cache.byDocument.get(r.document)?.get(name);
    if (hit) return hit;
    const prepared = this.#prepared.get(r.document);
    if (prepared === undefined || prepared.schema !== r.schema) return this.#analyze(r, cache, name);
    const variants = prepared.variants;
    const key = `${name}\u0000${JSON.stringify(r.variables ?? {})}`;
    if (key.length > MAX_VARIANT_KEY) return this.#analyze(r, cache, name);
    let a = variants.get(key);
    if (a === undefined) {
      a = this.#analyze(r, cache, name);
      if (a.variableDependent) variants.set(key, a);
    }
    return a;
  }

  #analyze(r: LimitsRequest, cache: SchemaCache, name: string): OperationAnalysis {
    const opts = this.options;
    let perDocument = cache.byDocument.get(r.document);
    const hash = r.queryHash ?? (typeof r.query === 'string' ? sha256Hex(r.query) : undefined);
    const key = hash === undefined ? undefined : `${hash}\u0000${name}`;
    let a = key === undefined ? undefined : cache.byHash.get(key);
    if (!a) {
      a = analyzeWithResolved(r.schema, r.document, opts, r.operationName, r.variables ?? undefined);
      if (!a.variableDependent && key !== undefined) cache.byHash.set(key, a);
    }
    if (!a.variableDependent && opts.cacheSize > 0) {
      if (!perDocument) {
        perDocument = new Map();
        cache.byDocument.set(r.document, perDocument);
      }
      perDocument.set(name, a);
    }
    return a;
  }

  /**
   * Applies an analysis to a request's security state: the slot, `state.cost.estimated`, one decision
   * per violation (`'denied'`, or `'measured'` in measure mode, then a warning through `logger`).
   * @throws the `rampartError` of the first violation, in enforce mode.
   */
  decide(state: SecurityState, a: OperationAnalysis, logger: LimitsLogger): void {
    const opts = this.options;
    state.slots.set(LIMITS_SLOT, a);
    state.cost.estimated = enforcedCost(a, opts);
    if (a.violations.length === 0) return;
    const enforce = opts.mode === 'enforce';
    for (const v of a.violations) {
      state.record({
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
      logger.warn(`rampart limits (measure mode): ${a.violations.map((v) => v.message).join(' ')}`);
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

  #cacheFor(schema: GraphQLSchema): SchemaCache {
    let c = this.#caches.get(schema);
    if (!c) {
      c = { byDocument: new WeakMap(), byHash: new LruCache(this.options.cacheSize) };
      this.#caches.set(schema, c);
    }
    return c;
  }
}

/** SHA-256 (hex) of a query text: Apollo's `queryHash`, so HTTP and graphql-ws share cache entries. */
function sha256Hex(query: string): string {
  return createHash('sha256').update(query).digest('hex');
}
