import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { MASKED_MESSAGE, rampart, resolveRampartOptions } from '@rampart/apollo';
import { getSecurityState, RampartConfigError } from '@rampart/core';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { ManualClock, testSchema } from './preset-fixtures.js';

/** A request id as Rampart makes them (UUID-shaped, version 4 layout). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Apollo's logger, captured. */
const logged: string[] = [];
const logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (message: string) => {
    logged.push(message);
  },
};

async function serve(options: Parameters<typeof rampart>[0] = {}, schema = testSchema()) {
  const security = rampart(options);
  return startTestServer(
    { schema: security.transformSchema(schema), ...security.serverOptions, plugins: security.plugins, logger },
    { context: security.context(async () => ({ mine: true })) },
  );
}

describe('hardened preset: hostile documents', () => {
  let server: TestServer<any>;
  before(async () => {
    server = await serve();
  });
  after(() => server.stop());

  const cases: Array<[string, () => string, string]> = [
    [
      '5,000-level nested query',
      () => `{ ${'node { child { '.repeat(2500)}id${' }'.repeat(5000)} }`,
      // refused before parsing (hardening.maxNesting)
      'MAX_DEPTH_LIMIT',
    ],
    [
      '10,000-alias query',
      () => `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: hello`).join(' ')} }`,
      'GRAPHQL_PARSE_FAILED',
    ],
    [
      '30-level fragment DAG (each fragment spreads the next twice)',
      () => {
        const frags = Array.from(
          { length: 30 },
          (_, i) => `fragment F${i} on Node { ...F${i + 1} child { ...F${i + 1} } }`,
        ).join('\n');
        return `query Q { node { ...F0 } }\n${frags}\nfragment F30 on Node { id }`;
      },
      'GRAPHQL_VALIDATION_FAILED',
    ],
    [
      '10,000-fragment linear chain',
      () => {
        const frags = Array.from({ length: 10_000 }, (_, i) => `fragment F${i} on Node { ...F${i + 1} }`).join('\n');
        return `query Q { node { ...F0 } }\n${frags}\nfragment F10000 on Node { id }`;
      },
      'GRAPHQL_PARSE_FAILED',
    ],
  ];
  for (const [name, make, code] of cases) {
    it(`${name}: HTTP 400 with ${code}`, async () => {
      const res = await postGraphQL(server.graphqlUrl, { query: make() });
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assert.equal(res.body.errors[0].extensions.code, code);
      assert.equal(res.body.data, undefined);
    });
  }

  it('a modest fragment DAG under maxRecursiveSelections still runs', async () => {
    const frags = Array.from({ length: 5 }, (_, i) => `fragment F${i} on Node { ...F${i + 1} child { ...F${i + 1} } }`);
    const query = `query Q { node { ...F0 } }\n${frags.join('\n')}\nfragment F5 on Node { id }`;
    const res = await postGraphQL(server.graphqlUrl, { query });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.equal(res.body.data.node.id, '0');
  });

  it('hides "Did you mean" suggestions (fields, arguments; every error of the response)', async () => {
    const res = await postGraphQL(server.graphqlUrl, { query: '{ helo items(m: 1) { id } node { nam } }' });
    assert.equal(res.status, 400);
    assert.deepEqual(
      res.body.errors.map((e: any) => [e.extensions.code, e.message]),
      [
        ['GRAPHQL_VALIDATION_FAILED', 'Cannot query field "helo" on type "Query".'],
        ['GRAPHQL_VALIDATION_FAILED', 'Unknown argument "m" on field "Query.items".'],
        ['GRAPHQL_VALIDATION_FAILED', 'Cannot query field "nam" on type "Node".'],
      ],
    );
    // the same document again: Apollo caches only valid documents, so it is validated (and stripped) again
    const again = await postGraphQL(server.graphqlUrl, { query: '{ helo }' });
    assert.equal(again.body.errors[0].message, 'Cannot query field "helo" on type "Query".');
  });

  it('keeps the suggestions when hideSchemaDetailsFromClientErrors is false', async () => {
    const open = await serve({ hardening: { hideSchemaDetailsFromClientErrors: false } });
    try {
      const res = await postGraphQL(open.graphqlUrl, { query: '{ helo }' });
      assert.equal(res.status, 400);
      assert.equal(res.body.errors[0].message, 'Cannot query field "helo" on type "Query". Did you mean "hello"?');
    } finally {
      await open.stop();
    }
  });

  it("request id header by default (no audit log: 'errors'): on errors, echoed when sent, absent otherwise", async () => {
    const own = await postGraphQL(server.graphqlUrl, { query: '{ hello }' }, { headers: { 'x-request-id': 'req-42' } });
    assert.equal(own.status, 200);
    assert.equal(own.headers.get('x-request-id'), 'req-42');
    const plain = await postGraphQL(server.graphqlUrl, { query: '{ hello }' });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('x-request-id'), null);
    // a malformed incoming id is replaced, so nothing is echoed on success
    const bad = await postGraphQL(server.graphqlUrl, { query: '{ hello }' }, { headers: { 'x-request-id': 'a b' } });
    assert.equal(bad.headers.get('x-request-id'), null);
    const failed = await postGraphQL(server.graphqlUrl, { query: '{ boom }' }, { headers: { 'x-request-id': 'a b' } });
    assert.equal(failed.status, 200);
    assert.equal(failed.body.errors.length, 1);
    assert.match(failed.headers.get('x-request-id') ?? '', UUID);
    const invalid = await postGraphQL(server.graphqlUrl, { query: '{ helo }' });
    assert.equal(invalid.status, 400);
    assert.match(invalid.headers.get('x-request-id') ?? '', UUID);
    assert.notEqual(invalid.headers.get('x-request-id'), failed.headers.get('x-request-id'));
  });

  it("exposeRequestId 'auto' is 'always' with an audit log, 'errors' without", () => {
    assert.equal(rampart().options.hardening.exposeRequestId, 'errors');
    assert.equal(resolveRampartOptions({ audit: {} as never }).hardening.exposeRequestId, 'always');
    assert.equal(
      resolveRampartOptions({ audit: {} as never, hardening: { exposeRequestId: 'never' } }).hardening.exposeRequestId,
      'never',
    );
  });

  it("exposeRequestId 'always': every response, ids differ, a client's id kept; 'never': none", async () => {
    const always = await serve({ hardening: { exposeRequestId: 'always', requestIdHeader: 'X-Correlation-Id' } });
    const never = await serve({ hardening: { exposeRequestId: 'never' } });
    try {
      const a = await postGraphQL(always.graphqlUrl, { query: '{ hello }' });
      const b = await postGraphQL(
        always.graphqlUrl,
        { query: '{ hello }' },
        { headers: { 'x-correlation-id': 'a b' } },
      );
      assert.match(a.headers.get('x-correlation-id') ?? '', UUID);
      assert.match(b.headers.get('x-correlation-id') ?? '', UUID);
      assert.notEqual(a.headers.get('x-correlation-id'), b.headers.get('x-correlation-id'));
      const echoed = await postGraphQL(
        always.graphqlUrl,
        { query: '{ hello }' },
        { headers: { 'x-correlation-id': 'c-7' } },
      );
      assert.equal(echoed.headers.get('x-correlation-id'), 'c-7');
      const n = await postGraphQL(never.graphqlUrl, { query: '{ boom }' }, { headers: { 'x-request-id': 'req-9' } });
      assert.equal(n.body.errors.length, 1);
      assert.equal(n.headers.get('x-request-id'), null);
    } finally {
      await always.stop();
      await never.stop();
    }
  });

  it('refuses a bad exposeRequestId, naming the option', () => {
    assert.throws(
      () => rampart({ hardening: { exposeRequestId: 'sometimes' as never } }),
      (e: Error) => e instanceof RampartConfigError && /rampart\.hardening\.exposeRequestId/.test(e.message),
    );
  });
});

describe('hardened preset: production defaults', () => {
  let server: TestServer<any>;
  let previous: string | undefined;
  before(async () => {
    previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    server = await serve();
  });
  after(async () => {
    process.env.NODE_ENV = previous;
    await server.stop();
  });

  it('introspection is off', async () => {
    const res = await postGraphQL(server.graphqlUrl, { query: '{ __schema { types { name } } }' });
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.match(res.body.errors[0].message, /introspection/i);
  });

  it('unexpected errors are masked with the request id; no stack trace', async () => {
    const res = await postGraphQL(
      server.graphqlUrl,
      { query: '{ hello boom }' },
      { headers: { 'x-request-id': 'r-1' } },
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.data.hello, 'world');
    assert.equal(res.body.errors.length, 1);
    const e = res.body.errors[0];
    assert.equal(e.message, MASKED_MESSAGE);
    assert.deepEqual(e.extensions, { code: 'INTERNAL_SERVER_ERROR', requestId: 'r-1' });
    assert.deepEqual(e.path, ['boom']);
    assert.doesNotMatch(res.text, /hunter2/);
    // the original is logged server-side with the request id
    const line = logged.find((l) => l.includes('request r-1'));
    assert.ok(line, `nothing logged for r-1: ${JSON.stringify(logged)}`);
    assert.match(line, /database password=hunter2 leaked in message/);
  });

  it('errors with a Rampart code pass unchanged', async () => {
    const res = await postGraphQL(server.graphqlUrl, { query: '{ hello limited }' });
    assert.equal(res.status, 200);
    assert.equal(res.body.errors[0].message, 'not for you');
    assert.equal(res.body.errors[0].extensions.code, 'FORBIDDEN');
  });

  it('errors with a code pass unchanged', async () => {
    const res = await postGraphQL(server.graphqlUrl, { query: '{ badInput }' });
    assert.equal(res.body.errors[0].message, 'name is too long');
    assert.equal(res.body.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.equal(res.body.errors[0].extensions.stacktrace, undefined);
  });

  it('introspection can be turned back on', async () => {
    const on = await serve({ hardening: { introspection: true } });
    try {
      const res = await postGraphQL(on.graphqlUrl, { query: '{ __schema { queryType { name } } }' });
      assert.equal(res.status, 200);
      assert.equal(res.body.data.__schema.queryType.name, 'Query');
    } finally {
      await on.stop();
    }
  });
});

describe('hardened preset: development defaults', () => {
  it('unexpected errors are not masked outside production', async () => {
    const server = await serve();
    try {
      const res = await postGraphQL(server.graphqlUrl, { query: '{ boom }' });
      assert.match(res.body.errors[0].message, /database password/);
      assert.ok(Array.isArray(res.body.errors[0].extensions.stacktrace));
    } finally {
      await server.stop();
    }
  });
});

describe('hardened preset: batching', () => {
  const op = { query: '{ hello }' };
  it('is refused by default with HTTP 400', async () => {
    const server = await serve();
    try {
      const res = await postGraphQL(server.graphqlUrl, [op, op]);
      assert.equal(res.status, 400);
      assert.match(res.text, /batching disabled/i);
    } finally {
      await server.stop();
    }
  });
  it('a batch answers with the request id of the HTTP request (echoed, or one new id for all)', async () => {
    const errors = await serve({ hardening: { batching: 3, exposeRequestId: 'errors' } });
    const always = await serve({ hardening: { batching: 3, exposeRequestId: 'always' } });
    try {
      const batch = [{ query: '{ hello }' }, { query: '{ hello }' }];
      const echoed = await postGraphQL(errors.graphqlUrl, batch, { headers: { 'x-request-id': 'b-1' } });
      assert.equal(echoed.status, 200);
      assert.equal(echoed.headers.get('x-request-id'), 'b-1');
      const quiet = await postGraphQL(errors.graphqlUrl, batch);
      assert.equal(quiet.headers.get('x-request-id'), null);
      const fresh = await postGraphQL(always.graphqlUrl, batch);
      assert.match(fresh.headers.get('x-request-id') ?? '', UUID);
    } finally {
      await errors.stop();
      await always.stop();
    }
  });

  it('when on, is capped: 3 of 3 pass, 4 get HTTP 400 MAX_BATCH_SIZE_LIMIT', async () => {
    const server = await serve({ hardening: { batching: 3 } });
    try {
      const ok = await postGraphQL(server.graphqlUrl, [op, op, op]);
      assert.equal(ok.status, 200);
      assert.equal(ok.body.length, 3);
      for (const r of ok.body) assert.equal(r.data.hello, 'world');
      const over = await postGraphQL(server.graphqlUrl, [op, op, op, op]);
      assert.equal(over.status, 400);
      assert.equal(over.body.length, 4);
      for (const r of over.body) {
        assert.equal(r.errors[0].extensions.code, 'MAX_BATCH_SIZE_LIMIT');
        assert.deepEqual(r.errors[0].extensions.batch, { size: 4, max: 3 });
        assert.equal(r.data, undefined);
      }
    } finally {
      await server.stop();
    }
  });
});

describe('hardened preset: execution deadline', () => {
  it('stops starting resolvers after the deadline; one EXECUTION_TIMEOUT error; HTTP 503', async () => {
    const clock = new ManualClock();
    const calls = { n: 0 };
    const schema = testSchema({ calls, onSlow: () => clock.advance(10) });
    const server = await serve({ clock, hardening: { executionTimeoutMs: 1000 } }, schema);
    try {
      const res = await postGraphQL(server.graphqlUrl, { query: '{ items(n: 5000) { id slow } }' });
      assert.equal(res.status, 503);
      const timeouts = res.body.errors.filter((e: any) => e.extensions.code === 'EXECUTION_TIMEOUT');
      assert.equal(timeouts.length, 1);
      assert.equal(res.body.errors.length, 1);
      assert.equal(timeouts[0].extensions.timeout.ms, 1000);
      assert.ok(timeouts[0].extensions.timeout.refusedResolvers > 0);
      // 100 slow calls reach the deadline; the clock is read every 256 resolver starts
      assert.ok(calls.n >= 100 && calls.n <= 100 + 256, `slow resolver ran ${calls.n} times`);
      // fields that only read a property are not wrapped: they keep their data after the deadline,
      // while every field with a resolver of its own is refused
      const items = res.body.data.items;
      assert.equal(items.length, 5000);
      assert.equal(items[4999].id, '4999');
      assert.equal(items[4999].slow, null);
    } finally {
      await server.stop();
    }
  });
  it('the timer stops execution while resolvers wait on I/O, without the clock being read', async () => {
    const clock = new ManualClock(); // never advances: only the timer can expire the deadline
    const calls = { inner: 0 };
    const schema = makeExecutableSchema({
      typeDefs: 'type Inner { v: Int } type Outer { inner: Inner } type Query { outer: Outer, fast: Int }',
      resolvers: {
        Query: {
          outer: () => new Promise((resolve) => setTimeout(() => resolve({}), 80)),
          fast: () => 1,
        },
        Outer: { inner: () => ({}) },
        Inner: {
          v: () => {
            calls.inner++;
            return 1;
          },
        },
      },
    });
    const server = await serve({ clock, hardening: { executionTimeoutMs: 20 } }, schema);
    try {
      const slow = await postGraphQL(server.graphqlUrl, { query: '{ outer { inner { v } } }' });
      assert.equal(slow.status, 503);
      assert.equal(slow.body.errors.length, 1);
      assert.equal(slow.body.errors[0].extensions.code, 'EXECUTION_TIMEOUT');
      assert.equal(calls.inner, 0);
      // many quick operations in a row share the timer; none is cut short
      for (let i = 0; i < 50; i++) {
        const fast = await postGraphQL(server.graphqlUrl, { query: '{ fast }' });
        assert.equal(fast.status, 200);
        assert.deepEqual(fast.body, { data: { fast: 1 } });
      }
      // and a slow one after them still times out
      const again = await postGraphQL(server.graphqlUrl, { query: '{ outer { inner { v } } }' });
      assert.equal(again.status, 503);
      assert.equal(calls.inner, 0);
    } finally {
      await server.stop();
    }
  });
  it('a deadline that passes while the last resolver runs, with nothing refused, leaves the response alone', async () => {
    const clock = new ManualClock();
    const schema = makeExecutableSchema({
      typeDefs: 'type Query { slow: Int }',
      resolvers: { Query: { slow: () => new Promise((resolve) => setTimeout(() => resolve(7), 60)) } },
    });
    const server = await serve({ clock, hardening: { executionTimeoutMs: 10 } }, schema);
    try {
      const res = await postGraphQL(server.graphqlUrl, { query: '{ slow }' });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { data: { slow: 7 } });
    } finally {
      await server.stop();
    }
  });
  it('an operation within its deadline is untouched', async () => {
    const clock = new ManualClock();
    const server = await serve({ clock, hardening: { executionTimeoutMs: 1000 } });
    try {
      const res = await postGraphQL(server.graphqlUrl, { query: '{ items(n: 2000) { id slow } }' });
      assert.equal(res.status, 200);
      assert.equal(res.body.errors, undefined);
      assert.equal(res.body.data.items.length, 2000);
    } finally {
      await server.stop();
    }
  });
});

describe('hardened preset: cache control', () => {
  const cached = makeExecutableSchema({
    typeDefs: `
      enum CacheControlScope { PUBLIC PRIVATE }
      directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
      type Query { hello: String @cacheControl(maxAge: 60) }`,
    resolvers: { Query: { hello: () => 'hi' } },
  });
  it("'auto' keeps Apollo's cache-control plugin when the schema uses @cacheControl", async () => {
    const server = await serve({}, cached);
    try {
      const res = await postGraphQL(server.graphqlUrl, { query: '{ hello }' });
      assert.equal(res.headers.get('cache-control'), 'max-age=60, public');
    } finally {
      await server.stop();
    }
  });
  it("'disable' removes it", async () => {
    const server = await serve({ hardening: { cacheControl: 'disable' } }, cached);
    try {
      const res = await postGraphQL(server.graphqlUrl, { query: '{ hello }' });
      assert.equal(res.headers.get('cache-control'), null);
    } finally {
      await server.stop();
    }
  });
  it("'auto' disables it for a schema without @cacheControl", () => {
    const security = rampart();
    security.transformSchema(testSchema());
    assert.ok(
      security.plugins.some(
        (p) => (p as { __internal_plugin_id__?: string }).__internal_plugin_id__ === 'CacheControl',
      ),
    );
    const keep = rampart({ hardening: { cacheControl: 'keep' } });
    keep.transformSchema(testSchema());
    assert.ok(
      !keep.plugins.some((p) => (p as { __internal_plugin_id__?: string }).__internal_plugin_id__ === 'CacheControl'),
    );
  });
});

describe('rampart(): options and context', () => {
  it('rejects a bad option at startup, naming it', () => {
    assert.throws(
      () => rampart({ hardening: { maxTokens: 0 } }),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'rampart.hardening.maxTokens',
    );
    assert.throws(
      () => rampart({ hardening: { maxToken: 10 } as never }),
      (e: unknown) => e instanceof RampartConfigError && /did you mean "maxTokens"/.test(e.message),
    );
  });
  it("attaches the security state to the user's context without touching its keys", async () => {
    let seen: any;
    const security = rampart();
    const schema = makeExecutableSchema({
      typeDefs: 'type Query { me: String }',
      resolvers: {
        Query: {
          me: (_: unknown, __: unknown, ctx: any) => {
            seen = ctx;
            return getSecurityState(ctx)?.principal.kind;
          },
        },
      },
    });
    const server = await startTestServer(
      { schema: security.transformSchema(schema), ...security.serverOptions, plugins: security.plugins },
      { context: security.context(async () => ({ db: 'mine' })) },
    );
    try {
      const res = await postGraphQL(server.graphqlUrl, { query: '{ me }' });
      assert.equal(res.body.data.me, 'anonymous');
      assert.deepEqual(Object.keys(seen), ['db']);
      assert.equal(getSecurityState(seen)?.principal.ip, '127.0.0.1');
    } finally {
      await server.stop();
    }
  });
});
