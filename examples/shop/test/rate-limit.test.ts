// The shop's rate limits over real HTTP: the login brute-force guard and the per-field limit on
// search, on the in-memory store and (REDIS_URL) on the shared Redis.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectRedis, deleteKeys, postGraphQL, redisUrl, startTestServer, type TestServer } from '@rampart/testing';
import { createShop, type Shop } from '../src/app.js';

const login = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { success } }';

for (const storeKind of ['memory', 'redis'] as const) {
  describe(`shop example: rate limits (${storeKind} store)`, () => {
    let server: TestServer<any>;
    let shop: Shop;
    let dir: string;
    let redis: Awaited<ReturnType<typeof connectRedis>> | undefined;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rampart-shop-rl-'));
      if (storeKind === 'redis') {
        redis = await connectRedis();
        await deleteKeys(redis, 'rampart:shop:');
      }
      shop = await createShop({
        devKeysDir: dir,
        auditDir: join(dir, 'audit'),
        ...(storeKind === 'redis' ? { redisUrl: redisUrl() } : {}),
      });
      server = await startTestServer(shop.apolloConfig, { context: shop.context as never });
    });
    after(async () => {
      await server.stop();
      await shop.close();
      await rm(dir, { recursive: true, force: true });
      if (redis) {
        await deleteKeys(redis, 'rampart:shop:');
        redis.disconnect();
      }
    });

    it('login: 5 failures for an email, then RATE_LIMITED even with the right password', async () => {
      const email = `nobody-${randomUUID()}@example.com`;
      for (let i = 0; i < 5; i++) {
        const res = await postGraphQL(server.graphqlUrl, { query: login, variables: { e: email, p: `guess-${i}` } });
        assert.equal(res.status, 200);
        assert.deepEqual(res.body.data.login, { success: false }, `attempt ${i + 1}`);
      }
      const blocked = await postGraphQL(server.graphqlUrl, { query: login, variables: { e: email, p: 'guess-6' } });
      assert.equal(blocked.status, 200);
      assert.equal(blocked.body.data.login, null);
      assert.equal(blocked.body.errors[0].extensions.code, 'RATE_LIMITED');
      assert.deepEqual(blocked.body.errors[0].path, ['login']);
    });

    it('search: 30 calls a minute per client, the 31st is refused at the field', async () => {
      // anonymous callers are keyed by their IP (127.0.0.1 here); this is the only search in the file
      const query = '{ search(text: "Product 1", first: 1) { __typename } }';
      for (let i = 0; i < 30; i++) {
        const res = await postGraphQL(server.graphqlUrl, { query });
        assert.equal(res.body.errors, undefined, `call ${i + 1}: ${res.text.slice(0, 200)}`);
      }
      const over = await postGraphQL(server.graphqlUrl, { query });
      assert.equal(over.body.data, null);
      assert.equal(over.body.errors[0].extensions.code, 'RATE_LIMITED');
      assert.deepEqual(over.body.errors[0].path, ['search']);
    });
  });
}

for (const storeKind of ['memory', 'redis'] as const) {
  describe(`shop example: operations per client (${storeKind} store)`, () => {
    // a clock standing still: the one-minute window never rolls over mid-test (a clock that reads
    // Date.now() and rounds it still moves on at the next minute, and the count starts again)
    const frozen = Math.floor(Date.now() / 60_000) * 60_000;
    const clock = { now: () => frozen };
    let server: TestServer<any>;
    let shop: Shop;
    let dir: string;
    let redis: Awaited<ReturnType<typeof connectRedis>> | undefined;
    // a prefix of this run's own (outside `rampart:shop:`, which other runs of this file clear)
    const prefix = `rampart:shop-test-ops-${randomUUID()}:`;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rampart-shop-ops-'));
      if (storeKind === 'redis') {
        redis = await connectRedis();
        await deleteKeys(redis, prefix);
      }
      shop = await createShop({
        devKeysDir: dir,
        auditDir: join(dir, 'audit'),
        rampart: { clock, rateLimit: { prefix } },
        ...(storeKind === 'redis' ? { redisUrl: redisUrl() } : {}),
      });
      server = await startTestServer(shop.apolloConfig, { context: shop.context as never });
    });
    after(async () => {
      await server.stop();
      await shop.close();
      await rm(dir, { recursive: true, force: true });
      if (redis) {
        await deleteKeys(redis, prefix);
        redis.disconnect();
      }
    });

    // `{ __typename }` costs 0: the cost budget never stops a flood of it, the operation limit does
    const flood = async (headers: Record<string, string>) => {
      for (let i = 0; i < 300; i++) {
        const res = await postGraphQL(server.graphqlUrl, { query: '{ __typename }' }, { headers });
        assert.equal(res.status, 200, `operation ${i + 1}: ${res.text.slice(0, 200)}`);
      }
      return postGraphQL(server.graphqlUrl, { query: '{ __typename }' }, { headers });
    };

    it('an API client: 300 operations a minute, the 301st is refused with 429', async () => {
      const over = await flood({ 'x-api-key': shop.partnerApiKey });
      assert.equal(over.status, 429);
      assert.equal(over.body.errors[0].extensions.code, 'RATE_LIMITED');
      assert.equal(over.headers.get('retry-after'), '60');
      assert.equal(over.body.data, undefined);
    });

    it('an anonymous shopper (by address, behind the trusted proxy): the same', async () => {
      const over = await flood({ 'x-forwarded-for': '198.51.100.23' });
      assert.equal(over.status, 429);
      assert.equal(over.body.errors[0].extensions.code, 'RATE_LIMITED');
      // another address has its own count
      const other = await postGraphQL(
        server.graphqlUrl,
        { query: '{ __typename }' },
        { headers: { 'x-forwarded-for': '198.51.100.24' } },
      );
      assert.equal(other.status, 200);
      assert.deepEqual(other.body.data, { __typename: 'Query' });
    });
  });
}

describe('shop example: delay mode is for the storefront', () => {
  it('slows down the storefront app and anonymous shoppers, not the partner API client', async () => {
    const { recommendedRampartOptions } = await import('../src/app.js');
    const { anonymousPrincipal, createPrincipal } = await import('@rampart/core');
    const options = recommendedRampartOptions({
      jwksUri: 'http://127.0.0.1:1/jwks.json',
      partnerApiKeyHash: '0'.repeat(64),
      auditDir: tmpdir(),
      auditHmacKey: Buffer.alloc(32),
      auditSigningKeyPem: '',
    });
    const throttle = options.rateLimit?.throttle;
    assert.equal(throttle?.mode, 'delay');
    const appliesTo = throttle?.appliesTo;
    assert.ok(appliesTo);
    const storefront = createPrincipal({ id: 'cust-1', kind: 'user', authMethod: 'jwt', clientId: 'storefront' });
    const partner = createPrincipal({
      id: 'partner-integration',
      kind: 'service',
      authMethod: 'api-key',
      clientId: 'partner-integration',
    });
    const backOffice = createPrincipal({ id: 'staff-1', kind: 'user', authMethod: 'jwt', clientId: 'back-office' });
    assert.equal(appliesTo(storefront), true);
    assert.equal(appliesTo(anonymousPrincipal('10.0.0.1')), true);
    assert.equal(appliesTo(partner), false);
    assert.equal(appliesTo(backOffice), false);
  });
});
