/**
 * DPoP across replicas: two `rampart()` servers sharing one Redis rate-limit store share the DPoP
 * replay cache (`rampart()` passes the store to authentication), so a proof accepted by one is
 * refused by the other; keys live under the rate limits' prefix.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { rampart } from '@rampart/apollo';
import { createDevKeys, createDpopProof, type DevKeys, mintToken } from '@rampart/auth';
import { type RedisStore, redisStore } from '@rampart/rate-limit';
import { connectRedis, deleteKeys, postGraphQL, redisUrl, startTestServer, type TestServer } from '@rampart/testing';

const PREFIX = 'test:dpop-replicas:';
const issuer = 'https://issuer.test';
const audience = 'https://api.test';
const publicUrl = 'https://api.example.com/graphql';

describe('DPoP replay cache across two replicas sharing Redis', () => {
  let issuerKeys: DevKeys;
  let client: DevKeys;
  let redis: Awaited<ReturnType<typeof connectRedis>>;
  const stores: RedisStore[] = [];
  const servers: TestServer<any>[] = [];

  async function replica() {
    const store = redisStore(redisUrl());
    stores.push(store);
    const security = rampart({
      authentication: {
        required: true,
        jwt: {
          issuer,
          audience,
          algorithms: ['ES256'],
          keys: [issuerKeys.publicJwk],
          dpop: { mode: 'required', publicUrl },
        },
      },
      rateLimit: { store, prefix: PREFIX },
    });
    const schema = makeExecutableSchema({
      typeDefs: [security.typeDefs, 'type Query { hello: String }'],
      resolvers: { Query: { hello: () => 'world' } },
    });
    const s = await startTestServer(
      { schema: security.transformSchema(schema), ...security.serverOptions, plugins: security.plugins },
      { context: security.context() },
    );
    servers.push(s);
    return s;
  }

  before(async () => {
    issuerKeys = await createDevKeys({ alg: 'ES256' });
    client = await createDevKeys({ alg: 'ES256' });
    redis = await connectRedis();
    await deleteKeys(redis, PREFIX);
  });
  after(async () => {
    for (const s of servers) await s.stop();
    for (const s of stores) await s.close();
    await deleteKeys(redis, PREFIX);
    redis.disconnect();
  });

  it('a proof accepted by replica A is refused by replica B (and by A again); a fresh proof passes B', async () => {
    const a = await replica();
    const b = await replica();
    const token = await mintToken(issuerKeys, { issuer, audience, subject: 'partner-1', boundTo: client.publicJwk });
    const proof = await createDpopProof(client, { method: 'POST', url: publicUrl, accessToken: token });
    const headers = { authorization: `DPoP ${token}`, dpop: proof };

    const first = await postGraphQL(a.graphqlUrl, { query: '{ hello }' }, { headers });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.data.hello, 'world');

    for (const s of [b, a]) {
      const replay = await postGraphQL(s.graphqlUrl, { query: '{ hello }' }, { headers });
      assert.equal(replay.status, 401, replay.text);
      assert.match(replay.headers.get('www-authenticate') ?? '', /DPoP algs="[^"]+", error="invalid_dpop_proof"/);
    }

    const fresh = await createDpopProof(client, { method: 'POST', url: publicUrl, accessToken: token });
    const ok = await postGraphQL(b.graphqlUrl, { query: '{ hello }' }, { headers: { ...headers, dpop: fresh } });
    assert.equal(ok.status, 200, ok.text);

    // the two accepted proofs are remembered under the rate limits' prefix, with a lifetime
    const keys = await redis.keys(`${PREFIX}dpop:*`);
    assert.equal(keys.length, 2);
    const ttl = await redis.pttl(keys[0]!);
    assert.ok(ttl > 0 && ttl <= 70_000, `ttl ${ttl}`);
  });
});
