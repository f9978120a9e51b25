/**
 * Telemetry of what only one package sees, end to end with the real OpenTelemetry SDK: remote JWKS
 * fetches and failures (a real HTTP JWKS server on loopback), and operations open over graphql-ws
 * (real `ws` sockets).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { rampart } from '@rampart/apollo';
import { createDevKeys, type DevKeys, mintToken } from '@rampart/auth';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { startSdk, type TestSdk } from './telemetry-fixtures.js';
import { startWsApi } from './transports/ws.js';

const audience = 'https://api.test';

describe('telemetry: JWKS fetches and failures', () => {
  let sdk: TestSdk;
  let keys: DevKeys;
  let jwks: Server;
  let server: TestServer<any>;
  const good = 'https://good.test';
  const broken = 'https://broken.test';

  before(async () => {
    sdk = startSdk();
    keys = await createDevKeys({ alg: 'ES256' });
    jwks = createServer((req, res) => {
      if (req.url === '/good') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [keys.publicJwk] }));
      } else {
        res.writeHead(500);
        res.end();
      }
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
    const security = rampart({
      authentication: {
        jwt: [
          { issuer: good, audience, algorithms: ['ES256'], jwksUri: `${base}/good` },
          { issuer: broken, audience, algorithms: ['ES256'], jwksUri: `${base}/broken` },
        ],
      },
      telemetry: { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider },
    });
    server = await startTestServer(
      {
        schema: security.transformSchema(
          makeExecutableSchema({
            typeDefs: [security.typeDefs, 'type Query { hello: String }'],
            resolvers: { Query: { hello: () => 'world' } },
          }),
        ),
        ...security.serverOptions,
        plugins: security.plugins,
      },
      { context: security.context() },
    );
  });
  after(async () => {
    await server.stop();
    await new Promise((resolve) => jwks.close(resolve));
    await sdk.shutdown();
  });

  it('one fetch per key set (then cached), failures counted apart, with the configured URL', async () => {
    const base = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
    for (let i = 0; i < 3; i++) {
      const token = await mintToken(keys, { issuer: good, audience, subject: `u${i}` });
      const res = await postGraphQL(
        server.graphqlUrl,
        { query: '{ hello }' },
        { headers: { authorization: `Bearer ${token}` } },
      );
      assert.equal(res.status, 200, res.text);
    }
    const token = await mintToken(keys, { issuer: broken, audience, subject: 'u' });
    const refused = await postGraphQL(
      server.graphqlUrl,
      { query: '{ hello }' },
      { headers: { authorization: `Bearer ${token}` } },
    );
    assert.notEqual(refused.status, 200);
    const fetches = (await sdk.points('rampart.jwks.fetches')).map((p) => [
      p.attributes['rampart.jwks.url'],
      p.attributes['rampart.outcome'],
      p.value,
    ]);
    assert.deepEqual(fetches.sort(), [
      [`${base}/broken`, 'failure', 1],
      [`${base}/good`, 'success', 1],
    ]);
    const spans = sdk.spans.getFinishedSpans().filter((s) => s.name === 'rampart.jwks.fetch');
    assert.deepEqual(spans.map((s) => s.status.code).sort(), [0, 2]);
  });
});

describe('telemetry: operations open over graphql-ws', () => {
  let sdk: TestSdk;

  before(() => {
    sdk = startSdk();
  });
  after(() => sdk.shutdown());

  it('counts an open subscription up, and down when it ends; refusals count their decisions', async () => {
    const api = await startWsApi({
      limits: { depth: 2 },
      telemetry: { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider },
    });
    try {
      const client = api.client();
      const open = async () => (await sdk.points('rampart.subscriptions.open'))[0]?.value ?? 0;
      let stop: () => void = () => {};
      const first = new Promise<void>((resolve) => {
        stop = client.subscribe(
          { query: 'subscription { forever }' },
          { next: () => {}, error: () => {}, complete: () => resolve() },
        );
      });
      // the subscription is admitted once the server answers the subscribe: wait for the counter
      while ((await open()) !== 1) await new Promise((resolve) => setImmediate(resolve));
      stop();
      await first;
      while ((await open()) !== 0) await new Promise((resolve) => setImmediate(resolve));
      const refused = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: 'subscription { ticks(count: 1) { node { child { child { id } } } } }' },
          { next: () => {}, error: resolve, complete: () => resolve(undefined) },
        );
      });
      assert.equal((refused as any[])[0].extensions.code, 'MAX_DEPTH_LIMIT');
      const denied = (await sdk.points('rampart.decisions')).find(
        (p) => p.attributes['rampart.code'] === 'MAX_DEPTH_LIMIT',
      );
      assert.equal(denied?.value, 1);
      assert.equal(await open(), 0);
    } finally {
      await api.close();
    }
  });
});
