// The shop's readiness endpoint over real HTTP: GET /healthz on the same port as /graphql
// (src/serve.ts), 200 while Rampart serves (up or degraded), with the state of the Redis store (a
// private redis-server this test stops by pid), the dev JWKS (stopped too) and the audit writer.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mintToken } from '@rampart/auth';
import { type PrivateRedis, postGraphQL, startPrivateRedis } from '@rampart/testing';
import { createShop, type Shop } from '../src/app.js';
import { DEV_AUDIENCE, DEV_BACK_OFFICE_ISSUER, DEV_ISSUER, devSigningKeys } from '../src/dev-identity.js';
import { type ServedShop, serveShop } from '../src/serve.js';

describe('shop example: GET /healthz', () => {
  let dir: string;
  let redis: PrivateRedis;
  let shop: Shop;
  let served: ServedShop;
  let healthz: string;
  let graphql: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rampart-shop-health-'));
    redis = await startPrivateRedis();
    shop = await createShop({ devKeysDir: dir, auditDir: join(dir, 'audit'), redisUrl: redis.url });
    served = await serveShop(shop, { port: 0, host: '127.0.0.1' });
    graphql = served.url.href;
    healthz = new URL('/healthz', served.url).href;
  });
  after(async () => {
    await served.stop();
    await shop.close();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const get = async () => {
    const res = await fetch(healthz);
    return { status: res.status, cacheControl: res.headers.get('cache-control'), body: (await res.json()) as any };
  };
  const jwks = (issuer: string) => ({ issuer, url: shop.jwksUri, status: 'up', lastSuccess: null, lastError: null });
  const audit = { status: 'up', failClosed: false, queued: 0, dropped: 0, lastError: null };

  it('up: the Redis store, both issuers (one dev JWKS, not fetched yet), the audit writer', async () => {
    assert.equal((await postGraphQL(graphql, { query: '{ __typename }' })).status, 200);
    const { status, cacheControl, body } = await get();
    assert.equal(status, 200);
    assert.equal(cacheControl, 'no-store');
    assert.deepEqual(Object.keys(body), ['status', 'checkedAt', 'stores', 'jwks', 'audit']);
    assert.equal(body.status, 'up');
    assert.deepEqual(body.stores, [
      { name: 'redis', status: 'up', since: body.stores[0].since, onStoreError: 'fallback-memory', fallback: false },
    ]);
    assert.ok(Date.parse(body.stores[0].since) <= Date.parse(body.checkedAt));
    assert.deepEqual(body.jwks, [jwks(DEV_ISSUER), jwks(DEV_BACK_OFFICE_ISSUER)]);
    assert.deepEqual(body.audit, audit);
  });

  it('Redis stopped: degraded (200), the store down since the failed call, calls on the memory fallback', async () => {
    await redis.stop();
    const before = Date.now();
    assert.equal((await postGraphQL(graphql, { query: '{ __typename }' })).status, 200);
    const { status, body } = await get();
    assert.equal(status, 200);
    assert.equal(body.status, 'degraded');
    assert.deepEqual(body.stores, [
      { name: 'redis', status: 'down', since: body.stores[0].since, onStoreError: 'fallback-memory', fallback: true },
    ]);
    const since = Date.parse(body.stores[0].since);
    assert.ok(since >= before && since <= Date.parse(body.checkedAt), body.stores[0].since);
    assert.deepEqual(body.audit, audit);
  });

  it('the dev JWKS stopped: the storefront issuer down with its last error; no token, key or principal', async () => {
    await shop.close(); // stops the dev JWKS endpoint
    const keys = await devSigningKeys(dir);
    const token = await mintToken(keys, {
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      subject: 'cust-1',
      scopes: ['profile'],
      clientId: 'storefront',
    });
    const before = Date.now();
    const refused = await postGraphQL(
      graphql,
      { query: '{ __typename }' },
      { headers: { authorization: `Bearer ${token}` } },
    );
    assert.equal(refused.status, 401);
    const { status, body } = await get();
    assert.equal(status, 200);
    assert.equal(body.status, 'degraded');
    const [storefront, backOffice] = body.jwks;
    assert.deepEqual(backOffice, jwks(DEV_BACK_OFFICE_ISSUER));
    assert.deepEqual(storefront, {
      ...jwks(DEV_ISSUER),
      status: 'down',
      lastError: { at: storefront.lastError.at, message: 'TypeError: fetch failed' },
    });
    const at = Date.parse(storefront.lastError.at);
    assert.ok(at >= before && at <= Date.now(), storefront.lastError.at);
    const text = JSON.stringify(body);
    for (const secret of [token, shop.partnerApiKey, 'cust-1', keys.publicJwk.n as string]) {
      assert.ok(!text.includes(secret), 'no token, API key, principal id or key');
    }
  });
});

describe("shop example: GET /healthz answers 503 when Rampart is down (onStoreError: 'deny')", () => {
  it('Redis stopped: limited operations get 503, and so does the probe', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rampart-shop-health-'));
    const redis = await startPrivateRedis();
    const shop = await createShop({
      devKeysDir: dir,
      auditDir: join(dir, 'audit'),
      redisUrl: redis.url,
      rampart: { rateLimit: { onStoreError: 'deny' } },
    });
    const served = await serveShop(shop, { port: 0, host: '127.0.0.1' });
    const healthz = new URL('/healthz', served.url).href;
    try {
      assert.equal((await fetch(healthz)).status, 200);
      await redis.stop();
      assert.equal((await postGraphQL(served.url.href, { query: '{ __typename }' })).status, 503);
      const res = await fetch(healthz);
      assert.equal(res.status, 503);
      const body = (await res.json()) as any;
      assert.equal(body.status, 'down');
      assert.deepEqual(
        body.stores.map((s: any) => [s.name, s.status, s.onStoreError, s.fallback]),
        [['redis', 'down', 'deny', false]],
      );
    } finally {
      await served.stop();
      await shop.close();
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
