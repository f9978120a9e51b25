/**
 * Telemetry cardinality: 10,000 distinct clients (each its own address and its own token subject)
 * over real HTTP leave `rampart.decisions` with one data point per distinct decision kind — never one
 * per client — and every other metric with a bounded, exact number of data points.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { rampart } from '@rampart/apollo';
import { allow, createDevKeys, mintToken, rule, shield } from '@rampart/auth';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { startSdk, type TestSdk } from './telemetry-fixtures.js';

const issuer = 'https://issuer.test';
const audience = 'https://api.test';
const CLIENTS = 10_000;
const CONCURRENCY = 16;

describe('telemetry cardinality under 10,000 distinct clients', () => {
  let sdk: TestSdk;
  let server: TestServer<any>;
  let tokens: string[];

  before(async () => {
    sdk = startSdk();
    const keys = await createDevKeys({ alg: 'ES256' });
    tokens = await Promise.all(
      Array.from({ length: CLIENTS / 2 }, (_, i) => mintToken(keys, { issuer, audience, subject: `user-${i}` })),
    );
    const security = rampart({
      authentication: { jwt: { issuer, audience, algorithms: ['ES256'], keys: [keys.publicJwk] } },
      ipFilter: { trustedProxies: ['127.0.0.1'], deny: ['10.255.0.0/16'] },
      rules: shield({ Query: { admin: rule('isAdmin')(() => false) } }, { fallbackRule: allow }),
      limits: { depth: 2 },
      rateLimit: { operation: { limit: 100, duration: 60 } },
      telemetry: { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider },
    });
    const typeDefs = 'type Node { id: ID! child: Node } type Query { hello: String admin: String node: Node }';
    const resolvers = { Query: { hello: () => 'world', admin: () => 'x', node: () => ({ id: '1', child: null }) } };
    server = await startTestServer(
      {
        schema: security.transformSchema(makeExecutableSchema({ typeDefs: [security.typeDefs, typeDefs], resolvers })),
        ...security.serverOptions,
        plugins: security.plugins,
      },
      { context: security.context() },
    );
  });
  after(async () => {
    await server.stop();
    await sdk.shutdown();
  });

  it('one data point per decision kind, whatever the number of clients', async () => {
    const queries = ['{ hello }', '{ admin }', '{ node { child { child { id } } } }', '{ hello }'];
    let next = 0;
    const statuses = new Map<number, number>();
    const worker = async () => {
      while (next < CLIENTS) {
        const i = next++;
        // client i: its own address (every 10th in the denied range) and, for even i, its own subject
        const ip =
          i % 10 === 9 ? `10.255.${(i >> 8) & 255}.${i & 255}` : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        const headers: Record<string, string> = { 'x-forwarded-for': ip };
        if (i % 2 === 0) headers.authorization = `Bearer ${tokens[i / 2]}`;
        const res = await postGraphQL(server.graphqlUrl, { query: queries[i % 4] }, { headers });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const ruleDenials = countWhere((i) => i % 10 !== 9 && i % 4 === 1);
    const depthDenials = countWhere((i) => i % 10 !== 9 && i % 4 === 2);
    // i % 10 === 9: 1,000 refused by the IP filter; the rule refuses { admin } (403), limits the depth query (400)
    assert.deepEqual(
      new Map([...statuses].sort(([a], [b]) => a - b)),
      new Map([
        [200, 9_000 - ruleDenials - depthDenials],
        [400, depthDenials],
        [403, 1_000 + ruleDenials],
      ]),
    );

    const decisions = await sdk.points('rampart.decisions');
    const kinds = decisions
      .map(
        (p) =>
          `${p.attributes['rampart.source']}/${p.attributes['rampart.outcome']}/${p.attributes['rampart.code'] ?? ''}/${p.attributes['rampart.rule'] ?? ''}`,
      )
      .sort();
    assert.deepEqual(kinds, [
      'auth/allowed//',
      'ip-filter/allowed//global',
      'ip-filter/denied/FORBIDDEN/global',
      'limits/denied/MAX_DEPTH_LIMIT/depth',
      'rate-limit/allowed//operation',
      'rules/denied/FORBIDDEN/isAdmin',
    ]);
    const total = decisions.reduce((sum, p) => sum + p.value, 0);
    // 9,000 admitted requests: ip allowed + auth allowed + rate-limit allowed each; 1,000 ip denials;
    // rules deny { admin } (i % 4 === 1) and limits deny the depth query (i % 4 === 2) among the admitted
    const admitted = 9_000;
    assert.equal(total, admitted * 3 + 1_000 + ruleDenials + depthDenials);
    // every other per-request metric: one data point per operation type (and one without, for refusals
    // before an operation is known)
    assert.equal((await sdk.points('rampart.request.duration')).length, 2);
    assert.equal((await sdk.points('rampart.cost.estimated')).length, 1);
    assert.equal((await sdk.points('rampart.operation.depth')).length, 1);
    assert.equal((await sdk.points('rampart.phase.duration')).length, 3);
  });
});

function countWhere(predicate: (i: number) => boolean): number {
  let n = 0;
  for (let i = 0; i < CLIENTS; i++) if (predicate(i)) n++;
  return n;
}
