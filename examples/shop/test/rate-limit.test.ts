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
