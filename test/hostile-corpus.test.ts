/**
 * The shared hostile corpus (packages/limits/test/corpus.ts) end to end: every document sent to a real
 * `rampart()` server (default options) over HTTP over the corpus' shop schema. Each is refused with a 4xx
 * and its exact code (the first layer that refuses it: parser caps, validation, then the limits), never
 * a 500, and the server still answers an ordinary query afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { rampart } from '@rampart/apollo';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { hostileCorpus } from '../packages/limits/test/corpus.js';
import { shopTypeDefs } from '../packages/limits/test/fixtures.js';

const product = { id: '1', name: 'Lamp', tags: [], price: { amount: 30, currency: 'EUR' } };

async function serve(): Promise<TestServer<any>> {
  const security = rampart();
  const schema = makeExecutableSchema({
    typeDefs: [security.typeDefs, shopTypeDefs],
    resolvers: { Query: { product: () => product, products: () => [product] } },
  });
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  return startTestServer(
    { schema: security.transformSchema(schema), ...security.serverOptions, plugins: security.plugins, logger: quiet },
    { context: security.context(async () => ({})) },
  );
}

describe('the hostile corpus against rampart() over HTTP', () => {
  let server: TestServer<any>;
  before(async () => {
    server = await serve();
  });
  after(() => server.stop());

  const ordinary = { query: '{ product(id: "1") { id name } }' };

  for (const hostile of hostileCorpus()) {
    it(`${hostile.name}: 400 ${hostile.presetCode}, and the server still answers`, async () => {
      const res = await postGraphQL(server.graphqlUrl, { query: hostile.query, variables: hostile.variables });
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assert.equal(res.body.data, undefined);
      assert.ok(res.body.errors.length > 0);
      assert.equal(res.body.errors[0].extensions.code, hostile.presetCode);
      for (const error of res.body.errors) assert.notEqual(error.extensions.code, 'INTERNAL_SERVER_ERROR');
      const next = await postGraphQL(server.graphqlUrl, ordinary);
      assert.equal(next.status, 200);
      assert.deepEqual(next.body.data, { product: { id: '1', name: 'Lamp' } });
    });
  }
});
