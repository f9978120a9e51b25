// Request variables are untrusted JSON: own "__proto__", "constructor" and "prototype" keys, at the top
// level and nested in input objects and lists, must not change what the analysis sees compared with
// what graphql-js execution sees. Real ApolloServer over real HTTP; every refused request must leave
// the resolvers uncalled.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ApolloServerOptions, BaseContext } from '@apollo/server';
import { type GraphQLHttpResponse, postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { buildSchema, type GraphQLSchema } from 'graphql';
import { costDirectivesTypeDefs, limitsPlugin } from '../src/index.js';

const typeDefs = /* GraphQL */ `
  type Item { id: ID! }
  input Page { first: Int = 1000, after: String }
  input Filter { tag: String @cost(weight: 50) }
  type Query {
    items(first: Int = 1000): [Item!]! @listSize(slicingArguments: ["first"])
    paged(page: Page!): [Item!]! @listSize(slicingArguments: ["page.first"])
    tagged(filters: [Filter!]!): [Item!]! @listSize(assumedSize: 1)
    unbounded(first: Int): [Item!]! @listSize(slicingArguments: ["first"])
  }
`;

let calls = 0;
const list = (n: number) => Array.from({ length: Math.min(n, 5000) }, (_, i) => ({ id: String(i) }));

function schema(): GraphQLSchema {
  const s = buildSchema(`${costDirectivesTypeDefs}\n${typeDefs}`);
  const q = s.getQueryType()?.getFields() ?? {};
  (q.items as { resolve?: unknown }).resolve = (_: unknown, a: { first: number }) => {
    calls++;
    return list(a.first);
  };
  (q.paged as { resolve?: unknown }).resolve = (_: unknown, a: { page: { first: number } }) => {
    calls++;
    return list(a.page.first);
  };
  (q.unbounded as { resolve?: unknown }).resolve = (_: unknown, a: { first?: number }) => {
    calls++;
    return list(a.first ?? 5000);
  };
  (q.tagged as { resolve?: unknown }).resolve = () => {
    calls++;
    return [];
  };
  return s;
}

/** Posts `variables` given as raw JSON text, so own "__proto__" keys reach the server as they are. */
const post = (url: string, query: string, variablesJson: string) =>
  postGraphQL(url, `{"query":${JSON.stringify(query)},"variables":${variablesJson}}`);

function assertRefusedUnexecuted(r: GraphQLHttpResponse, estimated: number): void {
  assert.equal(r.status, 400, r.text.slice(0, 300));
  assert.equal(r.body.errors[0].extensions.code, 'COST_ESTIMATED_TOO_EXPENSIVE');
  assert.deepEqual(r.body.errors[0].extensions.cost, { estimated, max: 100 });
  assert.equal(calls, 0, 'no resolver may run for a refused operation');
}

describe('untrusted variables over HTTP (cost.max 100)', () => {
  let server: TestServer<BaseContext>;
  before(async () => {
    server = await startTestServer({
      schema: schema(),
      plugins: [limitsPlugin({ cost: { max: 100 } })],
    } as ApolloServerOptions<BaseContext>);
  });
  after(() => server.stop());
  beforeEach(() => {
    calls = 0;
  });

  const itemsQuery = 'query($n: Int) { items(first: $n) { id } }';
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    it(`a top-level own "${key}" key does not stand in for an unsent variable`, async () => {
      // Execution: $n is not sent, so `first` takes its schema default, 1000.
      const r = await post(server.graphqlUrl, itemsQuery, `{"${key}": {"n": 1}}`);
      assertRefusedUnexecuted(r, 1000);
    });
  }

  it('a "__proto__" key does not satisfy requireOneSlicingArgument (the slicing check still runs)', async () => {
    const query = 'query($n: Int) { unbounded(first: $n) { id } }';
    const r = await post(server.graphqlUrl, query, '{"__proto__": {"n": 1}}');
    assert.equal(r.status, 400, r.text.slice(0, 300));
    assert.equal(r.body.errors[0].extensions.code, 'COST_ESTIMATED_TOO_EXPENSIVE');
    assert.equal(
      r.body.errors[0].message,
      'Field Query.unbounded requires exactly one slicing argument; none was given.',
    );
    assert.equal(calls, 0);
  });

  it('a variable named like a prototype member ($constructor) that is not sent is absent', async () => {
    const r = await post(server.graphqlUrl, 'query($constructor: Int) { items(first: $constructor) { id } }', '{}');
    assertRefusedUnexecuted(r, 1000);
  });

  it('a sent variable next to a "__proto__" key is read as sent (and runs when cheap)', async () => {
    const r = await post(server.graphqlUrl, itemsQuery, '{"__proto__": {"n": 5000}, "n": 3}');
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.equal(r.body.data.items.length, 3);
    assert.equal(calls, 1);
  });

  it('a nested own "__proto__" key in an input object does not hide the input field default', async () => {
    // Execution: page.first is not an own property, so Page.first takes its default, 1000.
    const query = 'query($p: Page!) { paged(page: $p) { id } }';
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const r = await post(server.graphqlUrl, query, `{"p": {"after": "x", "${key}": {"first": 1}}}`);
      assertRefusedUnexecuted(r, 1000 + 1); // the Page argument costs 1
    }
  });

  it('an input object literal holding an unsent variable takes the input field default', async () => {
    const query = 'query($n: Int) { paged(page: { first: $n }) { id } }';
    const r = await post(server.graphqlUrl, query, '{"__proto__": {"n": 1}}');
    assertRefusedUnexecuted(r, 1000 + 1);
  });

  it('prototype keys inside list items do not lower the argument cost', async () => {
    // 3 filters × (1 + 50) = 153 > 100, whatever sits under "__proto__".
    const query = 'query($f: [Filter!]!) { tagged(filters: $f) { id } }';
    const items = '{"tag": "a", "__proto__": {"tag": null}}';
    const r = await post(server.graphqlUrl, query, `{"f": [${items}, ${items}, ${items}]}`);
    assert.equal(r.status, 400, r.text.slice(0, 300));
    assert.equal(r.body.errors[0].extensions.code, 'COST_ESTIMATED_TOO_EXPENSIVE');
    assert.equal(r.body.errors[0].extensions.cost.estimated, 1 + 3 * 51);
    assert.equal(calls, 0);
  });

  it('a list of prototype-keyed items in a list literal counts every item', async () => {
    const query = 'query($a: Filter!) { tagged(filters: [$a, $a, $a]) { id } }';
    const r = await post(server.graphqlUrl, query, '{"a": {"tag": "x", "__proto__": {"tag": null}}}');
    assert.equal(r.status, 400, r.text.slice(0, 300));
    assert.equal(r.body.errors[0].extensions.cost.estimated, 1 + 3 * 51);
    assert.equal(calls, 0);
  });
});
