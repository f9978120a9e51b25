/**
 * `rampart().context(fn)`: the context function every Apollo integration calls once per HTTP request.
 * It builds the request's security state (request id, principal), runs the modules' request steps
 * (authentication, IP filter, request-level limits), refuses documents nested too deep, then calls the
 * user's function with the integration's own arguments plus the state, and returns a copy of what the
 * user returned with the state attached.
 */
import type { BaseContext } from '@apollo/server';
import {
  attachSecurityState,
  type Clock,
  ErrorCode,
  RampartConfigError,
  type RampartModule,
  rampartError,
  rampartObserver,
  SecurityState,
} from '@rampart/core';
import type { GraphQLError } from 'graphql';
import { checkNestingAtTheDoor } from './nesting.js';
import type { HardeningOptions } from './options.js';
import { MASKED_CAUSE, MASKED_MESSAGE } from './plugin.js';
import { type NormalisedRequest, normaliseRequest } from './request-shapes.js';
import { newRequestState, requestSteps, runRequestSteps } from './request-state.js';
import { observePhase } from './telemetry.js';

/**
 * Your context function as `security.context(fn)` calls it: with the very arguments the integration
 * passed (`{ req, res }` for standalone and Express, `(request, reply)` for Fastify, `{ event, context }`
 * for AWS Lambda, …) and the request's {@link SecurityState} (principal, request id) appended last.
 */
export type UserContextFunction<TArgs extends readonly unknown[], TContext> = (
  ...args: [...TArgs, SecurityState]
) => TContext | Promise<TContext>;

/** The context function Apollo's integration calls: the integration's arguments, in its own shape. */
export type SecurityContextFunction<TArgs extends readonly unknown[], TContext> = (...args: TArgs) => Promise<TContext>;

/** What the context wrapper needs of `rampart()`'s resolved options. */
export interface SecurityContextSettings {
  readonly modules: readonly RampartModule[];
  readonly hardening: Readonly<HardeningOptions>;
  readonly clock: Clock;
}

/** Builds `rampart().context`. */
export function securityContext(settings: SecurityContextSettings) {
  const { hardening, clock } = settings;
  // every module's onRequest (identity first), then the steps that belong to an HTTP request only
  const steps = [...requestSteps(settings.modules, 'onRequest'), ...requestSteps(settings.modules, 'onHttpRequest')];
  return function context<TArgs extends readonly unknown[], TContext extends object = BaseContext>(
    userContext?: UserContextFunction<TArgs, TContext>,
  ): SecurityContextFunction<TArgs, TContext> {
    return async (...args) => {
      const request = normalise(args, clock);
      const { info } = request;
      const state = newRequestState(info, clock, hardening.requestIdHeader);
      const observer = rampartObserver(); // telemetry: undefined (free) when nothing observes
      const startedAt = observer === undefined ? 0 : performance.now();
      try {
        const running = runRequestSteps(steps, state, info);
        if (running !== undefined) await running; // only asynchronous steps cost a microtask
        // after authentication and the request-level limits (the refusal is charged and attributed),
        // before Apollo parses: a document nested too deep never reaches the parser
        checkNestingAtTheDoor(request.door, hardening.maxNesting, state);
      } catch (error) {
        // lets plugins that see the failure (contextCreationDidFail: the audit record) find the state
        if (error !== null && typeof error === 'object') attachSecurityState(error, state);
        if (observer !== undefined) observePhase(observer, 'authentication', startedAt, state, 0, error);
        throw error;
      }
      if (observer !== undefined) observePhase(observer, 'authentication', startedAt, state, 0);
      const value = userContext ? await callUser(userContext, args, state) : undefined;
      return withState(value, state) as TContext;
    };
  };
}

/**
 * The integration's arguments normalised, or a masked HTTP 500 hiding the {@link RampartConfigError}
 * that names the shapes Rampart knows (the hardening plugin logs it): a request
 * whose caller cannot be told is never served as anonymous.
 */
function normalise(args: readonly unknown[], clock: Clock): NormalisedRequest {
  try {
    return normaliseRequest(args);
  } catch (error) {
    if (!(error instanceof RampartConfigError)) throw error;
    throw unknownShapeError(error, new SecurityState({ clock }));
  }
}

/** What the client gets when the integration's shape is unknown: `Internal server error`, HTTP 500. */
export function unknownShapeError(cause: RampartConfigError, state: SecurityState): GraphQLError {
  const error = rampartError(ErrorCode.INTERNAL_SERVER_ERROR, MASKED_MESSAGE, {
    details: { requestId: state.requestId },
  });
  (error as { [MASKED_CAUSE]?: RampartConfigError })[MASKED_CAUSE] = cause;
  attachSecurityState(error, state);
  return error;
}

/** Calls the user's function with the integration's arguments and the state (no spread for one or two). */
function callUser<TArgs extends readonly unknown[], TContext>(
  fn: UserContextFunction<TArgs, TContext>,
  args: TArgs,
  state: SecurityState,
): TContext | Promise<TContext> {
  const call = fn as (...all: unknown[]) => TContext | Promise<TContext>;
  if (args.length === 1) return call(args[0], state);
  if (args.length === 2) return call(args[0], args[1], state);
  return call(...args, state);
}

/**
 * A copy of the user's context with the state attached: the user's object itself is never written to,
 * so one object returned for every request (a constant, a frozen object) never carries, nor keeps
 * alive, the state of the last request. The copy keeps the object's prototype (as Apollo's own clone of
 * a context per batched operation does).
 */
export function withState(value: unknown, state: SecurityState): object {
  let ctx: object;
  if (value === null || value === undefined || typeof value !== 'object') ctx = {};
  else {
    const proto = Object.getPrototypeOf(value) as object | null;
    // Object.assign, not a spread: as fast natively and far faster where a spread is transpiled
    ctx = Object.assign(proto === Object.prototype ? {} : (Object.create(proto) as object), value);
  }
  attachSecurityState(ctx, state);
  return ctx;
}
