import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestContext,
  GraphQLRequestContextDidEncounterErrors,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestContextExecutionDidStart,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestListener,
  GraphQLRequestListenerValidationDidEnd,
  GraphQLServerContext,
} from '@apollo/server';
import {
  attachSecurityState,
  type Clock,
  ErrorCode,
  ensureSecurityState,
  errorCodeOf,
  getSecurityState,
  RampartConfigError,
  rampartError,
  runHook,
  type SecurityState,
  type SynchronousStartPlugin,
} from '@rampart/core';
import type { GraphQLError } from 'graphql';
import {
  labelPersistedQueryErrors,
  replaceEngineParseErrors,
  SUGGESTION,
  stripCoercionSuggestions,
} from './client-errors.js';
import { DEADLINE, Deadline } from './deadline.js';
import { checkedAtTheDoor, exceedsNesting, nestingError, recordNestingRefusal } from './nesting.js';
import type { HardeningOptions } from './options.js';

/** The message unexpected errors get when masked. */
export const MASKED_MESSAGE = 'Internal server error';

/**
 * Where a masked error keeps the server-side error it hides (not `originalError`: Apollo would put its
 * stack, message included, in the response's `extensions.stacktrace`). The hardening plugin logs it.
 */
export const MASKED_CAUSE: unique symbol = Symbol('rampart.apollo.masked-cause') as never;

/** Removes schema suggestions from validation errors (the `hideSchemaDetailsFromClientErrors` option). */
async function stripSuggestions(errors?: readonly Error[]): Promise<void> {
  for (const error of errors ?? []) error.message = error.message.replace(SUGGESTION, '');
}

/** Counts the operations of one batched HTTP request (they share one headers object). */
const batchSizes = new WeakMap<object, number>();

/** What every request listener of one hardening plugin shares. */
interface HardeningShared {
  readonly options: Readonly<HardeningOptions>;
  readonly clock: Clock;
}

/** One request of the hardened preset: prototype hooks, so a request allocates this object and no closures. */
class HardeningListener implements GraphQLRequestListener<BaseContext> {
  #deadline: Deadline | undefined;
  /** This request was refused for its nesting (recorded once). */
  #nestingRefused = false;

  constructor(
    private readonly shared: HardeningShared,
    private readonly state: SecurityState,
    private readonly ctx: object,
    private readonly batchIndex: number,
    /** The HTTP request's state (in a batch, the one whose id all operations share, not `id#i`). */
    private readonly requestState: SecurityState,
  ) {}

  /**
   * True (once per request: the refusal is then recorded) when `source` nests deeper than allowed and
   * the door (`rampart().context`) did not check it: `hardeningPlugin` used alone, another integration,
   * a persisted query sent by hash.
   */
  #refuseNesting(source: string | undefined): boolean {
    const max = this.shared.options.maxNesting;
    if (this.#nestingRefused || source === undefined || source.length <= max) return false;
    if (checkedAtTheDoor(this.requestState, source) || !exceedsNesting(source, max)) return false;
    this.#nestingRefused = true;
    recordNestingRefusal(this.state, max);
    return true;
  }

  didResolveOperation(rc: GraphQLRequestContextDidResolveOperation<BaseContext>): Promise<void> {
    return runHook(this, this.#checkOperation, rc);
  }

  #checkOperation(rc: GraphQLRequestContextDidResolveOperation<BaseContext>): void {
    // also for a document from Apollo's cache (parsed and validated once, then never again)
    if (this.#refuseNesting(rc.source)) throw nestingError(this.shared.options.maxNesting);
    const batching = this.shared.options.batching;
    if (this.batchIndex < 0 || batching === false) return;
    const size = batchSizes.get(rc.request.http?.headers ?? this.ctx) ?? 0;
    if (size <= batching) return;
    this.state.record({
      source: 'apollo',
      outcome: 'denied',
      code: ErrorCode.MAX_BATCH_SIZE_LIMIT,
      rule: 'batching',
      reason: `batch of ${size} operations, at most ${batching} allowed`,
      details: { measured: size, max: batching },
    });
    throw rampartError(
      ErrorCode.MAX_BATCH_SIZE_LIMIT,
      `Batched request has ${size} operations; at most ${batching} are allowed.`,
      { details: { batch: { size, max: batching } } },
    );
  }

  async validationDidStart(): Promise<GraphQLRequestListenerValidationDidEnd | undefined> {
    // only when Apollo validates (a document not in its cache), so this costs nothing per request
    return this.shared.options.hideSchemaDetailsFromClientErrors ? stripSuggestions : undefined;
  }

  executionDidStart(rc: GraphQLRequestContextExecutionDidStart<BaseContext>): Promise<void> {
    return runHook(this, this.#startDeadline, rc);
  }

  #startDeadline(rc: GraphQLRequestContextExecutionDidStart<BaseContext>): void {
    const ms = this.shared.options.executionTimeoutMs;
    if (ms === false) return;
    const deadline = new Deadline(ms, this.shared.clock);
    this.#deadline = deadline;
    (rc.contextValue as Record<symbol, unknown>)[DEADLINE] = deadline;
  }

  didEncounterErrors(rc: GraphQLRequestContextDidEncounterErrors<BaseContext>): Promise<void> {
    return runHook(this, this.#shapeErrors, rc);
  }

  #shapeErrors(rc: GraphQLRequestContextDidEncounterErrors<BaseContext>): void {
    const { hideSchemaDetailsFromClientErrors, maxNesting, maskErrors } = this.shared.options;
    // Apollo formats this very array into the response once every plugin's hook has run
    if (this.#refuseNesting(rc.source)) {
      // a parse or validation failure of a document too deep: the refusal says why, nothing else
      (rc.errors as GraphQLError[]).splice(0, rc.errors.length, nestingError(maxNesting));
    } else if (rc.document === undefined) {
      labelPersistedQueryErrors(rc, rc.errors);
      if (replaceEngineParseErrors(rc.errors, maxNesting)) recordNestingRefusal(this.state, maxNesting);
    } else if (hideSchemaDetailsFromClientErrors) {
      stripCoercionSuggestions(rc.errors);
    }
    if (!maskErrors) return;
    for (const error of rc.errors) {
      const code = errorCodeOf(error);
      if (code === undefined || code === ErrorCode.INTERNAL_SERVER_ERROR) {
        rc.logger.error(
          `[rampart] request ${this.state.requestId}: ${error.originalError?.stack ?? error.stack ?? error.message}`,
        );
      }
    }
  }

  willSendResponse(rc: GraphQLRequestContextWillSendResponse<BaseContext>): Promise<void> {
    return runHook(this, this.#finishResponse, rc);
  }

  #finishResponse(rc: GraphQLRequestContextWillSendResponse<BaseContext>): void {
    const { requestIdHeader, maskErrors, exposeRequestId } = this.shared.options;
    const deadline = this.#deadline;
    if (deadline) {
      // also the end of execution for Rampart: the timer stops here (no executionDidEnd listener)
      deadline.stop();
      // a deadline that passed while the last resolvers ran, with nothing refused, cut nothing: the
      // response is complete and is answered as it is
      if (deadline.expired && deadline.refused > 0) finishTimeout(rc, deadline, this.state);
    }
    if (maskErrors) maskUnexpected(rc, this.state);
    // decided last, after the timeout and masking have shaped the response
    if (exposeRequestId === 'never') return;
    if (exposeRequestId === 'always' || errorsOf(rc)?.errors !== undefined || (rc.response.http.status ?? 200) >= 400) {
      rc.response.http.headers.set(requestIdHeader, this.requestState.requestId);
    } else {
      // 'errors' (and 'auto' without an audit log): a well-formed id the client sent is echoed
      const incoming = rc.request.http?.headers.get(requestIdHeader);
      if (incoming !== undefined && incoming === this.requestState.requestId) {
        rc.response.http.headers.set(requestIdHeader, incoming);
      }
    }
  }
}

/**
 * The Apollo plugin of the hardened preset: request id, batch cap, execution deadline, error masking,
 * no schema suggestions in validation errors. The last is done here rather than by Apollo's
 * `hideSchemaDetailsFromClientErrors`, which installs a plugin of its own that starts a request
 * listener on every request (and each listener costs every request about a microsecond).
 * Pure per-operation work; it never instruments fields (no `willResolveField`).
 */
export function hardeningPlugin(options: Readonly<HardeningOptions>, clock: Clock): SynchronousStartPlugin {
  const shared: HardeningShared = { options, clock };
  let logger: GraphQLServerContext['logger'] | undefined;
  return {
    async serverWillStart(service) {
      logger = service.logger;
    },
    async contextCreationDidFail({ error }) {
      // a misconfiguration (a context call of no shape Rampart knows): the client got a masked 500,
      // the operator needs the reason
      const cause = (error as { [MASKED_CAUSE]?: unknown })[MASKED_CAUSE];
      if (cause instanceof RampartConfigError) {
        const id = getSecurityState(error)?.requestId ?? 'unknown';
        (logger ?? console).error(`[rampart] request ${id}: ${cause.stack ?? cause.message}`);
      }
    },
    startRequest: (requestContext) => startRequest(shared, requestContext),
    async requestDidStart(requestContext) {
      return startRequest(shared, requestContext);
    },
  };
}

/** The listener of one request; counts the operations of a batch (see `batchSizes`). */
function startRequest(shared: HardeningShared, requestContext: GraphQLRequestContext<BaseContext>): HardeningListener {
  const { clock } = shared;
  const ctx = requestContext.contextValue as object;
  let state = ensureSecurityState(ctx, { clock });
  const requestState = state;
  let batchIndex = -1;
  if (requestContext.requestIsBatched) {
    // Apollo starts every operation of a batch synchronously before any of them is parsed, so
    // the count is complete before the first didResolveOperation runs.
    const key = requestContext.request.http?.headers ?? ctx;
    batchIndex = batchSizes.get(key) ?? 0;
    batchSizes.set(key, batchIndex + 1);
    state = state.fork(batchIndex);
    attachSecurityState(ctx, state);
  }
  return new HardeningListener(shared, state, ctx, batchIndex, requestState);
}

function errorsOf(rc: GraphQLRequestContext<BaseContext>) {
  const body = rc.response.body;
  return body?.kind === 'single' ? body.singleResult : body?.kind === 'incremental' ? body.initialResult : undefined;
}

/** One EXECUTION_TIMEOUT error instead of one per refused resolver, and HTTP 503. */
function finishTimeout(rc: GraphQLRequestContext<BaseContext>, deadline: Deadline, state: SecurityState): void {
  const result = errorsOf(rc);
  state.record({
    source: 'apollo',
    outcome: 'limited',
    code: ErrorCode.EXECUTION_TIMEOUT,
    rule: 'executionTimeoutMs',
    reason: `deadline of ${deadline.ms} ms passed; ${deadline.refused} resolver starts refused`,
    details: { max: deadline.ms, refused: deadline.refused },
  });
  rc.response.http.status = 503;
  if (!result?.errors) return;
  let first = true;
  const kept = result.errors.filter((e) => {
    if (e.extensions?.code !== ErrorCode.EXECUTION_TIMEOUT) return true;
    if (!first) return false;
    first = false;
    return true;
  });
  const timeoutError = kept.find((e) => e.extensions?.code === ErrorCode.EXECUTION_TIMEOUT);
  if (timeoutError) {
    (timeoutError as { extensions?: Record<string, unknown> }).extensions = {
      ...timeoutError.extensions,
      timeout: { ms: deadline.ms, refusedResolvers: deadline.refused },
    };
  }
  (result as { errors?: unknown }).errors = kept;
}

/** Masks unexpected errors, keeping the request id so support can find the server-side log line. */
function maskUnexpected(rc: GraphQLRequestContext<BaseContext>, state: SecurityState): void {
  const result = errorsOf(rc);
  if (!result?.errors) return;
  (result as { errors?: unknown }).errors = result.errors.map((e) => {
    const code = e.extensions?.code;
    if (code !== undefined && code !== ErrorCode.INTERNAL_SERVER_ERROR) return e;
    return {
      message: MASKED_MESSAGE,
      ...(e.locations ? { locations: e.locations } : {}),
      ...(e.path ? { path: e.path } : {}),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, requestId: state.requestId },
    };
  });
}
