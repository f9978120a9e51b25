import type { IncomingMessage } from 'node:http';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { type AuthOptions, authModule } from '@rampart/auth';
import { attachSecurityState, requestIdFrom, requestInfoFrom, SecurityState } from '@rampart/core';
import { startTestServer, type TestServer } from '@rampart/testing';
import { principalResolvers, principalTypeDefs } from './helpers.js';

/** A logger that keeps what it is told. */
export interface CapturingLogger {
  readonly warnings: string[];
  readonly errors: string[];
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function capturingLogger(): CapturingLogger {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    debug() {},
    info() {},
    warn: (m) => void warnings.push(m),
    error: (m) => void errors.push(m),
  };
}

/**
 * The principal schema served with `authModule(options)` wired as rampart() wires it: its schema
 * transform, its plugins, its onRequest in the context function; Apollo's logger is `logger`.
 */
export async function serveModule(
  options: AuthOptions,
  logger: CapturingLogger = capturingLogger(),
  schemaParts: { typeDefs: string; resolvers: object } = { typeDefs: principalTypeDefs, resolvers: principalResolvers },
): Promise<TestServer<any>> {
  const m = authModule(options);
  const base = makeExecutableSchema(schemaParts as never);
  const schema = m.transformSchema ? m.transformSchema(base) : base;
  return startTestServer(
    { schema, plugins: [...(m.plugins ?? [])], logger },
    {
      context: async ({ req }: { req: IncomingMessage }) => {
        const request = requestInfoFrom(req);
        const state = new SecurityState({
          headers: request.headers,
          requestId: requestIdFrom(request.headers.get('x-request-id')),
        });
        await m.onRequest!(state, request);
        const ctx = {};
        attachSecurityState(ctx, state);
        return ctx;
      },
    },
  );
}
