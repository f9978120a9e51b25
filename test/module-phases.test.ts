/**
 * Module phases (issue 15): `rampart()` orders its own modules and the user's by phase, not by name.
 * A user module takes part by declaring a phase; a call the rules deny is never charged to a
 * `@rateLimit`; audit records every outcome.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { rampart } from '@rampart/apollo';
import { allow, deny, shield } from '@rampart/auth';
import type { ModulePhase, RampartModule } from '@rampart/core';
import { LogSink, postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { type GraphQLFieldResolver, type GraphQLSchema, isObjectType } from 'graphql';

const typeDefs = /* GraphQL */ `
  type Query {
    open: String @rateLimit(limit: 1, duration: 60)
    secret: String @rateLimit(limit: 1, duration: 60)
  }
`;

/** What the user modules saw, in order. */
const seen: string[] = [];

/** Wraps every resolver of `Query` so that entering it is recorded under `label`. */
function recordingTransform(label: string) {
  return (schema: GraphQLSchema): GraphQLSchema => {
    const query = schema.getQueryType();
    if (!query || !isObjectType(query)) return schema;
    for (const field of Object.values(query.getFields())) {
      const inner = field.resolve as GraphQLFieldResolver<unknown, unknown> | undefined;
      field.resolve = (source, args, context, info) => {
        seen.push(`${label}:resolve`);
        return inner ? inner(source, args, context, info) : (source as Record<string, unknown>)?.[info.fieldName];
      };
    }
    return schema;
  };
}

/** A user module of `phase` (or the default) that records its hooks. */
function userModule(label: string, phase?: ModulePhase): RampartModule {
  return {
    name: label,
    ...(phase ? { phase } : {}),
    transformSchema: recordingTransform(label),
    onRequest: (state) => {
      seen.push(`${label}:onRequest:${state.principal.authMethod ?? 'none'}`);
    },
    onHttpRequest: () => {
      seen.push(`${label}:onHttpRequest`);
    },
  };
}

describe('module phases', () => {
  const sink = new LogSink();
  let server: TestServer<any>;
  before(async () => {
    // given out of phase order on purpose
    const security = rampart({
      // a clock that stands still: the fixed one-minute windows never roll over between the tests
      clock: { now: () => Date.UTC(2026, 0, 1, 12, 0, 30) },
      modules: [userModule('accounting', 'accounting'), userModule('checks'), userModule('identity', 'identity')],
      rules: shield({ Query: { secret: deny, open: allow } }, { fallbackRule: allow }),
      audit: { destination: { stream: sink } },
    });
    const schema = makeExecutableSchema({
      typeDefs: [security.typeDefs, typeDefs],
      resolvers: { Query: { open: () => 'open', secret: () => 'secret' } },
    });
    server = await startTestServer(
      { schema: security.transformSchema(schema), ...security.serverOptions, plugins: security.plugins },
      { context: security.context() },
    );
  });
  after(() => server.stop());

  /** The operation records written so far (pino writes them by the end of the response's turn). */
  async function operationRecords(count: number) {
    for (let i = 0; i < 100 && sink.records.length < count; i++) await new Promise((r) => setImmediate(r));
    return sink.records;
  }

  it('runs request steps by phase (identity, checks, accounting), then the HTTP-only steps', async () => {
    seen.length = 0;
    const res = await postGraphQL(server.graphqlUrl, { query: '{ open }' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(seen, [
      'identity:onRequest:none',
      'checks:onRequest:none',
      'accounting:onRequest:none',
      'identity:onHttpRequest',
      'checks:onHttpRequest',
      'accounting:onHttpRequest',
      // resolver wrappers: the earlier phase decides first (outermost)
      'identity:resolve',
      'checks:resolve',
      'accounting:resolve',
    ]);
  });

  it('never charges a @rateLimit for a call the rules deny; audit records each refusal', async () => {
    sink.clear();
    for (let i = 0; i < 3; i++) {
      const res = await postGraphQL(server.graphqlUrl, { query: '{ secret }' });
      assert.equal(res.body.data?.secret, null, res.text);
      assert.equal(res.body.errors[0].extensions.code, 'FORBIDDEN', res.text);
    }
    const records = await operationRecords(3);
    assert.deepEqual(
      records.map((r) => r.event.outcome),
      ['denied', 'denied', 'denied'],
    );
    assert.deepEqual(
      records.map((r) => r.error.code),
      [['FORBIDDEN'], ['FORBIDDEN'], ['FORBIDDEN']],
    );
    // not one of the three reached the field's rate limit
    for (const r of records) assert.equal(r.rampart.decisions.filter((d: any) => d.source === 'rate-limit').length, 0);
  });

  it('charges an allowed call; the refusal past the limit is audited too', async () => {
    sink.clear();
    // `open` was called once by the first test: its limit of 1 is spent
    const res = await postGraphQL(server.graphqlUrl, { query: '{ open }' });
    assert.equal(res.body.errors[0].extensions.code, 'RATE_LIMITED', res.text);
    const records = await operationRecords(1);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.event.outcome, 'denied');
    assert.deepEqual(records[0]!.error.code, ['RATE_LIMITED']);
  });
});
