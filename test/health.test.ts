/**
 * `security.health()` with real parts: a private redis-server stopped by pid (the store goes down and
 * comes back), a JWKS server on loopback that fails then answers, an audit destination that fails
 * then writes. Each reading is asserted field by field; none carries a token, key or address.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { type Rampart, type RampartOptions, rampart } from '@rampart/apollo';
import { createDevKeys, type DevKeys, mintToken } from '@rampart/auth';
import { createRedisClient, RedisStore } from '@rampart/rate-limit';
import { postGraphQL, startPrivateRedis, startTestServer, type TestServer } from '@rampart/testing';

const typeDefs = 'type Query { hello: String }';
const resolvers = { Query: { hello: () => 'world' } };
const iso = (ms: number) => new Date(ms).toISOString();

/** A clock the test moves by hand. */
function manualClock() {
  return {
    t: Date.UTC(2026, 11, 5, 12, 0, 0),
    now(): number {
      return this.t;
    },
  };
}

async function serve(options: RampartOptions): Promise<{ security: Rampart; server: TestServer<any> }> {
  const security = rampart({ telemetry: false, anomaly: false, ...options });
  const schema = security.transformSchema(makeExecutableSchema({ typeDefs: [security.typeDefs, typeDefs], resolvers }));
  const server = await startTestServer(
    { schema, ...security.serverOptions, plugins: security.plugins },
    { context: security.context() },
  );
  return { security, server };
}

describe('health: a Redis rate-limit store stopped and restarted', () => {
  it("onStoreError 'deny': up, then down (503s) since the failed call, then up again", async () => {
    let priv = await startPrivateRedis();
    const client = createRedisClient(priv.url, { commandTimeout: 300, connectTimeout: 300 });
    const clock = manualClock();
    const t0 = clock.t;
    const { security, server } = await serve({
      rateLimit: {
        store: new RedisStore(client, { ownsClient: true }),
        prefix: 'test:health:',
        onStoreError: 'deny',
        operation: { limit: 100, duration: 60 },
        warn: () => {},
      },
      clock,
      logger: { warn() {}, error() {} },
    });
    const store = (status: 'up' | 'down', since: number) => ({
      name: 'redis',
      status,
      since: iso(since),
      onStoreError: 'deny',
      fallback: false,
    });
    try {
      const call = () => postGraphQL(server.graphqlUrl, { query: '{ hello }' });
      assert.equal((await call()).status, 200);
      clock.t += 1000;
      assert.deepEqual(security.health(), {
        status: 'up',
        checkedAt: iso(clock.t),
        stores: [store('up', t0)],
        jwks: [],
        audit: null,
      });
      await priv.stop();
      clock.t += 1000;
      assert.equal((await call()).status, 503);
      const downAt = clock.t;
      clock.t += 1000;
      assert.deepEqual(security.health(), {
        status: 'down',
        checkedAt: iso(clock.t),
        stores: [store('down', downAt)],
        jwks: [],
        audit: null,
      });
      priv = await priv.restart();
      await new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', resolve)));
      assert.equal((await call()).status, 200);
      assert.deepEqual(security.health().stores, [store('up', clock.t)]);
      assert.equal(security.health().status, 'up');
    } finally {
      await server.stop();
      await priv.stop();
    }
  });
});

describe('health: a remote JWKS on loopback that fails, then answers', () => {
  let keys: DevKeys;
  let jwks: Server;
  let jwksUri: string;
  let failing = true;
  const issuer = 'https://issuer.test';
  const audience = 'https://api.test';

  before(async () => {
    keys = await createDevKeys({ alg: 'ES256' });
    jwks = createServer((_req, res) => {
      if (failing) res.writeHead(500).end('boom');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keys.jwks));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  });
  after(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

  it('up before any fetch; degraded with the last error; up with the last success (no key in it)', async () => {
    const { security, server } = await serve({
      authentication: { jwt: { issuer, audience, algorithms: ['ES256'], jwksUri }, logger: { warn() {}, error() {} } },
    });
    try {
      const entry = (h = security.health()) => h.jwks[0]!;
      assert.deepEqual(security.health().jwks, [
        { issuer, url: jwksUri, status: 'up', lastSuccess: null, lastError: null },
      ]);
      const token = await mintToken(keys, { issuer, audience, subject: 'alice' });
      const call = () =>
        postGraphQL(server.graphqlUrl, { query: '{ hello }' }, { headers: { authorization: `Bearer ${token}` } });
      const before = Date.now();
      assert.equal((await call()).status, 401);
      const failed = security.health();
      assert.equal(failed.status, 'degraded');
      assert.equal(entry(failed).status, 'down');
      assert.equal(entry(failed).lastSuccess, null);
      assert.equal(entry(failed).lastError!.message, 'HTTP 500');
      const at = Date.parse(entry(failed).lastError!.at);
      assert.ok(at >= before && at <= Date.now(), entry(failed).lastError!.at);
      failing = false;
      assert.equal((await call()).status, 200);
      const ok = security.health();
      assert.equal(ok.status, 'up');
      assert.equal(entry(ok).status, 'up');
      assert.ok(Date.parse(entry(ok).lastSuccess!) >= at);
      assert.deepEqual(entry(ok).lastError, entry(failed).lastError);
      const text = JSON.stringify(ok);
      assert.ok(!text.includes(token) && !text.includes(keys.publicJwk.x as string), 'no token, no key');
    } finally {
      await server.stop();
    }
  });
});

describe('health: the audit writer', () => {
  it('down after a failed write (degraded without failClosed), with the error code and drops; up again', async () => {
    const clock = manualClock();
    let failing = false;
    const lines: string[] = [];
    const stream = {
      write(line: string) {
        if (failing) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        lines.push(line);
      },
    };
    const { security, server } = await serve({
      audit: { destination: { stream }, durability: 'sync', clock, onWriteError: () => {} },
      clock,
    });
    try {
      const call = () => postGraphQL(server.graphqlUrl, { query: '{ hello }' });
      assert.equal((await call()).status, 200);
      const healthy = { status: 'up', failClosed: false, queued: 0, dropped: 0, lastError: null };
      assert.deepEqual(security.health().audit, healthy);
      failing = true;
      clock.t += 5000;
      assert.equal((await call()).status, 200);
      const lastError = { at: iso(clock.t), message: 'ENOSPC: no space left on device' };
      assert.deepEqual(security.health(), {
        status: 'degraded',
        checkedAt: iso(clock.t),
        stores: [
          {
            name: 'memory',
            status: 'up',
            since: iso(clock.t - 5000),
            onStoreError: 'fallback-memory',
            fallback: false,
          },
        ],
        jwks: [],
        audit: { status: 'down', failClosed: false, queued: 0, dropped: 1, lastError },
      });
      failing = false;
      assert.equal((await call()).status, 200);
      assert.deepEqual(security.health().audit, { ...healthy, dropped: 1, lastError });
      assert.equal(security.health().status, 'up');
    } finally {
      await server.stop();
    }
  });
});
