/**
 * Telemetry end to end: `rampart()` with the real OpenTelemetry SDK (in-memory reader and span
 * exporter), over real HTTP. Every refusal class increments `rampart.decisions` with exact
 * attributes; spans are children of the active span; the number of data points stays bounded under
 * 10,000 distinct clients; the rate-limit store, audit writer and JWKS report what only they see.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { Attributes } from '@opentelemetry/api';
import { rampart } from '@rampart/apollo';
import { allow, createDevKeys, type DevKeys, mintToken, rule, shield } from '@rampart/auth';
import { type RedisStore, redisStore } from '@rampart/rate-limit';
import { connectRedis, deleteKeys, postGraphQL, redisUrl, startTestServer, type TestServer } from '@rampart/testing';
import { startSdk, type TestSdk } from './telemetry-fixtures.js';

const issuer = 'https://issuer.test';
const audience = 'https://api.test';
const DECISIONS = 'rampart.decisions';

const typeDefs = /* GraphQL */ `
  type Node {
    id: ID!
    child: Node
  }
  type Query {
    hello: String
    me: String @requiresScopes(scopes: [["read:me"]])
    admin: String
    node: Node
  }
`;

const resolvers = {
  Query: {
    hello: () => 'world',
    me: () => 'me',
    admin: () => 'secret',
    node: () => ({ id: '1', child: () => ({ id: '2', child: null }) }),
  },
};

const isAdmin = rule('isAdmin', { cache: 'contextual' })(() => false);

describe('telemetry over HTTP (real OpenTelemetry SDK, in-memory)', () => {
  let sdk: TestSdk;
  let keys: DevKeys;
  let server: TestServer<any>;
  let dir: string;
  let n = 0;
  /** A fresh client address (through the trusted proxy), so per-client limits never interfere. */
  const client = () => `198.51.${Math.floor(++n / 250)}.${n % 250}`;

  before(async () => {
    sdk = startSdk();
    keys = await createDevKeys({ alg: 'ES256' });
    dir = mkdtempSync(join(tmpdir(), 'rampart-telemetry-'));
    const security = rampart({
      authentication: { jwt: { issuer, audience, algorithms: ['ES256'], keys: [keys.publicJwk] } },
      ipFilter: { trustedProxies: ['127.0.0.1'], deny: ['203.0.113.0/24'] },
      rules: shield({ Query: { admin: isAdmin } }, { fallbackRule: allow }),
      limits: { depth: 2 },
      rateLimit: { operation: { limit: 2, duration: 60 } },
      audit: { destination: join(dir, 'audit.log'), actualCost: 'always' },
      telemetry: { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider },
    });
    const schema = security.transformSchema(
      makeExecutableSchema({ typeDefs: [security.typeDefs, typeDefs], resolvers }),
    );
    server = await startTestServer(
      { schema, ...security.serverOptions, plugins: security.plugins },
      { context: security.context() },
    );
  });
  after(async () => {
    await server.stop();
    await sdk.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  const token = (scopes: string[] = []) => mintToken(keys, { issuer, audience, subject: `user-${n}`, scopes });
  const post = (query: string, headers: Record<string, string> = {}) =>
    postGraphQL(server.graphqlUrl, { query }, { headers: { 'x-forwarded-for': client(), ...headers } });

  /** Runs `act` and returns how much each decision attribute set grew. */
  async function delta(act: () => Promise<void>): Promise<Map<string, number>> {
    const before = new Map((await sdk.points(DECISIONS)).map((p) => [key(p.attributes), p.value]));
    await act();
    const out = new Map<string, number>();
    for (const p of await sdk.points(DECISIONS)) {
      const d = p.value - (before.get(key(p.attributes)) ?? 0);
      if (d !== 0) out.set(key(p.attributes), d);
    }
    return out;
  }

  const attrs = (source: string, outcome: string, extra: Record<string, string> = {}) =>
    key({
      'rampart.source': source,
      'rampart.outcome': outcome,
      ...extra,
    });
  const ipAllowed = attrs('ip-filter', 'allowed', { 'rampart.rule': 'global' });
  const authAllowed = attrs('auth', 'allowed');
  const admitted = attrs('rate-limit', 'allowed', { 'rampart.rule': 'operation' });

  it('a successful request counts the decisions it took, and nothing else', async () => {
    const d = await delta(async () => {
      const res = await post('{ hello }', { authorization: `Bearer ${await token()}` });
      assert.equal(res.status, 200, res.text);
    });
    assert.deepEqual(
      d,
      new Map([
        [ipAllowed, 1],
        [authAllowed, 1],
        [admitted, 1],
      ]),
    );
  });

  it('an authentication failure (401) counts auth/denied/UNAUTHENTICATED', async () => {
    const d = await delta(async () => {
      assert.equal((await post('{ hello }', { authorization: 'Bearer not-a-token' })).status, 401);
    });
    const denied = attrs('auth', 'denied', { 'rampart.code': 'UNAUTHENTICATED' });
    assert.deepEqual(
      d,
      new Map([
        [ipAllowed, 1],
        [denied, 1],
      ]),
    );
  });

  it('a rule denial counts rules/denied/FORBIDDEN with the rule name', async () => {
    const d = await delta(async () => {
      const res = await post('{ admin }');
      assert.equal(res.body.errors[0].extensions.code, 'FORBIDDEN');
    });
    const denied = attrs('rules', 'denied', { 'rampart.code': 'FORBIDDEN', 'rampart.rule': 'isAdmin' });
    assert.deepEqual(
      d,
      new Map([
        [ipAllowed, 1],
        [authAllowed, 1],
        [admitted, 1],
        [denied, 1],
      ]),
    );
  });

  it('a scope denial counts scopes/denied/FORBIDDEN', async () => {
    const d = await delta(async () => {
      assert.equal((await post('{ me }', { authorization: `Bearer ${await token()}` })).status, 403);
    });
    const denied = attrs('scopes', 'denied', { 'rampart.code': 'FORBIDDEN' });
    assert.deepEqual(
      d,
      new Map([
        [ipAllowed, 1],
        [authAllowed, 1],
        [admitted, 1],
        [denied, 1],
      ]),
    );
  });

  it('a limits refusal (400) counts limits/denied/MAX_DEPTH_LIMIT with the limit name', async () => {
    const d = await delta(async () => {
      assert.equal((await post('{ node { child { child { id } } } }')).status, 400);
    });
    const denied = attrs('limits', 'denied', { 'rampart.code': 'MAX_DEPTH_LIMIT', 'rampart.rule': 'depth' });
    assert.deepEqual(
      d,
      new Map([
        [ipAllowed, 1],
        [authAllowed, 1],
        [admitted, 1],
        [denied, 1],
      ]),
    );
  });

  it('a rate limit (429) counts rate-limit/limited/RATE_LIMITED', async () => {
    const ip = client();
    const d = await delta(async () => {
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        statuses.push(
          (await postGraphQL(server.graphqlUrl, { query: '{ hello }' }, { headers: { 'x-forwarded-for': ip } })).status,
        );
      }
      assert.deepEqual(statuses, [200, 200, 429]);
    });
    const limited = attrs('rate-limit', 'limited', { 'rampart.code': 'RATE_LIMITED', 'rampart.rule': 'operation' });
    assert.deepEqual(
      d,
      new Map([
        [ipAllowed, 3],
        [authAllowed, 3],
        [admitted, 2],
        [limited, 1],
      ]),
    );
  });

  it('an IP filter refusal (403) counts ip-filter/denied/FORBIDDEN', async () => {
    const d = await delta(async () => {
      const res = await postGraphQL(
        server.graphqlUrl,
        { query: '{ hello }' },
        { headers: { 'x-forwarded-for': '203.0.113.9' } },
      );
      assert.equal(res.status, 403);
    });
    const denied = attrs('ip-filter', 'denied', { 'rampart.code': 'FORBIDDEN', 'rampart.rule': 'global' });
    assert.deepEqual(d, new Map([[denied, 1]]));
  });

  it('records estimated cost and depth per operation type; actual cost only when already computed', async () => {
    const before = await sdk.value('rampart.operation.depth', { 'graphql.operation.type': 'query' });
    const estBefore = await sdk.value('rampart.cost.estimated', { 'graphql.operation.type': 'query' });
    assert.equal((await post('{ node { child { id } } }')).status, 200);
    assert.equal(await sdk.value('rampart.operation.depth', { 'graphql.operation.type': 'query' }), before + 1);
    assert.equal(await sdk.value('rampart.cost.estimated', { 'graphql.operation.type': 'query' }), estBefore + 1);
    const depth = (await sdk.points('rampart.operation.depth'))[0]!;
    assert.ok(depth.sum !== undefined && depth.sum > 0);
    // the audit record (actualCost: 'always') counted the actual cost: computed already, so recorded too
    const actual = await sdk.points('rampart.cost.actual');
    assert.deepEqual(
      actual.map((p) => p.attributes),
      [{ 'graphql.operation.type': 'query' }],
    );
  });

  it('spans: authentication and analysis with decisions as events, audit writes', async () => {
    sdk.spans.reset();
    assert.equal((await post('{ node { child { child { id } } } }')).status, 400);
    const spans = sdk.spans.getFinishedSpans();
    const names = spans.map((s) => s.name).sort();
    // the memory store answers in-process, synchronously: no round trip, no span (Redis: below)
    assert.deepEqual(names, ['rampart.analysis', 'rampart.audit.write', 'rampart.authentication']);
    const analysis = spans.find((s) => s.name === 'rampart.analysis')!;
    assert.equal(analysis.status.code, 2); // ERROR
    assert.equal(analysis.attributes['rampart.code'], 'MAX_DEPTH_LIMIT');
    assert.deepEqual(
      analysis.events.map((e) => [e.name, e.attributes?.['rampart.source'], e.attributes?.['rampart.code']]),
      [
        ['rampart.decision', 'limits', 'MAX_DEPTH_LIMIT'],
        ['rampart.decision', 'rate-limit', undefined],
      ],
    );
    const authentication = spans.find((s) => s.name === 'rampart.authentication')!;
    assert.deepEqual(
      authentication.events.map((e) => [e.attributes?.['rampart.source'], e.attributes?.['rampart.outcome']]),
      [
        ['ip-filter', 'allowed'],
        ['auth', 'allowed'],
      ],
    );
  });
});

describe('telemetry: a Redis rate-limit store', () => {
  const PREFIX = 'test:telemetry:';
  let sdk: TestSdk;
  let store: RedisStore;
  let redis: Awaited<ReturnType<typeof connectRedis>>;
  let server: TestServer<any>;

  before(async () => {
    sdk = startSdk();
    redis = await connectRedis();
    await deleteKeys(redis, PREFIX);
    store = redisStore(redisUrl());
    const security = rampart({
      rateLimit: { store, prefix: PREFIX, operation: { limit: 100, duration: 60 } },
      telemetry: { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider },
    });
    const schema = security.transformSchema(
      makeExecutableSchema({ typeDefs: [security.typeDefs, typeDefs], resolvers }),
    );
    server = await startTestServer(
      { schema, ...security.serverOptions, plugins: security.plugins },
      { context: security.context() },
    );
  });
  after(async () => {
    await server.stop();
    await store.close();
    await deleteKeys(redis, PREFIX);
    redis.disconnect();
    await sdk.shutdown();
  });

  it('round trips by store and outcome, a span per call, and the store is up', async () => {
    for (let i = 0; i < 3; i++)
      assert.equal((await postGraphQL(server.graphqlUrl, { query: '{ hello }' })).status, 200);
    // two calls per operation: the admission before parsing, the charge after validation
    const points = await sdk.points('rampart.store.duration');
    assert.deepEqual(
      points.map((p) => [p.attributes, p.value]),
      [[{ 'rampart.store': 'redis', 'rampart.outcome': 'success' }, 6]],
    );
    assert.deepEqual(await sdk.points('rampart.store.up'), [{ attributes: { 'rampart.store': 'redis' }, value: 1 }]);
    const spans = sdk.spans.getFinishedSpans().filter((s) => s.name === 'rampart.rate_limit.store');
    assert.equal(spans.length, 6);
    assert.deepEqual(spans[0]!.attributes, { 'rampart.store': 'redis', 'rampart.outcome': 'success' });
  });
});

describe('telemetry: spans are children of the active span; audit records and bytes are exact', () => {
  let sdk: TestSdk;
  let dir: string;

  before(() => {
    sdk = startSdk();
    dir = mkdtempSync(join(tmpdir(), 'rampart-telemetry-'));
  });
  after(async () => {
    await sdk.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a request inside an active span: Rampart spans are its children; audit bytes = the file', async () => {
    const file = join(dir, 'audit.log');
    const security = rampart({
      rules: shield({ Query: { admin: isAdmin } }, { fallbackRule: allow }),
      audit: { destination: file },
      telemetry: { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider },
    });
    const schema = security.transformSchema(
      makeExecutableSchema({ typeDefs: [security.typeDefs, typeDefs], resolvers }),
    );
    const apollo = new ApolloServer({ schema, ...security.serverOptions, plugins: security.plugins });
    await apollo.start();
    const tracer = sdk.tracerProvider.getTracer('test');
    const parentId = await tracer.startActiveSpan('http.request', async (parent) => {
      const contextValue = await security.context()({ req: { headers: {}, socket: { remoteAddress: '127.0.0.1' } } });
      const res = await apollo.executeOperation({ query: '{ hello admin }' }, { contextValue });
      assert.equal(res.body.kind, 'single');
      parent.end();
      return parent.spanContext().spanId;
    });
    const ok = await security.context()({ req: { headers: {}, socket: { remoteAddress: '127.0.0.1' } } });
    await apollo.executeOperation({ query: '{ hello }' }, { contextValue: ok });
    await apollo.stop();

    const spans = sdk.spans.getFinishedSpans();
    const children = spans
      .filter((s) => s.parentSpanContext?.spanId === parentId)
      .map((s) => s.name)
      .sort();
    assert.deepEqual(children, ['rampart.analysis', 'rampart.audit.write', 'rampart.authentication']);
    // the rule denial happened during execution: an event of the active (parent) span
    const parent = spans.find((s) => s.name === 'http.request')!;
    assert.deepEqual(
      parent.events.map((e) => [e.name, e.attributes?.['rampart.rule'], e.attributes?.['rampart.code']]),
      [['rampart.decision', 'isAdmin', 'FORBIDDEN']],
    );
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    assert.equal(await sdk.value('rampart.audit.records', {}), lines.length);
    assert.equal(await sdk.value('rampart.audit.bytes', {}), statSync(file).size);
    assert.equal(await sdk.value('rampart.audit.write_errors', {}), 0);
  });
});

function key(attributes: Attributes): string {
  return JSON.stringify(Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b))));
}
