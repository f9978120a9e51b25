// The estimate is what graphql-js execution does: unsent slicing variables take the argument's
// schema default, a field selected twice under one response key is one field, integer arguments
// named like slicing arguments slice lists without @listSize, and the analysis stays linear (work
// counter, never time) on the sizedFields × fragment-chain shape and on huge argument values.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApolloServerOptions, BaseContext } from '@apollo/server';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { buildSchema, type GraphQLSchema, parse } from 'graphql';
import { analyzeLimits, costDirectivesTypeDefs, limitsPlugin } from '../src/index.js';
import { shopSchema } from './fixtures.js';

const shop = shopSchema();

const typeDefs = /* GraphQL */ `
  type Item { id: ID! }
  type Query {
    strict(first: Int = 30): [Item!]! @listSize(slicingArguments: ["first"])
    loose(first: Int = 30): [Item!]! @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false)
    orders(first: Int, limit: Int = 25, take: [Int!], size: Int): [Item!]!
  }
`;

let received: unknown[] = [];
function schema(): GraphQLSchema {
  const s = buildSchema(`${costDirectivesTypeDefs}\n${typeDefs}`);
  const q = s.getQueryType()?.getFields() ?? {};
  for (const name of ['strict', 'loose', 'orders']) {
    (q[name] as { resolve?: unknown }).resolve = (_: unknown, a: { first?: number }) => {
      received.push(a.first);
      return Array.from({ length: Math.min(a.first ?? 1, 50) }, (_x, i) => ({ id: String(i) }));
    };
  }
  return s;
}

describe('unsent slicing variables over HTTP', () => {
  let server: TestServer<BaseContext>;
  before(async () => {
    server = await startTestServer({
      schema: schema(),
      plugins: [limitsPlugin({ cost: { max: 100 }, exposeCost: true })],
    } as ApolloServerOptions<BaseContext>);
  });
  after(() => server.stop());

  it('a declared, unsent slicing variable takes the schema default; requireOneSlicingArgument accepts it', async () => {
    received = [];
    const r = await postGraphQL(server.graphqlUrl, { query: 'query($n: Int) { strict(first: $n) { id } }' });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.equal(r.body.data.strict.length, 30);
    assert.deepEqual(received, [30]);
    assert.equal(r.body.extensions.cost.estimated, 30);
  });

  it('the estimate of an unsent slicing variable is the schema default, not defaultListSize', async () => {
    const r = await postGraphQL(server.graphqlUrl, { query: 'query($n: Int) { loose(first: $n) { id } }' });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.equal(r.body.extensions.cost.estimated, 30);
  });

  it("a variable's own default applies when the variable is declared with one", async () => {
    received = [];
    const r = await postGraphQL(server.graphqlUrl, { query: 'query($n: Int = 7) { strict(first: $n) { id } }' });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.deepEqual(received, [7]);
    assert.equal(r.body.extensions.cost.estimated, 7);
  });

  it('orders(first: 1000) on a list without @listSize is estimated with 1000 and refused', async () => {
    received = [];
    const r = await postGraphQL(server.graphqlUrl, { query: '{ orders(first: 1000) { id } }' });
    assert.equal(r.status, 400);
    assert.equal(r.body.errors[0].extensions.code, 'COST_ESTIMATED_TOO_EXPENSIVE');
    assert.deepEqual(r.body.errors[0].extensions.cost, { estimated: 1000, max: 100 });
    assert.deepEqual(received, []);
  });
});

describe('cost.slicingArgumentNames (lists without @listSize)', () => {
  const s = schema();
  const cost = (query: string, options: Parameters<typeof analyzeLimits>[2] = {}) =>
    analyzeLimits(s, parse(query), options).cost;

  it('reads a literal, a variable and the schema default of an integer argument named like a slice', () => {
    assert.equal(cost('{ orders(first: 1000) { id } }'), 1000);
    assert.equal(cost('query($n: Int) { orders(first: $n, limit: 3) { id } }', { variables: { n: 300 } }), 300);
    // `limit` has a schema default of 25; `first` is unsent.
    assert.equal(cost('query($n: Int) { orders(first: $n) { id } }'), 25);
    assert.equal(cost('{ orders { id } }'), 25);
  });
  it('ignores list arguments and names not configured, and is off with []', () => {
    assert.equal(cost('{ orders(take: [1, 2, 3], size: 500, limit: null) { id } }'), 10);
    assert.equal(cost('{ orders(first: 1000) { id } }', { cost: { slicingArgumentNames: [] } }), 10);
    assert.equal(cost('{ orders(size: 500) { id } }', { cost: { slicingArgumentNames: ['size'] } }), 500);
  });
  it('slicing.max applies to them too', () => {
    const a = analyzeLimits(s, parse('{ orders(first: 1000) { id } }'), { slicing: { max: 100 } });
    assert.deepEqual(a.slicing, [{ coordinate: 'Query.orders(first:)', problem: 'tooLarge', value: 1000, max: 100 }]);
  });
  it('rejects a bad option at startup', () => {
    assert.throws(() => limitsPlugin({ cost: { slicingArgumentNames: 'first' as never } }), /slicingArgumentNames/);
  });
});

describe('fields merged by response key, as graphql-js executes them', () => {
  const measures = (query: string) => {
    const a = analyzeLimits(shop, parse(query), { depth: false, aliases: false, cost: { max: false } });
    return { cost: a.cost, fieldCost: a.fieldCost, height: a.height, depth: a.depth, rootFields: a.rootFields };
  };
  const same = (merged: string, byHand: string) => assert.deepEqual(measures(merged), measures(byHand));

  it('a list field selected directly and through a named fragment counts once', () => {
    const q = '{ products(first: 5) { id } ...F } fragment F on Query { products(first: 5) { id name } }';
    assert.equal(measures(q).cost, 5);
    same(q, '{ products(first: 5) { id name } }');
  });
  it('through an inline fragment, children merged (union of the sub-selections)', () => {
    same(
      '{ products(first: 5) { id price { amount } } ... on Query { products(first: 5) { price { currency } related { id } } } }',
      '{ products(first: 5) { id price { amount currency } related { id } } }',
    );
  });
  it('different children through a fragment: every sub-selection counted, the list once', () => {
    const q =
      '{ products(first: 5) { price { amount } } ...F } fragment F on Query { products(first: 5) { related { id } } }';
    assert.equal(measures(q).cost, 5 * (1 + 1 + 5));
    same(q, '{ products(first: 5) { price { amount } related { id } } }');
  });
  it('fragments nested in fragments and colocated fragments on the item type', () => {
    same(
      `query { products(first: 4) { ...Card } ...Page }
       fragment Page on Query { ...List }
       fragment List on Query { products(first: 4) { ...Card price { amount } } }
       fragment Card on Product { id price { currency } related { id } }`,
      '{ products(first: 4) { id price { currency amount } related { id } } }',
    );
  });
  it('the same key under two different aliases stays two fields', () => {
    const q = '{ a: products(first: 5) { id } b: products(first: 5) { id } }';
    assert.equal(measures(q).cost, 10);
  });
});

describe('linear work', () => {
  it('many distinct sizedFields sizes each spreading a fragment chain: one walk of the chain', () => {
    const sizes = 300;
    const chain = 300;
    const query = `{ product(id: "1") { ${Array.from({ length: sizes }, (_, i) => `r${i}: reviews(first: ${i + 1}) { ...C0 }`).join(' ')} } }
      ${Array.from({ length: chain }, (_, i) => `fragment C${i} on ReviewConnection { e${i}: edges { node { id } } ...C${i + 1} }`).join('\n')}
      fragment C${chain} on ReviewConnection { totalCount }`;
    const a = analyzeLimits(shop, parse(query), {
      depth: false,
      aliases: false,
      height: false,
      cost: { max: false },
    });
    assert.deepEqual(a.violations, []);
    assert.ok(a.work <= 2 * query.length, `work ${a.work} for ${query.length} characters`);
    // product 1 + Σ over sizes N of (connection 1 + chain × N × (edge 1 + review 1))
    let expected = 1;
    for (let n = 1; n <= sizes; n++) expected += 1 + chain * n * 2;
    assert.equal(a.cost, expected);
  });

  it('a huge argument value (variable or literal) is bounded by the work budget', () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => String(i));
    const viaVariable = analyzeLimits(shop, parse('query($ids: [ID!]!) { byIds(ids: $ids) { id } }'), {
      variables: { ids },
      workBudget: 10_000,
    });
    assert.equal(viaVariable.violations[0]?.code, 'MAX_HEIGHT_LIMIT');
    assert.ok(viaVariable.work <= 10_010, `work ${viaVariable.work}`);
    const literal = `{ byIds(ids: [${ids.map((i) => `"${i}"`).join(',')}]) { id } }`;
    const viaLiteral = analyzeLimits(shop, parse(literal), { workBudget: 10_000 });
    assert.equal(viaLiteral.violations[0]?.code, 'MAX_HEIGHT_LIMIT');
    assert.ok(viaLiteral.work <= 10_010, `work ${viaLiteral.work}`);
  });
});
