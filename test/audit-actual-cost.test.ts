/**
 * The audit record's actual cost (`audit.actualCost`), end to end: `rampart()` with limits and the audit
 * log on a real file over real HTTP. By default (`'computed'`) a record carries the estimate, and the
 * actual cost only when another part counted it (the rate limiter's cost budget, `limits.exposeCost`);
 * `'always'` counts it for every record.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { type RampartOptions, rampart } from '@rampart/apollo';
import { RampartConfigError } from '@rampart/core';
import { postGraphQL, readJsonLines, startTestServer } from '@rampart/testing';

const typeDefs = /* GraphQL */ `
  type Item {
    id: ID!
    name: String
  }
  type Query {
    items(first: Int!): [Item!]! @listSize(slicingArguments: ["first"])
  }
`;

const resolvers = {
  Query: {
    // two items, whatever was asked for: the actual cost (2 objects) is below the estimate (10)
    items: () => [
      { id: '1', name: 'one' },
      { id: '2', name: 'two' },
    ],
  },
};

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Serves `options` (with an audit log on a fresh file), sends one query, stops; the response and the log's records. */
async function oneRequest(options: Omit<RampartOptions, 'audit'>, audit: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-audit-actual-'));
  dirs.push(dir);
  const destination = join(dir, 'audit.log');
  const security = rampart({ ...options, audit: { destination, ...audit } });
  const schema = security.transformSchema(makeExecutableSchema({ typeDefs: [security.typeDefs, typeDefs], resolvers }));
  const server = await startTestServer(
    { schema, ...security.serverOptions, plugins: security.plugins },
    { context: security.context() },
  );
  const response = await postGraphQL(server.graphqlUrl, { query: '{ items(first: 10) { id name } }' });
  await server.stop();
  const records = (await readJsonLines(destination)).filter((r) => r.event?.action === 'graphql.operation');
  assert.equal(response.status, 200);
  assert.equal(response.body.data.items.length, 2);
  assert.equal(records.length, 1);
  return { response, record: records[0]! };
}

describe("audit.actualCost: the record's actual cost", () => {
  it("'computed' (the default): the estimate only, when nothing else counted the actual cost", async () => {
    const { record } = await oneRequest({ limits: {} });
    assert.deepEqual(record.rampart.cost, { estimated: 10 });
  });

  it("'always': every record carries the actual cost, counted from the response", async () => {
    const { record } = await oneRequest({ limits: {} }, { actualCost: 'always' });
    assert.deepEqual(record.rampart.cost, { estimated: 10, actual: 2 });
  });

  it("'computed': the actual cost the rate limiter's cost budget counted for its refund", async () => {
    const { record, response } = await oneRequest({
      limits: {},
      rateLimit: { costBudget: { maximumAvailable: 1000, restoreRate: 10, exposeExtension: true } },
    });
    assert.deepEqual(record.rampart.cost, { estimated: 10, actual: 2 });
    assert.equal(response.body.extensions.cost.actualQueryCost, 2);
  });

  it("'computed': the actual cost the limits' exposeCost counted for the response", async () => {
    const { record, response } = await oneRequest({ limits: { exposeCost: true } });
    assert.deepEqual(record.rampart.cost, { estimated: 10, actual: 2 });
    assert.equal(response.body.extensions.cost.actual, 2);
  });

  it('a value other than computed or always is a configuration error naming audit.actualCost', () => {
    assert.throws(
      () => rampart({ audit: { destination: 'stdout', actualCost: 'sometimes' as 'always' } }),
      (e: unknown) => e instanceof RampartConfigError && /audit\.actualCost/.test(e.message),
    );
  });
});
