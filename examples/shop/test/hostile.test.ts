// Hostile documents against the shop as we recommend running it: every one gets HTTP 400 with a coded
// error, never a 500. (Their analysis time is measured in bench/: pnpm bench:apollo-hostile, bench/limits.)
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { createShop, type Shop } from '../src/app.js';

const many = (n: number, f: (i: number) => string, sep = ' ') => Array.from({ length: n }, (_, i) => f(i)).join(sep);

const cases: Array<{ name: string; body: { query: string; variables?: Record<string, unknown> }; code: string }> = [
  {
    name: 'cyclic fragments',
    body: { query: '{ categories { ...A } } fragment A on Category { ...B } fragment B on Category { ...A }' },
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'cyclic fragments with fields between',
    body: {
      query:
        '{ categories { ...A } } fragment A on Category { products { category { ...B } } } fragment B on Category { products { category { ...A } } }',
    },
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  { name: 'unknown fragment', body: { query: '{ categories { ...Nope } }' }, code: 'GRAPHQL_VALIDATION_FAILED' },
  {
    name: '30-level fragment DAG, each spreads the next twice',
    body: {
      query: `{ categories { ...F0 } } ${many(30, (i) => `fragment F${i} on Category { ...F${i + 1} products { category { ...F${i + 1} } } }`)} fragment F30 on Category { id }`,
    },
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: '10,000-fragment linear chain',
    body: {
      query: `{ categories { ...F0 } } ${many(10_000, (i) => `fragment F${i} on Category { ...F${i + 1} }`)} fragment F10000 on Category { id }`,
    },
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    name: '150,000 sibling fields',
    body: { query: `{ categories { ${many(150_000, () => 'id')} } }` },
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    name: '100,000-item list literal argument',
    body: { query: `{ products(first: [${many(100_000, (i) => String(i), ',')}]) { id } }` },
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    name: 'first: $n with n = 1,000,000',
    body: { query: 'query($n: Int) { products(first: $n) { id name } }', variables: { n: 1_000_000 } },
    code: 'COST_ESTIMATED_TOO_EXPENSIVE',
  },
  {
    name: '10,000 aliases',
    body: { query: `{ ${many(10_000, (i) => `a${i}: categories { id }`)} }` },
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    name: '10,000 aliases of __typename',
    body: { query: `{ ${many(10_000, (i) => `a${i}: __typename`)} }` },
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    name: '10,000 directives',
    body: { query: `{ categories ${many(10_000, () => '@include(if: true)')} { id } }` },
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    name: '__type ofType chain 200 deep',
    body: { query: `{ __type(name: "Product") { ${'ofType { '.repeat(200)}name${' }'.repeat(200)} } }` },
    code: 'MAX_DEPTH_LIMIT',
  },
  {
    name: '20 sibling inline fragments, each an aliased 400-item list (summed)',
    body: { query: `{ ${many(20, (i) => `... on Query { l${i}: products(first: 400) { id category { id } } }`)} }` },
    code: 'COST_ESTIMATED_TOO_EXPENSIVE',
  },
  {
    name: 'deeper than 10',
    body: { query: `{ categories { ${'products { category { '.repeat(6)}id${' } }'.repeat(6)} } }` },
    code: 'MAX_DEPTH_LIMIT',
  },
  // nesting under the 4,000-token cap that overflowed the parser's stack ("Maximum call stack size exceeded")
  {
    name: '1,990 nested list values',
    body: { query: `{ products(first: ${'['.repeat(1990)}1${']'.repeat(1990)}) { id } }` },
    code: 'MAX_DEPTH_LIMIT',
  },
  {
    name: '3,990 nested list values, never closed',
    body: { query: `{ products(first: ${'['.repeat(3990)}` },
    code: 'MAX_DEPTH_LIMIT',
  },
  {
    name: '990 nested object values',
    body: { query: `{ products(first: ${'{a:'.repeat(990)}1${'}'.repeat(990)}) { id } }` },
    code: 'MAX_DEPTH_LIMIT',
  },
  {
    name: '1,320 levels of lists and objects mixed',
    body: { query: `{ products(first: ${'[{a:'.repeat(660)}1${'}]'.repeat(660)}) { id } }` },
    code: 'MAX_DEPTH_LIMIT',
  },
  {
    name: '1,990 nested variable-definition types',
    body: { query: `query($v: ${'['.repeat(1990)}Int${']'.repeat(1990)}) { categories { id } }` },
    code: 'MAX_DEPTH_LIMIT',
  },
  {
    name: '1,320 nested selection sets',
    body: { query: `{ ${'categories{'.repeat(1320)}id${'}'.repeat(1320)} }` },
    code: 'MAX_DEPTH_LIMIT',
  },
  {
    name: 'login batched through aliases',
    body: {
      query: `mutation { ${many(3, (i) => `a${i}: login(email: "customer1@example.com", password: "guess${i}") { success }`)} }`,
    },
    code: 'MAX_ALIASES_LIMIT',
  },
];

describe('shop example: hostile documents', () => {
  let server: TestServer<any>;
  let shop: Shop;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rampart-shop-hostile-'));
    shop = await createShop({ devKeysDir: dir, auditDir: join(dir, 'audit') });
    server = await startTestServer(shop.apolloConfig, { context: shop.context as never });
  });
  after(async () => {
    await server.stop();
    await shop.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const c of cases) {
    it(`${c.name}: HTTP 400 ${c.code}`, async () => {
      const res = await postGraphQL(server.graphqlUrl, c.body);
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assert.equal(res.body.errors[0].extensions.code, c.code, res.text.slice(0, 300));
      assert.equal(res.body.data, undefined);
      assert.doesNotMatch(res.text, /call stack/i);
    });
  }

  it('the ordinary 1,000-item product list still passes', async () => {
    const res = await postGraphQL(server.graphqlUrl, {
      query: '{ products(first: 1000) { id name price { amount } } }',
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.products.length, 1000);
    assert.equal(res.body.extensions.cost.estimated > 1000, true);
  });
});
