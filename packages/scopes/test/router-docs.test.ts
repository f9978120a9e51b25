// Apollo Router's documented authorization behaviours, rewritten as tests against Apollo Server + Rampart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { attachSecurityState, createPrincipal, SecurityState } from '@rampart/core';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { scopesPlugin, scopesTypeDefs } from '../src/index.js';

const typeDefs = /* GraphQL */ `
  type Query {
    me: User @requiresScopes(scopes: [["profile:read"]])
    products: [Product]
    product: Item
  }
  type User {
    id: ID
    name: String
    email: String @requiresScopes(scopes: [["user:read"]])
  }
  type Product {
    id: ID
    name: String
    amount: Int @requiresScopes(scopes: [["inventory:read"]])
    orders: [User] @requiresScopes(scopes: [["user:read", "inventory:read"]])
  }
  type Item {
    id: ID! @authenticated
    name: String!
    price: Int @authenticated
  }
`;

const buyer = { id: '1', name: 'Ada', email: 'ada@example.com' };
const schema = makeExecutableSchema({
  typeDefs: [scopesTypeDefs, typeDefs],
  resolvers: {
    Query: {
      me: () => buyer,
      products: () => [
        { id: 'p1', name: 'Lamp', amount: 3, orders: [buyer] },
        { id: 'p2', name: 'Desk', amount: 1, orders: [] },
      ],
      product: () => ({ id: 'i1', name: 'Chair', price: 20 }),
    },
  },
});

function paths(body: { errors?: { path: (string | number)[] }[] }) {
  return (body.errors ?? []).map((e) => e.path.join('/'));
}

describe("Apollo Router's documented behaviours", () => {
  let s: TestServer<object>;
  before(async () => {
    s = await startTestServer<object>(
      { schema, plugins: [scopesPlugin()] },
      {
        context: async ({ req }) => {
          const ctx = {};
          const scopes = req.headers['x-scopes'];
          if (typeof scopes === 'string') {
            const principal = createPrincipal({ id: 'c', kind: 'user', authMethod: 'jwt', scopes: scopes.split(' ') });
            attachSecurityState(ctx, new SecurityState({ principal }));
          }
          return ctx;
        },
      },
    );
  });
  after(() => s.stop());
  const query = '{ me { name email } products { name amount orders { name } } }';

  it('scopes "profile:read user:read": amount and orders are filtered out (/products/@/amount, /products/@/orders)', async () => {
    const r = await postGraphQL(s.graphqlUrl, { query }, { headers: { 'x-scopes': 'profile:read user:read' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data, {
      me: { name: 'Ada', email: 'ada@example.com' },
      products: [
        { name: 'Lamp', amount: null, orders: null },
        { name: 'Desk', amount: null, orders: null },
      ],
    });
    assert.deepEqual(paths(r.body), [
      'products/0/amount',
      'products/0/orders',
      'products/1/amount',
      'products/1/orders',
    ]);
  });

  it('scopes "user:read inventory:read": me is filtered out (/me); both scopes of an inner list are needed', async () => {
    const r = await postGraphQL(s.graphqlUrl, { query }, { headers: { 'x-scopes': 'user:read inventory:read' } });
    assert.deepEqual(r.body.data, {
      me: null,
      products: [
        { name: 'Lamp', amount: 3, orders: [{ name: 'Ada' }] },
        { name: 'Desk', amount: 1, orders: [] },
      ],
    });
    assert.deepEqual(paths(r.body), ['me']);
    const one = await postGraphQL(
      s.graphqlUrl,
      { query: '{ products { orders { name } name } }' },
      {
        headers: { 'x-scopes': 'user:read' },
      },
    );
    assert.deepEqual(paths(one.body), ['products/0/orders', 'products/1/orders']);
  });

  it('the whole query with every scope executes unchanged', async () => {
    const r = await postGraphQL(
      s.graphqlUrl,
      { query },
      { headers: { 'x-scopes': 'profile:read user:read inventory:read' } },
    );
    assert.equal(r.body.errors, undefined);
  });

  it('@key example: an unauthenticated request gets null for a non-null id, which nulls its parent', async () => {
    const ok = await postGraphQL(s.graphqlUrl, { query: '{ product { name } }' });
    assert.deepEqual(ok.body, { data: { product: { name: 'Chair' } } });
    const r = await postGraphQL(s.graphqlUrl, { query: '{ product { id name } }' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data, { product: null });
    assert.deepEqual(paths(r.body), ['product/id']);
  });
});
