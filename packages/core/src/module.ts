import { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin, BaseContext, GraphQLRequestContext, GraphQLRequestListener } from '@apollo/server';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { ModuleHealth } from './health.js';
import type { OperationHook } from './operation.js';
import type { SecurityState } from './state.js';

/**
 * What the HTTP layer tells Rampart about a request, normalised by `@rampart/apollo`'s `context()`
 * from Node's `IncomingMessage` (standalone, express, …).
 */
export interface RequestInfo {
  /** Request headers, names lower-cased, repeated headers joined with `, `. */
  readonly headers: ReadonlyMap<string, string>;
  /** The socket peer address (before any trusted-proxy logic). */
  readonly remoteAddress?: string | undefined;
  /** The HTTP method (`'POST'`, `'GET'`), when the integration tells it (DPoP proofs name it). */
  readonly method?: string | undefined;
  /**
   * The request URL as the server received it: absolute when the integration knows the scheme and
   * host (a Fetch `Request`), else the request target (`/graphql?x=1`) that is resolved against the
   * `Host` header. DPoP proofs name it; `undefined` when the integration does not tell it.
   */
  readonly url?: string | undefined;
}

/**
 * When a module takes part, relative to the others. Hooks (`onRequest`, `onHttpRequest`,
 * `onOperation`, the Apollo plugins) run in phase order, modules of one phase in the order given;
 * resolver wrappers nest so that an earlier phase decides first (a call the rules deny is never
 * charged) and `audit` wraps them all (it sees every outcome).
 * - `'identity'`: who is calling and may they call at all (authentication, IP filter, shield rules).
 * - `'checks'`: whether the operation may run (limits, scopes, your own checks).
 * - `'accounting'`: what it costs the caller (rate limits, budgets, quotas).
 * - `'audit'`: records of all of the above.
 */
export type ModulePhase = 'identity' | 'checks' | 'accounting' | 'audit';

/** The phases, in the order their hooks run. */
export const MODULE_PHASES: readonly ModulePhase[] = Object.freeze(['identity', 'checks', 'accounting', 'audit']);

/**
 * An Apollo plugin that also makes its request listener without a promise. `rampart()` composes its
 * plugins into one and calls `startRequest` where Apollo would await `requestDidStart`: a request then
 * costs one promise for every plugin instead of one each. `requestDidStart` must return what `startRequest` returns; a start that must wait (an
 * admission from Redis) returns a promise, and the composite waits for it.
 */
export interface SynchronousStartPlugin extends ApolloServerPlugin<BaseContext> {
  /** The request's listener (or a promise of it when it must wait), as `requestDidStart` resolves to. */
  startRequest(
    requestContext: GraphQLRequestContext<BaseContext>,
  ): GraphQLRequestListener<BaseContext> | undefined | Promise<GraphQLRequestListener<BaseContext> | undefined>;
}

/**
 * The contract between a Rampart package and `@rampart/apollo`: each package exports a function
 * `xxxModule(options): RampartModule`, and `rampart()` composes the modules by {@link ModulePhase}.
 * Your own modules take part the same way (`rampart({ modules: [...] })`). Every part is optional.
 */
export interface RampartModule {
  /** The package's short name (`'limits'`, `'auth'`, …), used in errors and decisions. */
  readonly name: string;
  /**
   * When the module's hooks run and where its resolver wrappers nest (see {@link ModulePhase}).
   * @default 'checks'
   */
  readonly phase?: ModulePhase;
  /** SDL of the directives the package understands (definitions only). */
  readonly typeDefs?: string;
  /** A synchronous schema transform (e.g. wrapping only the fields that declare something). */
  transformSchema?(schema: GraphQLSchema): GraphQLSchema;
  /** Apollo plugins, in the order they must run. */
  readonly plugins?: readonly ApolloServerPlugin<BaseContext>[];
  /**
   * Runs once per HTTP request (in `rampart().context`, after the security state exists and before
   * the user's context function) and once per graphql-ws connection: authentication sets
   * `state.principal` here. Throw a
   * `rampartError` (e.g. 401) to refuse the request.
   */
  onRequest?(state: SecurityState, request: RequestInfo): void | Promise<void>;
  /**
   * Runs in `rampart().context` for an HTTP request only, after every module's `onRequest`: work
   * tied to one HTTP request that carries operations (the rate limits' admission before parsing).
   * Never for a graphql-ws connection, whose operations each go through `onOperation`.
   */
  onHttpRequest?(state: SecurityState, request: RequestInfo): void | Promise<void>;
  /**
   * Runs for every operation that does not go through Apollo's HTTP pipeline (a subscription over
   * graphql-ws), after parse and validation, in module order: the same checks the package's Apollo
   * plugin makes in `didResolveOperation`. Throw a `rampartError` to refuse the operation.
   */
  onOperation?: OperationHook;
  /**
   * Called once for each document known in advance (`rampart({ trustedDocuments })`), when it is
   * loaded, with the schema it was validated against: compute and keep what does not depend on the
   * request, keyed by the document object (the same object reaches every request that runs it).
   */
  prepareDocument?(schema: GraphQLSchema, document: DocumentNode): void;
  /**
   * The state of what the module depends on outside a request (a store, a JWKS, the audit
   * destination), for `rampart().health()`. Called on demand (a readiness probe); must not throw.
   */
  health?(): ModuleHealth;
}

/** What {@link requestInfoFrom} reads of Node's `IncomingMessage` (standalone, express, …). */
export interface NodeRequestLike {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly socket?: { readonly remoteAddress?: string | undefined } | undefined;
  readonly method?: string | undefined;
  /** The request target (`/graphql?x=1`); Express rewrites it under a mount path. */
  readonly url?: string | undefined;
  /** Express: the request target before mount-path rewriting. */
  readonly originalUrl?: string | undefined;
}

type RawHeaders = NodeRequestLike['headers'];

/**
 * A read-only, lower-cased view of Node's request headers that copies nothing: `get`/`has` read
 * Node's object directly (Node lower-cases header names), repeated headers are joined with `, `.
 * Iteration builds the full map once, on first use. Per request this saves a `Map` with every header.
 */
export class RequestHeaders implements ReadonlyMap<string, string> {
  readonly #raw: RawHeaders;
  #all: Map<string, string> | undefined;
  #mixed: boolean | undefined;

  /**
   * @param raw - the request's header object.
   * @param lowerCased - the names are known to be lower-cased (Node's `IncomingMessage`); otherwise
   *   the names are checked once, on the first lookup that misses.
   */
  constructor(raw: RawHeaders | undefined, lowerCased = false) {
    this.#raw = raw ?? {};
    if (lowerCased) this.#mixed = false;
  }

  /** The header's value (`name` in any case), or `undefined`. */
  get(name: string): string | undefined {
    const raw = this.#raw;
    if (Object.hasOwn(raw, name)) return joined(raw[name]);
    const lower = name.toLowerCase();
    if (lower !== name && Object.hasOwn(raw, lower)) return joined(raw[lower]);
    return this.#mixedCase() ? this.#map().get(lower) : undefined;
  }

  /** True when the header is present. */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Number of distinct headers. */
  get size(): number {
    return this.#map().size;
  }

  /** Calls `callback` for every header (names lower-cased). */
  forEach(callback: (value: string, key: string, map: ReadonlyMap<string, string>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.#map()) callback.call(thisArg, v, k, this);
  }

  /** `[name, value]` pairs, names lower-cased. */
  entries(): MapIterator<[string, string]> {
    return this.#map().entries();
  }

  /** Header names, lower-cased. */
  keys(): MapIterator<string> {
    return this.#map().keys();
  }

  /** Header values (repeated headers joined with `, `). */
  values(): MapIterator<string> {
    return this.#map().values();
  }

  /** Same as {@link RequestHeaders.entries}. */
  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.#map().entries();
  }

  #mixedCase(): boolean {
    if (this.#mixed === undefined) this.#mixed = Object.keys(this.#raw).some((k) => k !== k.toLowerCase());
    return this.#mixed;
  }

  #map(): Map<string, string> {
    if (!this.#all) {
      const all = new Map<string, string>();
      for (const [name, value] of Object.entries(this.#raw)) {
        const v = joined(value);
        if (v !== undefined) all.set(name.toLowerCase(), v);
      }
      this.#all = all;
    }
    return this.#all;
  }
}

function joined(value: string | readonly string[] | undefined): string | undefined {
  return value === undefined || typeof value === 'string' ? value : value.join(', ');
}

/** Builds {@link RequestInfo} from Node's request: names lower-cased, repeated headers joined with `, `. */
export function requestInfoFrom(req: NodeRequestLike | undefined): RequestInfo {
  const target = typeof req?.originalUrl === 'string' ? req.originalUrl : req?.url;
  return {
    headers: new RequestHeaders(req?.headers, req instanceof IncomingMessage),
    remoteAddress: req?.socket?.remoteAddress,
    method: typeof req?.method === 'string' ? req.method : undefined,
    url: typeof target === 'string' ? target : undefined,
  };
}
