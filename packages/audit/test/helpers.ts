import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import {
  attachSecurityState,
  createPrincipal,
  ErrorCode,
  getSecurityState,
  rampartError,
  requestIdFrom,
  SecurityState,
} from '@rampart/core';
import { LogSink, startTestServer } from '@rampart/testing';
import { GraphQLError } from 'graphql';
import { type AuditOptions, createAudit } from '../src/index.js';

export const typeDefs = /* GraphQL */ `
  type Query {
    me: Customer
    customer(id: ID!): Customer @audit(level: RESPONSE)
    orders(first: Int): [Order!]!
    search(filter: SearchInput): [Order!]!
    secretQuestion: String @sensitive @audit(level: RESPONSE)
    plain: String @audit
    boom: String
  }
  type Customer {
    id: ID!
    name: String!
    email: String @sensitive
  }
  type Order {
    id: ID!
    total: Float!
  }
  input SearchInput {
    text: String
    card: CardInput
    tags: [String!]
    nested: [SearchInput!]
  }
  input CardInput {
    number: String! @sensitive
    holder: String
  }
  input ProfileInput {
    name: String
    ssn: String
    keys: [SecretInput!]
  }
  input SecretInput {
    label: String
    apiToken: String
  }
  type Mutation {
    login(email: String!, password: String! @sensitive): String
    updateProfile(input: ProfileInput!): Customer
    deleteCustomer(id: ID!): Boolean @audit(level: REQUEST)
    placeOrder(card: CardInput!, note: String): Order
    quiet: Boolean @audit(level: NONE)
    denied: Boolean
  }
`;

export const calls: Record<string, number> = {};

export const resolvers = {
  Query: {
    me: () => ({ id: 'c1', name: 'Ada', email: 'ada@example.com' }),
    customer: (_: unknown, { id }: { id: string }) => ({ id, name: 'Ada', email: 'ada@example.com' }),
    orders: (_: unknown, { first }: { first?: number }) =>
      Array.from({ length: first ?? 3 }, (_, i) => ({ id: `o${i}`, total: i * 10 })),
    search: () => [],
    secretQuestion: () => 'first pet: Rex',
    plain: () => 'hello',
    boom: () => {
      throw new GraphQLError('exploded\r\n{"log.level":"fatal"}\u001b[31m', { extensions: { code: 'BOOM' } });
    },
  },
  Mutation: {
    login: async () => 'session-abc',
    updateProfile: (_: unknown, { input }: { input: { name?: string } }) => ({
      id: 'c1',
      name: input.name ?? 'Ada',
      email: 'x',
    }),
    deleteCustomer: () => true,
    placeOrder: () => ({ id: 'o9', total: 99 }),
    quiet: () => true,
    denied: (_: unknown, __: unknown, ctx: object) => {
      getSecurityState(ctx)?.record({
        source: 'rules',
        outcome: 'denied',
        code: 'FORBIDDEN',
        coordinate: 'Mutation.denied',
        rule: 'isAdmin',
        reason: 'principal lacks role admin',
      });
      throw rampartError(ErrorCode.FORBIDDEN, 'Not allowed', { scope: 'field' });
    },
  },
};

/** Simulates the other Rampart packages: records decisions and cost into the security state. */
export const simulatedPeers: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation(rc) {
        const state = getSecurityState(rc.contextValue);
        if (!state) return;
        state.cost.estimated = 12;
        state.record({ source: 'limits', outcome: 'measured', rule: 'depth', details: { depth: 2, max: 10 } });
        if (rc.request.http?.headers.get('x-test-limit')) {
          state.record({
            source: 'limits',
            outcome: 'denied',
            code: 'MAX_DEPTH_LIMIT',
            rule: 'depth',
            reason: 'depth 12 exceeds 10',
            details: { depth: 12, max: 10 },
          });
          throw rampartError(ErrorCode.MAX_DEPTH_LIMIT, 'Operation is too deep');
        }
      },
    };
  },
};

/** A context function that builds the security state the way `rampart().context` does. */
export function contextFn({ req }: { req: { headers: Record<string, string | string[] | undefined> } }) {
  const headers = new Map<string, string>();
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  const user = headers.get('x-test-user');
  const state = new SecurityState({
    requestId: requestIdFrom(headers.get('x-request-id')),
    headers,
    ...(user
      ? {
          principal: createPrincipal({
            id: user,
            kind: user.startsWith('svc-') ? 'service' : 'user',
            roles: (headers.get('x-test-roles') ?? '').split(',').filter(Boolean),
            scopes: ['orders:read'],
            clientId: 'web-app',
            authMethod: 'jwt',
            ip: '203.0.113.7',
          }),
        }
      : {}),
  });
  if (headers.get('x-test-fail-context')) {
    // As rampart().context may do: the refused request's state rides on the error.
    const error = rampartError(ErrorCode.UNAUTHENTICATED, 'Bad token', { headers: { 'WWW-Authenticate': 'Bearer' } });
    attachSecurityState(error, state);
    throw error;
  }
  const ctx = {};
  attachSecurityState(ctx, state);
  return Promise.resolve(ctx);
}

export const hmacKeyHex = randomBytes(32).toString('hex');

/** Starts a real Apollo server with the audit trail writing into a LogSink (unless a destination is given). */
export async function startAudited(
  options: Partial<AuditOptions> = {},
  serverOptions: { allowBatchedHttpRequests?: boolean } = {},
) {
  const sink = new LogSink();
  const audit = createAudit({ destination: { stream: sink }, ...options });
  const base = makeExecutableSchema({ typeDefs: [audit.typeDefs, typeDefs], resolvers });
  const schema = audit.transformSchema(base);
  const server = await startTestServer(
    { schema, plugins: [simulatedPeers, audit.plugin], ...serverOptions },
    { context: contextFn as never },
  );
  return { sink, audit, base, schema, server, url: server.graphqlUrl };
}

/**
 * Posts a GraphQL request over a raw socket, so header values may carry bytes that fetch refuses to
 * send (obs-text such as 0x9b, the C1 "CSI" escape). Header strings are sent as latin1.
 */
export async function rawPost(url: string, body: unknown, headers: Record<string, string>): Promise<number> {
  const u = new URL(url);
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  const head =
    `POST ${u.pathname} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\n` +
    `content-length: ${payload.length}\r\nconnection: close\r\n` +
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  return await new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => {
      socket.write(Buffer.concat([Buffer.from(head, 'latin1'), payload]));
    });
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
    });
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}
