import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { createShop } from '../src/app.js';
import { DEMO_PASSWORD } from '../src/data.js';

describe('shop example', () => {
  let server: TestServer<any>;
  before(async () => {
    const shop = createShop();
    server = await startTestServer(shop.apolloConfig, { context: shop.context as never });
  });
  after(() => server.stop());

  it('serves the catalogue with DataLoader-batched categories', async () => {
    const res = await postGraphQL(server.graphqlUrl, {
      query: '{ products(first: 3) { id name price { amount currency } category { name } } }',
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.products.length, 3);
    assert.equal(res.body.data.products[0].id, 'prod-1');
    assert.equal(res.body.data.products[0].price.currency, 'USD');
    assert.equal(res.body.data.products[0].category.name, 'Category 2');
  });

  it('has an interface and a union to protect', async () => {
    const res = await postGraphQL(server.graphqlUrl, {
      query:
        '{ node(id: "cust-3") { id ... on Customer { email } } search(text: "Customer 1", first: 2) { __typename ... on Customer { id } } }',
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.node.email, 'customer3@example.com');
    assert.deepEqual(res.body.data.search, [
      { __typename: 'Customer', id: 'cust-1' },
      { __typename: 'Customer', id: 'cust-10' },
    ]);
  });

  it('login succeeds with the demo password and fails otherwise', async () => {
    const query = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { success customer { id } } }';
    const ok = await postGraphQL(server.graphqlUrl, {
      query,
      variables: { e: 'customer1@example.com', p: DEMO_PASSWORD },
    });
    assert.deepEqual(ok.body.data.login, { success: true, customer: { id: 'cust-1' } });
    const bad = await postGraphQL(server.graphqlUrl, { query, variables: { e: 'customer1@example.com', p: 'nope' } });
    assert.deepEqual(bad.body.data.login, { success: false, customer: null });
  });

  it('rejects a deeply nested hostile query with HTTP 400, not 500', async () => {
    const query = `{ ${'categories { products { category { '.repeat(800)}id${' } } }'.repeat(800)} }`;
    const res = await postGraphQL(server.graphqlUrl, { query });
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].extensions.code, 'GRAPHQL_PARSE_FAILED');
  });
});
