import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
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
}

/**
 * The contract between a Rampart package and `@rampart/apollo`: each package exports a function
 * `xxxModule(options): RampartModule`, and `rampart()` composes the modules in a fixed order.
 * Every part is optional.
 */
export interface RampartModule {
  /** The package's short name (`'limits'`, `'auth'`, …), used in errors and decisions. */
  readonly name: string;
  /** SDL of the directives the package understands (definitions only). */
  readonly typeDefs?: string;
  /** A synchronous schema transform (e.g. wrapping only the fields that declare something). */
  transformSchema?(schema: GraphQLSchema): GraphQLSchema;
  /** Apollo plugins, in the order they must run. */
  readonly plugins?: readonly ApolloServerPlugin<BaseContext>[];
  /**
   * Runs in `rampart().context`, once per HTTP request, after the security state exists and before
   * the user's context function: authentication sets `state.principal` here. Throw a
   * `rampartError` (e.g. 401) to refuse the request.
   */
  onRequest?(state: SecurityState, request: RequestInfo): void | Promise<void>;
}

/** What {@link requestInfoFrom} reads of Node's `IncomingMessage` (standalone, express, …). */
export interface NodeRequestLike {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly socket?: { readonly remoteAddress?: string | undefined } | undefined;
}

/** Builds {@link RequestInfo} from Node's request: names lower-cased, repeated headers joined with `, `. */
export function requestInfoFrom(req: NodeRequestLike | undefined): RequestInfo {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(req?.headers ?? {})) {
    if (value === undefined) continue;
    headers.set(name.toLowerCase(), typeof value === 'string' ? value : value.join(', '));
  }
  return { headers, remoteAddress: req?.socket?.remoteAddress };
}
