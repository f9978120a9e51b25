import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { and, authModule, createDevKeys, type DevKeys, generateApiKey, mintToken, rule, shield } from '@rampart/auth';
import { attachSecurityState, getSecurityState, requestIdFrom, requestInfoFrom, SecurityState } from '@rampart/core';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';

// What rampart().context does with a RampartModule, reduced to this package's module.
const issuer = 'https://issuer.shop.test';
const audience = 'https://shop.test/graphql';

const typeDefs = /* GraphQL */ `
  type Order { id: ID!, customerId: ID!, total: Int! }
  type Customer { id: ID!, email: String }
  type Query { order(id: ID!): Order, customer(id: ID!): Customer, catalog: [String!]! }
  type Mutation { refund(orderId: ID!): Boolean }
`;
const orders = [
  { id: 'o1', customerId: 'alice', total: 30 },
  { id: 'o2', customerId: 'bob', total: 70 },
];
const resolvers = {
  Query: {
    order: (_: unknown, { id }: { id: string }) => orders.find((o) => o.id === id),
    customer: (_: unknown, { id }: { id: string }) => ({ id, email: `${id}@shop.test` }),
    catalog: () => ['tea', 'coffee'],
  },
  Mutation: { refund: () => true },
};

const principal = (ctx: unknown) => getSecurityState(ctx)!.principal;
const isAuthenticated = rule('isAuthenticated', { cache: 'contextual' })(
  (_p, _a, ctx) => principal(ctx).kind !== 'anonymous',
);
const isAdmin = rule('isAdmin', { cache: 'contextual' })((_p, _a, ctx) => principal(ctx).roles.has('admin'));
const isOrderOwner = rule('isOrderOwner', { cache: 'strict' })(
  (order: { customerId: string }, _a, ctx) =>
    order.customerId === principal(ctx).id || principal(ctx).scopes.has('orders:read:all'),
);
const isCustomerThemself = rule('isCustomerThemself', { cache: 'strict' })(
  (c: { id: string }, _a, ctx) => c.id === principal(ctx).id,
);

describe('authModule + shield, wired as rampart() does', () => {
  let keys: DevKeys;
  let server: TestServer<any>;
  const partner = generateApiKey({ prefix: 'partner_' });
  before(async () => {
    keys = await createDevKeys();
    const m = authModule({
      authentication: {
        jwt: { issuer, audience, algorithms: ['RS256'], keys: keys.jwks.keys, typ: 'at+jwt', rolesClaim: 'roles' },
        apiKeys: { keys: [{ clientId: 'partner-integration', hash: partner.hash, scopes: ['orders:read:all'] }] },
      },
      rules: shield({
        Order: isOrderOwner,
        Customer: { email: isCustomerThemself },
        Mutation: { '*': and(isAuthenticated, isAdmin) },
      }),
    });
    const schema = m.transformSchema!(makeExecutableSchema({ typeDefs, resolvers }));
    server = await startTestServer(
      { schema },
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
  });
  after(async () => {
    await server.stop();
  });
  const as = async (subject: string, roles: string[] = []) => ({
    authorization: `Bearer ${await mintToken(keys, { issuer, audience, subject, scopes: ['orders:read'], roles })}`,
  });

  it('owner of an order sees it; another customer gets 403 on the sole root field; a partner key reads all', async () => {
    const q = { query: '{ order(id: "o1") { id total } }' };
    const own = await postGraphQL(server.graphqlUrl, q, { headers: await as('alice') });
    assert.equal(own.status, 200);
    assert.deepEqual(own.body.data, { order: { id: 'o1', total: 30 } });
    const other = await postGraphQL(server.graphqlUrl, q, { headers: await as('bob') });
    assert.equal(other.status, 200, 'Order fields are nested: partial data, no status');
    assert.deepEqual(other.body.data, { order: null });
    assert.deepEqual(
      other.body.errors.map((e: any) => [e.path.join('.'), e.extensions.code]),
      [['order.id', 'FORBIDDEN']],
    );
    const viaKey = await postGraphQL(server.graphqlUrl, q, { headers: { 'x-api-key': partner.key } });
    assert.deepEqual(viaKey.body.data, { order: { id: 'o1', total: 30 } });
  });

  it('customer data for the customer themself; admin-only mutations (403 alone, 401 for bad tokens)', async () => {
    const mine = await postGraphQL(
      server.graphqlUrl,
      { query: '{ customer(id: "alice") { id email } catalog }' },
      { headers: await as('alice') },
    );
    assert.deepEqual(mine.body.data, {
      customer: { id: 'alice', email: 'alice@shop.test' },
      catalog: ['tea', 'coffee'],
    });
    const theirs = await postGraphQL(
      server.graphqlUrl,
      { query: '{ customer(id: "bob") { id email } catalog }' },
      { headers: await as('alice') },
    );
    assert.equal(theirs.status, 200);
    assert.deepEqual(theirs.body.data, { customer: { id: 'bob', email: null }, catalog: ['tea', 'coffee'] });
    const refund = { query: 'mutation { refund(orderId: "o1") }' };
    assert.equal((await postGraphQL(server.graphqlUrl, refund, { headers: await as('alice') })).status, 403);
    assert.equal((await postGraphQL(server.graphqlUrl, refund)).status, 403);
    const admin = await postGraphQL(server.graphqlUrl, refund, { headers: await as('root', ['admin']) });
    assert.deepEqual(admin.body.data, { refund: true });
    const bad = await postGraphQL(server.graphqlUrl, refund, { headers: { authorization: 'Bearer not-a-token' } });
    assert.equal(bad.status, 401);
  });
});
