/**
 * The anomaly signal end to end: `rampart({ anomaly })` over real HTTP, with the real OpenTelemetry SDK
 * (in-memory reader) and a real audit file. 50 refused operations of one client within the window give
 * exactly one anomaly (one decision in one audit record, one `rampart.anomalies` point); the 51st to
 * 99th none; the next window one again; clients below the threshold none; responses never change.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { rampart } from '@rampart/apollo';
import { allow, createDevKeys, type DevKeys, mintToken, rule, shield } from '@rampart/auth';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { startSdk, type TestSdk } from './telemetry-fixtures.js';

const issuer = 'https://issuer.test';
const audience = 'https://api.test';
const ANOMALIES = 'rampart.anomalies';

const typeDefs = /* GraphQL */ `
  type Query {
    hello: String
    admin: String
  }
`;
const resolvers = { Query: { hello: () => 'world', admin: () => 'secret' } };
const isAdmin = rule('isAdmin', { cache: 'contextual' })(() => false);

/** A clock the test moves by hand. */
const clock = {
  t: Date.now(),
  now(): number {
    return this.t;
  },
};

describe('anomaly signal over HTTP (real OpenTelemetry SDK, audit file)', () => {
  let sdk: TestSdk;
  let keys: DevKeys;
  let server: TestServer<any>;
  let dir: string;
  let file: string;

  before(async () => {
    sdk = startSdk();
    keys = await createDevKeys({ alg: 'ES256' });
    dir = mkdtempSync(join(tmpdir(), 'rampart-anomaly-'));
    file = join(dir, 'audit.log');
    const security = rampart({
      authentication: { jwt: { issuer, audience, algorithms: ['ES256'], keys: [keys.publicJwk] } },
      ipFilter: { trustedProxies: ['127.0.0.1'] },
      rules: shield({ Query: { admin: isAdmin } }, { fallbackRule: allow }),
      audit: { destination: file, durability: 'sync' },
      anomaly: { threshold: 50, windowSeconds: 60 },
      clock,
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

  /** The anomaly decisions of the audit file, in order. */
  function anomalyDecisions(): Record<string, unknown>[] {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .flatMap((l) => (JSON.parse(l).rampart?.decisions ?? []) as Record<string, unknown>[])
      .filter((d) => d.source === 'anomaly');
  }
  const anomalies = (refusalClass: string) => sdk.value(ANOMALIES, { 'rampart.refusal_class': refusalClass });
  const badToken = (ip: string) =>
    postGraphQL(
      server.graphqlUrl,
      { query: '{ hello }' },
      { headers: { authorization: 'Bearer not-a-token', 'x-forwarded-for': ip } },
    );
  /** Sends `n` refused requests (bad token) from `ip`; every one is the same 401. */
  async function refuse(ip: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const res = await badToken(ip);
      assert.equal(res.status, 401);
      assert.deepEqual(
        res.body.errors.map((e: any) => [e.message, e.extensions.code]),
        [['The access token is invalid', 'UNAUTHENTICATED']],
      );
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="graphql", error="invalid_token"/);
    }
  }

  it('50 authentication failures of one client in a window: one anomaly; the 51st-99th none; next window one', async () => {
    const ip = '198.51.100.7';
    await refuse(ip, 49);
    assert.deepEqual(anomalyDecisions(), []);
    assert.equal(await anomalies('authentication'), 0);
    await refuse(ip, 1); // the 50th: same response, one anomaly
    assert.deepEqual(anomalyDecisions(), [
      {
        source: 'anomaly',
        outcome: 'measured',
        rule: 'refusal-rate',
        reason: '50 refused operations within 60 s from one client (threshold 50)',
        details: { refusalClass: 'authentication', refusals: 50, threshold: 50, windowSeconds: 60 },
        at: clock.t,
      },
    ]);
    assert.deepEqual(await sdk.points(ANOMALIES), [
      { attributes: { 'rampart.refusal_class': 'authentication' }, value: 1 },
    ]);
    const decided = { 'rampart.source': 'anomaly', 'rampart.outcome': 'measured', 'rampart.rule': 'refusal-rate' };
    assert.equal(await sdk.value('rampart.decisions', decided), 1);
    await refuse(ip, 49); // the 51st to 99th
    assert.equal(anomalyDecisions().length, 1);
    assert.equal(await anomalies('authentication'), 1);
    // the next window: the 99 refusals are forgotten; 50 more make one anomaly again
    clock.t += 60_000;
    await refuse(ip, 49);
    assert.equal(anomalyDecisions().length, 1);
    await refuse(ip, 1);
    const all = anomalyDecisions();
    assert.equal(all.length, 2);
    assert.equal(all[1]!.at, clock.t);
    assert.equal(await anomalies('authentication'), 2);
    assert.equal(await sdk.value('rampart.decisions', decided), 2);
  });

  it('two clients with 49 refusals each (below the threshold): none', async () => {
    clock.t += 60_000;
    await refuse('198.51.100.8', 49);
    await refuse('198.51.100.9', 49);
    assert.equal(anomalyDecisions().length, 2);
    assert.equal(await anomalies('authentication'), 2);
  });

  it('rule denials are counted against the user whatever the address: one authorization anomaly', async () => {
    clock.t += 60_000;
    const token = await mintToken(keys, { issuer, audience, subject: 'mallory' });
    for (let i = 0; i < 50; i++) {
      const res = await postGraphQL(
        server.graphqlUrl,
        { query: '{ hello admin }' },
        { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': `203.0.113.${i}` } },
      );
      // partial data, as always: the anomaly does not change the response
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.data, { hello: 'world', admin: null });
      assert.equal(res.body.errors[0].extensions.code, 'FORBIDDEN');
    }
    const last = anomalyDecisions().at(-1)!;
    assert.deepEqual(last.details, { refusalClass: 'authorization', refusals: 50, threshold: 50, windowSeconds: 60 });
    assert.equal(await anomalies('authorization'), 1);
    assert.equal(await anomalies('authentication'), 2);
  });
});
