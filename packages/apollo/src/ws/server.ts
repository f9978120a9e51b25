/**
 * `rampart().graphqlWs(options)`: the graphql-ws server hooks that guard subscriptions (and queries
 * and mutations sent over the socket) exactly as Apollo's HTTP pipeline is guarded. Spread them into
 * `useServer({ schema, ...security.graphqlWs({ context }) }, wsServer)`.
 */
import {
  type Clock,
  ErrorCode,
  type OperationEnd,
  type OperationHandle,
  RampartConfigError,
  type RampartModule,
  rampartError,
  rampartObserver,
  SecurityState,
} from '@rampart/core';
import {
  type GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  type ValidationRule,
} from 'graphql';
import type {
  ExecutionResult,
  FormattedExecutionResult,
  ServerOptions,
  SubscribeMessage,
  SubscribePayload,
} from 'graphql-ws';
import type { HardeningOptions } from '../options.js';
import { requestSteps } from '../request-state.js';
import type { WsDocumentStep } from '../trusted/ws-step.js';
import {
  admitMessage,
  armExpiry,
  type Connection,
  type ConnectionSettings,
  closeConnection,
  disarmExpiry,
  expired,
  openConnection,
  WsCloseCode,
} from './connection.js';
import { formatWsErrors, type WsErrorLogger } from './errors.js';
import { isRefusalRecorder, type OperationSettings, prepareOperation } from './operation.js';
import {
  type GraphqlWsOptions,
  type ResolvedGraphqlWsOptions,
  resolveGraphqlWsOptions,
  type WsContext,
  type WsExtra,
} from './options.js';
import { maxRecursiveSelectionsRule } from './recursive-selections.js';

/** The graphql-ws server options `graphqlWs()` returns: spread them into `useServer` (do not override them). */
export type GraphqlWsServerOptions = Required<
  Pick<
    ServerOptions<Record<string, unknown> | undefined, WsExtra>,
    'onConnect' | 'onSubscribe' | 'onNext' | 'onError' | 'onComplete' | 'onPing' | 'onPong' | 'onClose'
  >
>;

/** What `graphqlWs()` needs of `rampart()`. */
export interface GraphqlWsSettings {
  readonly modules: readonly RampartModule[];
  readonly hardening: Readonly<HardeningOptions>;
  readonly clock: Clock;
  readonly logger: WsErrorLogger;
  /** The API-key header name of the authentication options. */
  readonly apiKeyHeader: string;
  /** The schema `transformSchema` returned last, if it ran. */
  schema(): GraphQLSchema | undefined;
  /** Trusted documents' decision per `subscribe` message, when configured. */
  readonly trustedDocuments?: WsDocumentStep | undefined;
}

/** One admitted subscription, found again by its `subscribe` payload (the same object in every hook). */
interface ActiveSubscription {
  readonly state: SecurityState;
  readonly conn: Connection;
  readonly shapers: readonly OperationHandle[];
  readonly enders: readonly OperationHandle[];
  results: number;
  lastErrors: readonly GraphQLError[] | undefined;
  errored: boolean;
}

/** Builds the hooks (see {@link GraphqlWsServerOptions}). */
export function graphqlWsHooks<TContext extends object>(
  settings: GraphqlWsSettings,
  userOptions?: GraphqlWsOptions<TContext>,
): GraphqlWsServerOptions {
  const guard = new GraphqlWsGuard(settings, resolveGraphqlWsOptions(userOptions));
  return {
    onConnect: (ctx) => guard.connect(ctx),
    onSubscribe: (ctx, id, payload) => guard.subscribe(ctx, id, payload),
    onNext: (_ctx, _id, payload, _args, result) => guard.next(payload, result),
    onError: (_ctx, _id, payload, errors) => guard.error(payload, errors),
    onComplete: (ctx, id, payload) => guard.complete(ctx, id, payload),
    onPing: (ctx) => guard.heartbeat(ctx),
    onPong: (ctx) => guard.heartbeat(ctx),
    onClose: (ctx) => guard.close(ctx),
  };
}

/** The state behind the hooks: open connections and admitted subscriptions. */
class GraphqlWsGuard {
  readonly #settings: GraphqlWsSettings;
  readonly #options: ResolvedGraphqlWsOptions;
  readonly #operationSettings: OperationSettings;
  readonly #connectionSettings: ConnectionSettings;
  readonly #connections = new WeakMap<WsContext, Connection>();
  readonly #active = new WeakMap<SubscribePayload, ActiveSubscription>();

  constructor(settings: GraphqlWsSettings, options: ResolvedGraphqlWsOptions) {
    this.#settings = settings;
    this.#options = options;
    this.#operationSettings = operationSettingsOf(settings);
    this.#connectionSettings = {
      // a connection is not an operation: `onHttpRequest` steps (the rate limits' admission) do not
      // run here; each `subscribe` is charged by the modules' onOperation
      requestModules: requestSteps(settings.modules, 'onRequest'),
      clock: settings.clock,
      apiKeyHeader: settings.apiKeyHeader.toLowerCase(),
      requestIdHeader: settings.hardening.requestIdHeader,
    };
  }

  async connect(ctx: WsContext): Promise<false | undefined> {
    const { clock, logger } = this.#settings;
    const conn = await openConnection(this.#connectionSettings, ctx);
    if (conn === undefined) return false;
    this.#connections.set(ctx, conn);
    armExpiry(ctx, conn, clock, () => {
      conn.closed = true;
      if (!closeConnection(ctx, WsCloseCode.UNAUTHORIZED, 'Token expired')) {
        logger.error('[rampart] graphql-ws: a token expired on a connection Rampart cannot close');
      }
    });
    return conn.closed ? false : undefined;
  }

  async subscribe(ctx: WsContext, id: string, payload: SubscribePayload): Promise<SubscribeResult> {
    const { clock, logger } = this.#settings;
    const conn = this.#connections.get(ctx);
    const schema = this.#options.schema ?? this.#settings.schema();
    if (conn === undefined || schema === undefined) return [misconfigured(logger, conn)];
    if (!(await this.#throttle(ctx, conn))) return [tooManyMessages()];
    const state = new SecurityState({ clock, headers: conn.headers, principal: conn.principal });
    if (expired(conn, clock)) return refuseExpired(ctx, conn, state);
    // counted from admission (the operation is known, so a refusal is audited) until its end
    let counted = false;
    const admit = () => {
      if (conn.active >= this.#options.maxSubscriptionsPerConnection) return tooManySubscriptions(state, this.#options);
      conn.active++;
      counted = true;
      return undefined;
    };
    const context = this.#options.context;
    const message = { id, type: 'subscribe', payload } as SubscribeMessage;
    const admitted = await prepareOperation(
      this.#operationSettings,
      schema,
      state,
      payload,
      context === undefined ? undefined : (args) => context(ctx, message, args, state),
      admit,
    );
    if (Array.isArray(admitted)) {
      if (counted) conn.active--;
      rampartObserver()?.operationEnd?.(state); // telemetry: the refusal's decisions
      return admitted as readonly GraphQLError[];
    }
    const { args, shapers, enders } = admitted as Exclude<typeof admitted, readonly GraphQLError[]>;
    this.#active.set(payload, { state, conn, shapers, enders, results: 0, lastErrors: undefined, errored: false });
    rampartObserver()?.subscriptions?.(1);
    return args;
  }

  next(payload: SubscribePayload, result: ExecutionResult): FormattedExecutionResult | undefined {
    const sub = this.#active.get(payload);
    let shaped: ExecutionResult = result;
    if (sub !== undefined) {
      sub.results++;
      for (const h of sub.shapers) shaped = h.shapeResult!(shaped as never) as ExecutionResult;
    }
    const errors = shaped.errors;
    if (errors !== undefined && errors.length > 0) {
      if (sub !== undefined) sub.lastErrors = errors;
      const { hardening, logger } = this.#settings;
      return {
        ...shaped,
        errors: formatWsErrors(errors, sub?.state, hardening.maskErrors, logger),
      } as FormattedExecutionResult;
    }
    return shaped === result ? undefined : (shaped as FormattedExecutionResult);
  }

  error(payload: SubscribePayload, errors: readonly GraphQLError[]): GraphQLFormattedError[] {
    const sub = this.#active.get(payload);
    if (sub !== undefined) {
      sub.errored = true;
      sub.lastErrors = errors;
    }
    return formatWsErrors(errors, sub?.state, this.#settings.hardening.maskErrors, this.#settings.logger);
  }

  async complete(ctx: WsContext, id: string, payload: SubscribePayload): Promise<void> {
    const sub = this.#active.get(payload);
    if (sub === undefined) return;
    this.#active.delete(payload);
    sub.conn.active--;
    const observer = rampartObserver();
    observer?.subscriptions?.(-1);
    const outcome = sub.errored ? 'error' : id in ctx.subscriptions ? 'completed' : 'stopped';
    const ended: OperationEnd = { outcome, results: sub.results, errors: sub.lastErrors };
    for (const h of sub.enders) {
      try {
        await h.end!(ended);
      } catch (error) {
        this.#settings.logger.error(
          `[rampart] graphql-ws: ending request ${sub.state.requestId} failed: ${String(error)}`,
        );
      }
    }
    observer?.operationEnd?.(sub.state);
  }

  /** A ping or pong: counted like any other message. */
  async heartbeat(ctx: WsContext): Promise<void> {
    const conn = this.#connections.get(ctx);
    if (conn !== undefined) await this.#throttle(ctx, conn);
  }

  close(ctx: WsContext): void {
    const conn = this.#connections.get(ctx);
    if (conn === undefined) return;
    disarmExpiry(conn);
    this.#connections.delete(ctx);
  }

  /** Counts a message; false when the connection was closed for it (4429). */
  async #throttle(ctx: WsContext, conn: Connection): Promise<boolean> {
    const wait = admitMessage(conn, this.#settings.clock, this.#options.maxMessagesPerSecond);
    if (wait === 0) return true;
    if (wait < 0) {
      if (!closeConnection(ctx, WsCloseCode.TOO_MANY_MESSAGES, 'Too many messages'))
        throw new Error('Too many messages');
      conn.closed = true;
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
    return !conn.closed;
  }
}

/** What `onSubscribe` answers: the execution arguments, or the errors that refuse the operation. */
type SubscribeResult = Awaited<ReturnType<GraphqlWsServerOptions['onSubscribe']>>;

/** A subscribe on a connection whose token has expired: recorded, the connection closed (4401). */
function refuseExpired(ctx: WsContext, conn: Connection, state: SecurityState): readonly GraphQLError[] {
  state.record({ source: 'auth', outcome: 'denied', code: ErrorCode.UNAUTHENTICATED, reason: 'token expired' });
  conn.closed = true;
  closeConnection(ctx, WsCloseCode.UNAUTHORIZED, 'Token expired');
  return [rampartError(ErrorCode.UNAUTHENTICATED, 'The access token has expired')];
}

/** The validation rules and the modules' order, computed once. */
function operationSettingsOf(settings: GraphqlWsSettings): OperationSettings {
  const { hardening } = settings;
  const rules: ValidationRule[] = [...specifiedRules, maxRecursiveSelectionsRule(hardening.maxRecursiveSelections)];
  if (!hardening.introspection) rules.push(NoSchemaIntrospectionCustomRule);
  return {
    operationModules: settings.modules.filter((m) => m.onOperation),
    recorders: settings.modules.filter(isRefusalRecorder),
    hardening,
    rules,
    trustedDocuments: settings.trustedDocuments,
  };
}

function tooManyMessages(): GraphQLError {
  return rampartError(ErrorCode.RATE_LIMITED, 'Too many messages on this connection.');
}

function tooManySubscriptions(state: SecurityState, options: ResolvedGraphqlWsOptions): GraphQLError {
  const max = options.maxSubscriptionsPerConnection;
  state.record({
    source: 'apollo',
    outcome: 'limited',
    code: ErrorCode.RATE_LIMITED,
    rule: 'maxSubscriptionsPerConnection',
    reason: `more than ${max} active subscriptions on one connection`,
    details: { max },
  });
  return rampartError(ErrorCode.RATE_LIMITED, `At most ${max} subscriptions may be active on one connection.`, {
    details: { subscriptions: { max } },
  });
}

/** A subscribe Rampart cannot check: logged with the cause, refused as an internal error. */
function misconfigured(logger: WsErrorLogger, conn: Connection | undefined): GraphQLError {
  const cause =
    conn === undefined
      ? new RampartConfigError(
          'rampart.graphqlWs',
          "the connection was not opened by graphqlWs()'s onConnect: spread graphqlWs() last into useServer's options",
        )
      : new RampartConfigError(
          'rampart.graphqlWs',
          'no schema: call security.transformSchema(schema) first, or pass graphqlWs({ schema })',
        );
  logger.error(`[rampart] ${cause.message}`);
  return rampartError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');
}
