// The plugin against a real ApolloServer over real HTTP (port 0), shop-like schema.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApolloServerOptions, ApolloServerPlugin, BaseContext } from '@apollo/server';
import { type DecisionEvent, ErrorCode, getSecurityState, RampartConfigError, type SecurityState } from '@rampart/core';
import { postGraphQL, startTestServer } from '@rampart/testing';
import { buildSchema, type GraphQLSchema, getIntrospectionQuery } from 'graphql';
import { costDirectivesTypeDefs, LIMITS_SLOT, type LimitsOptions, limitsModule, limitsPlugin } from '../src/index.js';
import { resolveLimitsOptions } from '../src/options.js';
import { hostileCorpus } from './corpus.js';
import { shopTypeDefs } from './fixtures.js';

const products = [
  { id: '1', name: 'Shoe', price: { amount: 10, currency: 'EUR' }, tags: ['a'], related: [] },
  { id: '2', name: 'Hat', price: { amount: 5, currency: 'EUR' }, tags: [], related: [] },
];

function schemaWithResolvers(): GraphQLSchema {
  const schema = buildSchema(`${costDirectivesTypeDefs}\n${shopTypeDefs}`);
  const query = schema.getQueryType()?.getFields() ?? {};
  (query.products as { resolve?: unknown }).resolve = (_: unknown, a: { first?: number }) =>
    products.slice(0, a.first ?? 10);
  (query.product as { resolve?: unknown }).resolve = (_: unknown, a: { id: string }) =>
    products.find((p) => p.id === a.id) ?? null;
  (query.me as { resolve?: unknown }).resolve = () => ({ id: 'c1', name: 'Ann', orders: [] });
  return schema;
}

/** Captures the security state of each request as later plugins see it in willSendResponse. */
function capture(): {
  plugin: ApolloServerPlugin<BaseContext>;
  last: () => { state: SecurityState; schema: GraphQLSchema; estimated?: number; actual?: number };
} {
  let last: { state: SecurityState; schema: GraphQLSchema; estimated?: number; actual?: number } | undefined;
  return {
    plugin: {
      async requestDidStart() {
        return {
          async willSendResponse(ctx) {
            const state = getSecurityState(ctx.contextValue) as SecurityState;
            last = { state, schema: ctx.schema, estimated: state?.cost.estimated, actual: state?.cost.actual };
          },
        };
      },
    },
    last: () => {
      assert.ok(last, 'no request captured');
      return last;
    },
  };
}

async function start(options: LimitsOptions, extra: Partial<ApolloServerOptions<BaseContext>> = {}) {
  const cap = capture();
  const plugin = limitsPlugin(options);
  const server = await startTestServer({
    schema: schemaWithResolvers(),
    plugins: [plugin, cap.plugin],
    ...extra,
  } as ApolloServerOptions<BaseContext>);
  return { server, cap, plugin };
}

const denied = (events: readonly DecisionEvent[]) => events.filter((e) => e.source === 'limits');

describe('limitsPlugin over HTTP', () => {
  let s: Awaited<ReturnType<typeof start>>;
  before(async () => {
    s = await start({ depth: 3, cost: { max: 100 }, exposeCost: true, cacheSize: 10 });
  });
  after(() => s.server.stop());

  it('refuses an operation over the depth limit with 400 MAX_DEPTH_LIMIT and records the decision', async () => {
    const r = await postGraphQL(s.server.graphqlUrl, {
      query: '{ me { orders(first: 1) { customer { orders(first: 1) { id } } } } }',
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.errors[0].extensions.code, ErrorCode.MAX_DEPTH_LIMIT);
    assert.equal(r.body.errors[0].message, 'Operation depth is 4, over the maximum of 3.');
    assert.deepEqual(r.body.errors[0].extensions.limit, { name: 'depth', measured: 4, max: 3 });
    assert.equal(r.body.data, undefined);
    const events = denied(s.cap.last().state.events);
    assert.equal(events.length, 1);
    assert.deepEqual(
      { ...events[0], at: 0 },
      {
        source: 'limits',
        outcome: 'denied',
        code: 'MAX_DEPTH_LIMIT',
        rule: 'depth',
        reason: 'Operation depth is 4, over the maximum of 3.',
        details: { measured: 4, max: 3 },
        at: 0,
      },
    );
  });

  it('refuses an expensive operation with COST_ESTIMATED_TOO_EXPENSIVE and extensions.cost', async () => {
    const r = await postGraphQL(s.server.graphqlUrl, { query: '{ products(first: 60) { id related { id } } }' });
    assert.equal(r.status, 400);
    assert.equal(r.body.errors[0].extensions.code, 'COST_ESTIMATED_TOO_EXPENSIVE');
    assert.deepEqual(r.body.errors[0].extensions.cost, { estimated: 360, max: 100 });
    assert.equal(s.cap.last().estimated, 360);
  });

  it("uses the request's variables: Apollo's document cache cannot bypass the limit", async () => {
    const query = 'query P($n: Int) { products(first: $n) { id name } }';
    const ok = await postGraphQL(s.server.graphqlUrl, { query, variables: { n: 2 } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.data.products.length, 2);
    const big = await postGraphQL(s.server.graphqlUrl, { query, variables: { n: 1_000_000 } });
    assert.equal(big.status, 400);
    assert.deepEqual(big.body.errors[0].extensions.cost, { estimated: 1_000_000, max: 100 });
  });

  it('writes cost.estimated before execution and cost.actual (objects resolved) after, and extensions.cost', async () => {
    const r = await postGraphQL(s.server.graphqlUrl, { query: '{ products(first: 5) { id price { amount } } }' });
    assert.equal(r.status, 200);
    const last = s.cap.last();
    assert.equal(last.estimated, 5 * 2);
    assert.equal(last.actual, 2 * 2);
    assert.deepEqual(r.body.extensions.cost, { estimated: 10, actual: 4, max: 100 });
  });

  it('lets the introspection query through', async () => {
    const r = await postGraphQL(s.server.graphqlUrl, { query: getIntrospectionQuery() });
    assert.equal(r.status, 200);
    assert.ok(r.body.data.__schema.types.length > 10);
  });

  it('keeps the per-document cache bounded (LRU)', async () => {
    for (let i = 0; i < 25; i++) {
      const r = await postGraphQL(s.server.graphqlUrl, { query: `{ a${i}: me { id } }` });
      assert.equal(r.status, 200);
    }
    assert.equal(s.plugin.cacheSize(s.cap.last().schema), 10);
  });
});

describe('document cache and exposeLimits', () => {
  it('reuses the analysis of a variable-independent document and re-analyzes variable-dependent ones', async () => {
    const s = await start({ exposeLimits: false, depth: 1 });
    try {
      const analyses: unknown[] = [];
      for (let i = 0; i < 2; i++) {
        await postGraphQL(s.server.graphqlUrl, { query: '{ me { id } }' });
        analyses.push(s.cap.last().state.slots.get(LIMITS_SLOT));
      }
      assert.ok(analyses[0] !== undefined);
      assert.equal(analyses[0], analyses[1]);
      const q = 'query($s: Boolean!) { me @skip(if: $s) { id } }';
      const dependent: unknown[] = [];
      for (const skip of [true, false]) {
        await postGraphQL(s.server.graphqlUrl, { query: q, variables: { s: skip } });
        dependent.push(s.cap.last().state.slots.get(LIMITS_SLOT));
      }
      assert.notEqual(dependent[0], dependent[1]);
      assert.equal((dependent[0] as { height: number }).height, 0);
      assert.equal((dependent[1] as { height: number }).height, 2);
      const r = await postGraphQL(s.server.graphqlUrl, { query: '{ me { orders(first: 1) { id } } }' });
      assert.equal(r.status, 400);
      assert.equal(r.body.errors[0].message, 'Operation depth is over the maximum.');
      assert.equal(r.body.errors[0].extensions.limit, undefined);
      assert.equal(r.body.errors[0].extensions.code, 'MAX_DEPTH_LIMIT');
    } finally {
      await s.server.stop();
    }
  });
});

describe('dry run (measure mode)', () => {
  it("the deprecated mode: 'measure' is dryRun: true; both, contradicting, fail at startup", () => {
    assert.equal(resolveLimitsOptions({ mode: 'measure' }).dryRun, true);
    assert.equal(resolveLimitsOptions({ dryRun: true }).mode, 'measure');
    assert.equal(resolveLimitsOptions({ dryRun: false, mode: 'enforce' }).dryRun, false);
    assert.throws(
      () => resolveLimitsOptions({ dryRun: false, mode: 'measure' }),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'limits.mode',
    );
  });

  it('executes, logs and records a "measured" decision instead of refusing', async () => {
    const s = await start({ depth: 1, dryRun: true });
    try {
      const r = await postGraphQL(s.server.graphqlUrl, { query: '{ me { orders(first: 1) { id } } }' });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.data, { me: { orders: [] } });
      const events = denied(s.cap.last().state.events);
      assert.deepEqual(
        events.map((e) => [e.outcome, e.code, e.rule, e.details]),
        [['measured', 'MAX_DEPTH_LIMIT', 'depth', { measured: 2, max: 1 }]],
      );
    } finally {
      await s.server.stop();
    }
  });
});

describe('hostile corpus over HTTP (maxTokens 4000, maxRecursiveSelections)', () => {
  let s: Awaited<ReturnType<typeof start>>;
  before(async () => {
    s = await start({}, { parseOptions: { maxTokens: 4000 }, maxRecursiveSelections: true });
  });
  after(() => s.server.stop());
  const allowed = new Set([
    'GRAPHQL_PARSE_FAILED',
    'GRAPHQL_VALIDATION_FAILED',
    'MAX_DEPTH_LIMIT',
    'MAX_HEIGHT_LIMIT',
    'MAX_ALIASES_LIMIT',
    'MAX_ROOT_FIELDS_LIMIT',
    'MAX_DIRECTIVES_LIMIT',
    'COST_ESTIMATED_TOO_EXPENSIVE',
  ]);
  for (const c of hostileCorpus()) {
    it(`${c.name}: 400 with a coded error`, async () => {
      const r = await postGraphQL(s.server.graphqlUrl, { query: c.query, variables: c.variables });
      assert.equal(r.status, 400, r.text.slice(0, 300));
      const code = r.body.errors[0].extensions.code;
      assert.ok(allowed.has(code), code);
      if (process.env.SHOW_CODES) console.log(`${c.name}: ${code}`);
    });
  }
  it('cases within the token cap reach the analyzer and get its code', async () => {
    const reached = hostileCorpus().filter((c) =>
      [
        'first: $n with n = 1,000,000',
        '__type ofType chain 200 deep',
        '20 sibling inline fragments each with a 400-item list',
      ].includes(c.name),
    );
    for (const c of reached) {
      const r = await postGraphQL(s.server.graphqlUrl, { query: c.query, variables: c.variables });
      assert.equal(r.body.errors[0].extensions.code, c.code, c.name);
    }
  });
});

describe('large hostile documents over HTTP (maxTokens 1,000,000, no selection cap)', () => {
  let s: Awaited<ReturnType<typeof start>>;
  before(async () => {
    s = await start({}, { parseOptions: { maxTokens: 1_000_000 } });
  });
  after(() => s.server.stop());
  const names = [
    '30-level fragment DAG, each spreading the next twice (fields between)',
    '100,000-item list literal argument',
    '10,000 aliases',
    '10,000 aliases of __typename',
  ];
  // (10,000 directives on one repeated field: graphql-js validation aborts first, 400 GRAPHQL_VALIDATION_FAILED.)
  for (const c of hostileCorpus().filter((x) => names.includes(x.name))) {
    it(`${c.name}: 400 ${c.code}`, async () => {
      const r = await postGraphQL(s.server.graphqlUrl, { query: c.query, variables: c.variables });
      assert.equal(r.status, 400, r.text.slice(0, 300));
      assert.equal(r.body.errors[0].extensions.code, c.code, r.body.errors[0].message);
    });
  }
});

describe('limitsModule', () => {
  it('carries the directive SDL and the plugin', () => {
    const m = limitsModule({ depth: 5 });
    assert.equal(m.name, 'limits');
    assert.match(m.typeDefs ?? '', /directive @cost\(weight: Int!\)/);
    assert.match(m.typeDefs ?? '', /requireOneSlicingArgument: Boolean = true\) on FIELD_DEFINITION/);
    assert.equal(m.plugins?.length, 1);
  });
  it('fails at startup on a bad option, naming it', () => {
    assert.throws(() => limitsPlugin({ depth: -1 }), /limits\.depth: must be/);
    assert.throws(
      () => limitsPlugin({ cost: { maxx: 1 } as never }),
      /limits\.cost\.maxx: unknown option \(did you mean "max"\?\)/,
    );
    assert.throws(
      () => limitsPlugin({ overrides: { catalog: { depth: 3 } } }),
      /limits\.overrides\.catalog: must be a field coordinate/,
    );
  });
});
