import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { attachSecurityState, type Clock, createPrincipal, getSecurityState, SecurityState } from '@rampart/core';
import { startTestServer, type TestServer } from '@rampart/testing';
import { GraphQLScalarType } from 'graphql';
import { type RateLimitOptions, rateLimitModule } from '../src/index.js';

/** A clock tests move by hand; `sleep` advances it instead of waiting. */
export class TestClock implements Clock {
  t: number;
  slept: number[] = [];
  constructor(t = Date.UTC(2026, 0, 15, 12, 0, 0)) {
    this.t = t;
  }
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(t: number): void {
    this.t = t;
  }
  readonly sleep = async (ms: number): Promise<void> => {
    this.slept.push(ms);
    this.t += ms;
  };
}

/**
 * Stands in for @rampart/limits: writes `state.cost.estimated` from the `x-estimated-cost` header in
 * didResolveOperation and `state.cost.actual` from `x-actual-cost` in willSendResponse. Listed before
 * the rate-limit plugin, as rampart() orders them.
 */
export function fakeLimitsPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart(rc) {
      const h = rc.request.http?.headers;
      return {
        async didResolveOperation(ctx) {
          const e = h?.get('x-estimated-cost');
          const state = getSecurityState(ctx.contextValue);
          if (state && e !== undefined) state.cost.estimated = Number(e);
        },
        async willSendResponse(ctx) {
          const a = h?.get('x-actual-cost');
          const state = getSecurityState(ctx.contextValue);
          if (state && a !== undefined) state.cost.actual = Number(a);
        },
      };
    },
  };
}

export const baseTypeDefs = /* GraphQL */ `
  type Query {
    hello: String
    search(term: String!): [String!] @rateLimit(limit: 3, duration: 60)
    twice: Int @rateLimit(limit: 2, duration: 60) @rateLimit(limit: 5, duration: 86400)
    reset(email: String!): Boolean @rateLimit(limit: 2, duration: 60, by: "args.email")
    items(n: Int!): [Item!]!
    me: Account
  }
  type Item {
    id: Int!
    price: Int @rateLimit(limit: 100, duration: 60)
  }
  type Account @rateLimit(limit: 2, duration: 60) {
    id: ID
    name: String @rateLimit(limit: 10, duration: 60)
  }
  type LoginResult {
    ok: Boolean!
    token: String
  }
  type Mutation {
    login(email: String!, password: String!): LoginResult
  }
`;

export interface Counters {
  search: number;
  login: number;
  price: number;
}

export function baseResolvers(counters: Counters) {
  return {
    Query: {
      hello: () => 'world',
      search: (_: unknown, a: { term: string }) => {
        counters.search++;
        return [a.term];
      },
      twice: () => 2,
      reset: () => true,
      items: (_: unknown, a: { n: number }) => Array.from({ length: a.n }, (_v, i) => ({ id: i })),
      me: () => ({ id: '1', name: 'Ann' }),
    },
    Item: {
      price: (i: { id: number }) => {
        counters.price++;
        return i.id * 10;
      },
    },
    Mutation: {
      login: (_: unknown, a: { email: string; password: string }) => {
        counters.login++;
        if (a.password === 'right') return { ok: true, token: 't' };
        if (a.password === 'throw') throw new Error('bad credentials');
        return { ok: false, token: null };
      },
    },
  };
}

export interface Harness {
  server: TestServer<BaseContext>;
  url: string;
  counters: Counters;
  states: SecurityState[];
  stop(): Promise<void>;
}

/**
 * A real ApolloServer over HTTP with the rate-limit module. The principal comes from headers:
 * `x-user: <id>` (user), `x-client: <id>` (service), else anonymous keyed by the socket address
 * (or `x-test-ip`, standing in for the auth package's trusted-proxy logic).
 */
export async function startHarness(
  options: Partial<RateLimitOptions>,
  extra: {
    clock?: Clock;
    typeDefs?: string;
    plugins?: ApolloServerPlugin<BaseContext>[];
    /** Resolvers added to the base ones (per type, the added win). */
    resolvers?: Record<string, Record<string, unknown>>;
    /** Runs the module's `onHttpRequest` in the context function, as `rampart().context` does. */
    onHttpRequest?: boolean;
  } = {},
): Promise<Harness> {
  const counters: Counters = { search: 0, login: 0, price: 0 };
  const states: SecurityState[] = [];
  // the harness turns the informative headers and `extensions.cost` on (both off by default) so the
  // tests can read every figure; a test of the defaults passes `headers: false` itself
  const mod = rateLimitModule({
    headers: true,
    ...options,
    ...(options.costBudget ? { costBudget: { exposeExtension: true, ...options.costBudget } } : {}),
  });
  const schema = mod.transformSchema!(
    makeExecutableSchema({
      typeDefs: [mod.typeDefs!, extra.typeDefs ?? baseTypeDefs],
      resolvers: mergeResolvers(baseResolvers(counters), extra.resolvers) as never,
    }),
  );
  const clock = extra.clock;
  const server = await startTestServer<BaseContext>(
    {
      schema,
      plugins: [fakeLimitsPlugin(), ...(extra.plugins ?? []), ...mod.plugins!],
    },
    {
      context: async ({ req }) => {
        const h = (n: string) => {
          const v = req.headers[n];
          return typeof v === 'string' ? v : undefined;
        };
        const ip = h('x-test-ip') ?? req.socket.remoteAddress;
        const user = h('x-user');
        const client = h('x-client');
        const principal = user
          ? createPrincipal({ id: user, kind: 'user', authMethod: 'jwt', ip })
          : client
            ? createPrincipal({ id: client, kind: 'service', clientId: client, authMethod: 'api-key', ip })
            : createPrincipal({ id: 'anonymous', kind: 'anonymous', authMethod: 'none', ip });
        const ctx = {};
        const state = new SecurityState({ principal, ...(clock ? { clock } : {}) });
        states.push(state);
        if (extra.onHttpRequest) await mod.onHttpRequest!(state, { headers: new Map() });
        attachSecurityState(ctx, state);
        return ctx;
      },
    },
  );
  return { server, url: server.graphqlUrl, counters, states, stop: () => server.stop() };
}

function mergeResolvers(
  base: Record<string, Record<string, unknown>>,
  added: Record<string, Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [type, fields] of Object.entries(added ?? {})) {
    const existing = base[type];
    out[type] =
      existing && typeof fields === 'object' && !(fields instanceof GraphQLScalarType)
        ? { ...existing, ...fields }
        : fields;
  }
  return out;
}
