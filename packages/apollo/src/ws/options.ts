/**
 * Options of `rampart().graphqlWs(options)`, resolved and checked in one place.
 */
import { check, type OptionSchema, resolveOptions, type SecurityState } from '@rampart/core';
import type { ExecutionArgs, GraphQLSchema } from 'graphql';
import type { Context, SubscribeMessage } from 'graphql-ws';

/**
 * What Rampart reads of graphql-ws's `ctx.extra`: `useServer` of `graphql-ws/use/ws` gives the `ws`
 * socket and the upgrade request. Other adapters may give neither: authentication then sees only the
 * `connection_init` payload, and refusals that need a close code throw instead (graphql-ws closes 4500).
 */
export interface WsExtra {
  /** The socket (closed with Rampart's codes: 4401, 4403, 4429). */
  readonly socket?: { close(code?: number, reason?: string): void } | undefined;
  /** The HTTP upgrade request: its headers and socket peer. */
  readonly request?:
    | {
        readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>> | undefined;
        readonly socket?: { readonly remoteAddress?: string | undefined } | undefined;
      }
    | undefined;
}

/** graphql-ws's connection context as Rampart's hooks receive it. */
export type WsContext = Context<Record<string, unknown> | undefined, WsExtra>;

/**
 * Your context function for subscriptions: called once per admitted `subscribe` message, after every
 * Rampart check passed, with graphql-ws's connection context, the `subscribe` message, the execution
 * arguments (the document Rampart will execute) and the subscription's {@link SecurityState}
 * (principal, request id). What it returns is copied, and the state is attached to the copy.
 */
export type WsUserContextFunction<TContext> = (
  ctx: WsContext,
  message: SubscribeMessage,
  args: Readonly<Pick<ExecutionArgs, 'schema' | 'document' | 'operationName' | 'variableValues'>>,
  state: SecurityState,
) => TContext | Promise<TContext>;

/** Options of `security.graphqlWs()`. */
export interface GraphqlWsOptions<TContext extends object = object> {
  /**
   * Your context function (see {@link WsUserContextFunction}).
   * @default undefined (the context value is an empty object carrying the state)
   */
  context?: WsUserContextFunction<TContext> | undefined;
  /**
   * The schema operations run against. graphql-ws's own `schema` option is not visible to these hooks.
   * @default the schema the last call of `security.transformSchema` returned
   */
  schema?: GraphQLSchema | undefined;
  /**
   * Active subscriptions (and operations) one connection may have at once; the next `subscribe` is
   * refused with an `error` message, code `RATE_LIMITED`.
   * @default 20
   */
  maxSubscriptionsPerConnection?: number;
  /**
   * Messages (`subscribe`, `ping`, `pong`) one connection may send per second. Over it, the connection
   * is slowed down (each further message waits for the next second); over twice it, the connection is
   * closed with 4429 `Too many messages`.
   * @default 50
   */
  maxMessagesPerSecond?: number;
}

/** {@link GraphqlWsOptions} resolved. */
export interface ResolvedGraphqlWsOptions {
  readonly context: WsUserContextFunction<object> | undefined;
  readonly schema: GraphQLSchema | undefined;
  readonly maxSubscriptionsPerConnection: number;
  readonly maxMessagesPerSecond: number;
}

const defaults: ResolvedGraphqlWsOptions = Object.freeze({
  context: undefined,
  schema: undefined,
  maxSubscriptionsPerConnection: 20,
  maxMessagesPerSecond: 50,
});

const schema: OptionSchema<ResolvedGraphqlWsOptions> = {
  context: check.function(),
  schema: check.object(),
  maxSubscriptionsPerConnection: check.integer(1, 100_000),
  maxMessagesPerSecond: check.integer(1, 1_000_000),
};

/** Resolves and checks the options of `graphqlWs()`. @throws RampartConfigError naming a bad option. */
export function resolveGraphqlWsOptions<TContext extends object>(
  options: GraphqlWsOptions<TContext> | undefined,
): ResolvedGraphqlWsOptions {
  return resolveOptions('rampart.graphqlWs', defaults, schema, options as Partial<ResolvedGraphqlWsOptions>);
}
