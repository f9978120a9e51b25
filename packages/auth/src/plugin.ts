/**
 * The Apollo adapters: `authModule(options)` for `rampart()`, and `authContext(options)` for a server
 * without `rampart()`.
 */
import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  attachSecurityState,
  type RampartModule,
  type RequestInfo,
  requestIdFrom,
  requestInfoFrom,
  SecurityState,
  systemClock,
  type WithSecurityState,
} from '@rampart/core';
import { authLog } from './auth-log.js';
import { createAuthenticator } from './authenticate.js';
import { type AuthOptions, resolveAuthOptions } from './options.js';
import { startupWarnings } from './startup-warnings.js';

/**
 * The Rampart module of this package: authentication and IP filtering in `onRequest` (sets
 * `state.principal`, throws 401/403), and the shield rules in `transformSchema`; its plugins hand the
 * server's logger to the rules and to authentication, which logs its startup warnings once.
 */
export function authModule(options: AuthOptions = {}): RampartModule {
  const o = resolveAuthOptions(options);
  const log = authLog(o.authentication?.logger, () => startupWarnings(o));
  const authenticator = createAuthenticator(o.authentication, o.ipFilter, log);
  const rules = o.rules;
  const rulesPlugin = (rules as { plugin?: unknown } | undefined)?.plugin;
  return {
    name: 'auth',
    phase: 'identity',
    ...(rules ? { transformSchema: (schema) => rules.transformSchema(schema) } : {}),
    plugins: [
      ...(rulesPlugin && typeof rulesPlugin === 'object' ? [rulesPlugin as ApolloServerPlugin<BaseContext>] : []),
      log.plugin,
    ],
    onRequest: (state, request) => authenticator.authenticate(state, request),
    health: () => authenticator.health(),
  };
}

/** Builds core's {@link RequestInfo} from Node's `IncomingMessage` (core's helper, re-exported). */
export { requestInfoFrom };

/**
 * Authentication for a server without `rampart()`: returns a context function for
 * `startStandaloneServer`/`expressMiddleware` that authenticates the request (throwing 401/403 from the
 * context function, which Apollo turns into that HTTP status), then calls yours and attaches the
 * security state (read it with core's `getSecurityState(ctx)`).
 *
 * @example
 * startStandaloneServer(server, { context: authContext({ authentication: { jwt } }, async ({ req }) => ({ db })) });
 */
export function authContext<TArgs extends { req: IncomingMessage }, TContext extends object = object>(
  options: Omit<AuthOptions, 'rules'> = {},
  context?: (args: TArgs) => TContext | Promise<TContext>,
): (args: TArgs) => Promise<TContext & WithSecurityState> {
  const o = resolveAuthOptions(options);
  const authenticator = createAuthenticator(o.authentication, o.ipFilter);
  const clock = o.clock ?? systemClock;
  return async (args) => {
    const request = requestInfoFrom(args.req);
    const state = new SecurityState({
      clock,
      headers: request.headers,
      requestId: requestIdFrom(request.headers.get('x-request-id')),
    });
    await authenticator.authenticate(state, request);
    const value = (context ? await context(args) : {}) as TContext;
    attachSecurityState(value, state);
    return value as TContext & WithSecurityState;
  };
}
