import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { postGraphQL } from '@rampart/testing';
import type { GraphQLObjectType } from 'graphql';
import { hmacKeyHex, startAudited } from './helpers.js';

type Started = Awaited<ReturnType<typeof startAudited>>;

const USER = { 'x-test-user': 'u-42', 'x-test-roles': 'customer' };

describe('operation records (metadata level, the default)', () => {
  let s: Started;
  before(async () => {
    s = await startAudited({ chain: { key: hmacKeyHex } });
  });
  after(async () => {
    await s.server.stop();
  });

  it('writes one ECS record per operation with actor, request, trace, operation and decisions', async () => {
    s.sink.clear();
    const query = 'query Mine($n: Int) { orders(first: $n) { id } me { name } }';
    const res = await postGraphQL(
      s.url,
      { query, operationName: 'Mine', variables: { n: 2 } },
      {
        headers: {
          ...USER,
          'x-request-id': 'req-1',
          'user-agent': 'shop-app/1.0',
          traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
          authorization: 'Bearer super-secret-token',
          cookie: 'sid=very-secret-cookie',
        },
      },
    );
    assert.equal(res.status, 200);
    assert.equal(s.sink.records.length, 1);
    const r = s.sink.records[0] as Record<string, any>;
    // Lean records: no `log.level` (always `info`), no `message` repeating `event.action`.
    assert.equal(r['log.level'], undefined);
    assert.match(r['@timestamp'], /^\d{4}-\d\d-\d\dT/);
    assert.equal(r.message, undefined);
    assert.equal(r.event.action, 'graphql.operation');
    assert.equal(r.event.outcome, 'success');
    assert.equal(r.event.kind, 'event');
    assert.match(r.event.id, /^[0-9a-f-]{36}$/);
    assert.equal(typeof r.event.sequence, 'number');
    assert.ok(Number.isInteger(r.event.duration) && r.event.duration >= 0);
    assert.equal(r.http.request.id, 'req-1');
    assert.equal(r.http.response.status_code, 200);
    assert.equal(r.trace.id, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.deepEqual(r.user, { id: 'u-42', roles: ['customer'] });
    assert.deepEqual(r.rampart.actor, {
      kind: 'user',
      auth_method: 'jwt',
      scopes: ['orders:read'],
      client_id: 'web-app',
    });
    assert.deepEqual(r.client, { ip: '203.0.113.7' });
    assert.deepEqual(r.user_agent, { original: 'shop-app/1.0' });
    assert.deepEqual(r.graphql.operation, {
      type: 'query',
      name: 'Mine',
      hash: createHash('sha256').update(query).digest('hex'),
    });
    assert.deepEqual(r.graphql.root_fields, ['Query.orders', 'Query.me']);
    assert.equal(r.graphql.variables, undefined, 'no values at metadata level');
    assert.equal(r.graphql.result, undefined);
    assert.equal(r.rampart.level, 'metadata');
    assert.deepEqual(r.rampart.cost, { estimated: 12 });
    assert.equal(r.rampart.decisions.length, 1);
    assert.equal(r.rampart.decisions[0].source, 'limits');
    assert.deepEqual(r.rampart.decisions[0].details, { depth: 2, max: 10 });
    assert.equal(r.seq, 1);
    assert.match(r.chain, /^[0-9a-f]{16}$/);
    assert.match(r.mac, /^[0-9a-f]{64}$/);
    const raw = s.sink.lines[0] as string;
    assert.ok(!raw.includes('super-secret-token'), 'authorization header never logged');
    assert.ok(!raw.includes('very-secret-cookie'), 'cookie never logged');
  });

  it('records a refusal by another package as denied, with its code, status and reason', async () => {
    s.sink.clear();
    const res = await postGraphQL(s.url, { query: '{ me { id } }' }, { headers: { ...USER, 'x-test-limit': '1' } });
    assert.equal(res.status, 400);
    const r = s.sink.records[0] as Record<string, any>;
    assert.equal(r.event.outcome, 'denied');
    assert.equal(r.http.response.status_code, 400);
    assert.deepEqual(r.error, { code: ['MAX_DEPTH_LIMIT'] });
    const denial = r.rampart.decisions.find((d: any) => d.outcome === 'denied');
    assert.equal(denial.code, 'MAX_DEPTH_LIMIT');
    assert.equal(denial.reason, 'depth 12 exceeds 10');
  });

  it('records parse failures and resolver failures as failure, without echoing messages at metadata level', async () => {
    s.sink.clear();
    const bad = await postGraphQL(s.url, { query: '{ me { id } password_is_hunter2 ' }, { headers: USER });
    assert.equal(bad.status, 400);
    const boom = await postGraphQL(s.url, { query: '{ boom }' }, { headers: USER });
    assert.equal(boom.status, 200);
    const [p, b] = s.sink.records as Record<string, any>[];
    assert.equal(p?.event.outcome, 'failure');
    assert.deepEqual(p?.error, { code: ['GRAPHQL_PARSE_FAILED'] });
    assert.ok(!(s.sink.lines[0] as string).includes('hunter2'));
    assert.equal(b?.event.outcome, 'failure');
    assert.deepEqual(b?.error, { code: ['BOOM'] });
  });

  it('an anonymous request is recorded with the anonymous principal', async () => {
    s.sink.clear();
    await postGraphQL(s.url, { query: '{ orders { id } }' });
    const r = s.sink.records[0] as Record<string, any>;
    assert.equal(r.user.id, 'anonymous');
    assert.equal(r.rampart.actor.kind, 'anonymous');
    assert.equal(r.client, undefined);
  });

  it('lean records: no empty arrays or objects, no message repeating event.action, no log.level', async () => {
    s.sink.clear();
    await postGraphQL(s.url, { query: '{ orders { id } }' });
    const r = s.sink.records[0] as Record<string, any>;
    assert.deepEqual(r.user, { id: 'anonymous' }, 'no roles: []');
    assert.deepEqual(r.rampart.actor, { kind: 'anonymous', auth_method: 'none' }, 'no scopes: []');
    assert.equal(r.message, undefined);
    assert.equal(r['log.level'], undefined);
    assert.deepEqual(Object.keys(r).slice(0, 2), ['@timestamp', 'event']);
    const line = s.sink.lines[0] as string;
    assert.ok(!line.includes('[]') && !line.includes('{}'), line);
    // A record with neither operation nor request id: no empty `graphql.operation` or `http`.
    s.sink.clear();
    const w = s.audit.writer();
    w.writeRecord(
      {
        action: 'graphql.request.invalid',
        sequence: w.nextSequence(),
        outcome: 'failure',
        level: 'metadata',
        durationNs: undefined,
        requestId: undefined,
        traceId: undefined,
        userAgent: undefined,
        principal: undefined,
        operationType: undefined,
        operationName: undefined,
        queryHash: undefined,
        rootFields: undefined,
        status: undefined,
        errors: [],
        decisions: [],
        cost: undefined,
      },
      { maxStringLength: 1024, maxItems: 50, maxDepth: 8 },
      'graphql.request.invalid',
    );
    const bare = s.sink.records[0] as Record<string, any>;
    assert.equal(bare.http, undefined);
    assert.deepEqual(bare.graphql, {});
  });

  it('records a request refused while building the context (contextCreationDidFail)', async () => {
    s.sink.clear();
    const res = await postGraphQL(
      s.url,
      { query: '{ me { id } }' },
      { headers: { 'x-test-fail-context': '1', 'x-request-id': 'req-401', 'user-agent': 'curl/8' } },
    );
    assert.equal(res.status, 401);
    assert.equal(s.sink.records.length, 1);
    const r = s.sink.records[0] as Record<string, any>;
    assert.equal(r.event.action, 'graphql.request.rejected');
    assert.equal(r.event.outcome, 'denied');
    assert.equal(r.http.response.status_code, 401);
    assert.deepEqual(r.error, { code: ['UNAUTHENTICATED'] });
    assert.equal(r.http.request.id, 'req-401', 'the state attached to the error gives the request id');
    assert.equal(r.user_agent.original, 'curl/8');
    assert.equal(r.user.id, 'anonymous');
  });
});

describe('requests refused before the pipeline', () => {
  let s: Started;
  before(async () => {
    s = await startAudited();
  });
  after(async () => {
    await s.server.stop();
  });

  it('records a request without a query, and a CSRF-prevention refusal (invalidRequestWasReceived)', async () => {
    s.sink.clear();
    const bad = await postGraphQL(s.url, { variables: {} }, { headers: USER });
    assert.equal(bad.status, 400);
    // Unparseable JSON is refused by the HTTP integration's body parser, before Apollo: not recorded.
    const unparseable = await postGraphQL(s.url, '{"query": ', { headers: USER });
    assert.equal(unparseable.status, 400);
    const csrf = await fetch(`${s.url}?query=%7B__typename%7D`, { method: 'GET' });
    assert.equal(csrf.status, 400);
    await csrf.text();
    const records = s.sink.records as Record<string, any>[];
    assert.deepEqual(
      records.map((r) => [r.event.action, r.event.outcome, r.http.response.status_code, r.error.code[0]]),
      [
        ['graphql.operation', 'failure', 400, 'BAD_REQUEST'],
        ['graphql.request.invalid', 'failure', 400, 'BAD_REQUEST'],
      ],
    );
  });
});

describe('field records', () => {
  let s: Started;
  before(async () => {
    s = await startAudited();
  });
  after(async () => {
    await s.server.stop();
  });

  it('wraps only @audit fields and mutation root fields', () => {
    const resolverOf = (schema: typeof s.schema, type: string, field: string) =>
      (schema.getType(type) as GraphQLObjectType).getFields()[field]?.resolve;
    const same = (type: string, field: string) => resolverOf(s.schema, type, field) === resolverOf(s.base, type, field);
    assert.ok(same('Query', 'orders'), 'unaudited field keeps its resolver');
    assert.ok(same('Query', 'me'));
    assert.ok(same('Order', 'id'));
    assert.equal(resolverOf(s.schema, 'Order', 'total'), undefined, 'default resolvers stay default');
    assert.ok(!same('Query', 'customer'));
    assert.ok(!same('Query', 'plain'));
    assert.ok(!same('Mutation', 'login'));
    assert.ok(same('Mutation', 'quiet'), '@audit(level: NONE) is not wrapped');
    let wrapped = 0;
    for (const t of Object.values(s.schema.getTypeMap())) {
      if (t.name.startsWith('__') || !('getFields' in t) || !('isTypeOf' in t)) continue;
      for (const f of Object.keys((t as GraphQLObjectType).getFields())) if (!same(t.name, f)) wrapped++;
    }
    assert.equal(wrapped, 2 + 1 + 5, 'customer, secretQuestion, plain + five mutation fields');
  });

  it('writes a field record per resolution of an @audit field, at its declared level', async () => {
    s.sink.clear();
    await postGraphQL(
      s.url,
      { query: 'query Two { a: customer(id: "c7") { id name email } b: customer(id: "c8") { id } orders { id } }' },
      { headers: USER },
    );
    const records = s.sink.records as Record<string, any>[];
    const fields = records.filter((r) => r.event.action === 'graphql.field');
    assert.equal(fields.length, 2);
    assert.deepEqual(
      fields.map((f) => f.graphql.field),
      [
        { coordinate: 'Query.customer', path: 'a' },
        { coordinate: 'Query.customer', path: 'b' },
      ],
    );
    const a = fields[0] as Record<string, any>;
    assert.equal(a.rampart.level, 'response');
    assert.ok(Number.isInteger(a.event.duration) && a.event.duration >= 0);
    assert.deepEqual(a.graphql.arguments, { id: 'c7' });
    assert.deepEqual(a.graphql.result, { type: 'object', id: 'c7' });
    assert.equal(a.graphql.operation.name, 'Two');
    assert.equal(a.user.id, 'u-42');
    assert.equal(records.filter((r) => r.event.action === 'graphql.operation').length, 1);
  });

  it('gives each operation of a batch its own field records (the operation in flight sits on its context value)', async () => {
    const batched = await startAudited({}, { allowBatchedHttpRequests: true });
    try {
      const res = await fetch(batched.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...USER },
        body: JSON.stringify([
          { query: 'query First { customer(id: "c7") { id } }' },
          { query: 'query Second { customer(id: "c8") { id } }' },
        ]),
      });
      assert.equal(res.status, 200);
      const fields = (batched.sink.records as Record<string, any>[]).filter((r) => r.event.action === 'graphql.field');
      assert.deepEqual(fields.map((f) => [f.graphql.operation.name, f.graphql.arguments.id]).sort(), [
        ['First', 'c7'],
        ['Second', 'c8'],
      ]);
    } finally {
      await batched.server.stop();
    }
  });

  it('never logs the value of a @sensitive field, even at response level', async () => {
    s.sink.clear();
    await postGraphQL(s.url, { query: '{ secretQuestion plain }' }, { headers: USER });
    const fields = (s.sink.records as Record<string, any>[]).filter((r) => r.event.action === 'graphql.field');
    const secret = fields.find((f) => f.graphql.field.coordinate === 'Query.secretQuestion');
    assert.deepEqual(secret?.graphql.result, { type: 'scalar' });
    assert.ok(!s.sink.lines.join('\n').includes('Rex'));
    const plain = fields.find((f) => f.graphql.field.coordinate === 'Query.plain');
    assert.equal(plain?.rampart.level, 'metadata', '@audit without a level uses the configured level');
    assert.equal(plain?.graphql.result, undefined);
  });

  it('audits every mutation root field by default; @sensitive arguments are redacted', async () => {
    s.sink.clear();
    const res = await postGraphQL(
      s.url,
      {
        query: 'mutation { login(email: "ada@example.com", password: "hunter2") deleteCustomer(id: "c9") quiet }',
      },
      { headers: USER },
    );
    assert.equal(res.status, 200);
    const fields = (s.sink.records as Record<string, any>[]).filter((r) => r.event.action === 'graphql.field');
    assert.deepEqual(
      fields.map((f) => f.graphql.field.coordinate),
      ['Mutation.login', 'Mutation.deleteCustomer'],
    );
    const login = fields[0] as Record<string, any>;
    assert.equal(login.rampart.level, 'metadata');
    assert.equal(login.graphql.arguments, undefined, 'no arguments at metadata level');
    const del = fields[1] as Record<string, any>;
    assert.deepEqual(del.graphql.arguments, { id: 'c9' });
    assert.ok(!s.sink.lines.join('\n').includes('hunter2'));
  });

  it('records a denied field with the rule decision', async () => {
    s.sink.clear();
    await postGraphQL(s.url, { query: 'mutation { denied }' }, { headers: USER });
    const records = s.sink.records as Record<string, any>[];
    const field = records.find((r) => r.event.action === 'graphql.field') as Record<string, any>;
    assert.equal(field.event.outcome, 'denied');
    assert.deepEqual(field.error, { code: ['FORBIDDEN'] });
    assert.equal(field.rampart.decisions[0].rule, 'isAdmin');
    const op = records.find((r) => r.event.action === 'graphql.operation') as Record<string, any>;
    assert.equal(op.event.outcome, 'denied');
    assert.equal(op.http.response.status_code, 200);
  });
});

describe('policy rules (first match)', () => {
  let s: Started;
  before(async () => {
    s = await startAudited({
      rules: [
        { level: 'none', records: ['operation'], operationNames: ['HealthCheck'] },
        { level: 'response', records: ['operation'], outcomes: ['denied'] },
        { level: 'request', operationTypes: ['mutation'], roles: ['admin'] },
        { level: 'request', principalKinds: ['service'], coordinates: ['Query.*'] },
        { level: 'metadata', operationTypes: ['mutation'] },
      ],
    });
  });
  after(async () => {
    await s.server.stop();
  });

  it('picks the level of the first matching rule', async () => {
    s.sink.clear();
    await postGraphQL(s.url, { query: 'query HealthCheck { plain }' });
    await postGraphQL(
      s.url,
      { query: 'mutation M($id: ID!) { deleteCustomer(id: $id) }', variables: { id: 'c1' } },
      {
        headers: { 'x-test-user': 'root', 'x-test-roles': 'admin' },
      },
    );
    await postGraphQL(
      s.url,
      { query: 'mutation M($id: ID!) { deleteCustomer(id: $id) }', variables: { id: 'c2' } },
      {
        headers: USER,
      },
    );
    await postGraphQL(
      s.url,
      { query: 'query Q($n: Int) { orders(first: $n) { id } }', variables: { n: 1 } },
      {
        headers: { 'x-test-user': 'svc-batch' },
      },
    );
    await postGraphQL(s.url, { query: 'query Q { me { id } }' }, { headers: { ...USER, 'x-test-limit': '1' } });
    const ops = (s.sink.records as Record<string, any>[]).filter((r) => r.event.action === 'graphql.operation');
    assert.equal(ops.length, 4, 'HealthCheck is not recorded (level none)');
    assert.equal(
      ops.some((o) => o.graphql.operation.name === 'HealthCheck'),
      false,
    );
    assert.deepEqual(
      ops.map((o) => [o.user.id, o.rampart.level]),
      [
        ['root', 'request'],
        ['u-42', 'metadata'],
        ['svc-batch', 'request'],
        ['u-42', 'response'],
      ],
    );
    assert.deepEqual(ops[0]?.graphql.variables, { id: 'c1' });
    assert.equal(ops[1]?.graphql.variables, undefined);
    assert.deepEqual(ops[2]?.graphql.variables, { n: 1 });
    assert.deepEqual(ops[3]?.graphql.result, { data: 'absent', fields: {} });
    // The field record of HealthCheck's @audit field is still written (the rule is for operation records).
    const fields = (s.sink.records as Record<string, any>[]).filter((r) => r.event.action === 'graphql.field');
    assert.deepEqual(
      fields.map((f) => [f.graphql.field.coordinate, f.rampart.level]),
      [
        ['Query.plain', 'metadata'],
        ['Mutation.deleteCustomer', 'request'],
        ['Mutation.deleteCustomer', 'metadata'],
      ],
    );
  });

  it('rejects a bad rule at startup, naming the option', async () => {
    const { RampartConfigError } = await import('@rampart/core');
    const { createAudit } = await import('../src/index.js');
    assert.throws(
      () => createAudit({ rules: [{ level: 'verbose' as never }] }),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'audit.rules' && /level/.test(e.message),
    );
    assert.throws(
      () => createAudit({ levle: 'request' } as never),
      (e: unknown) => e instanceof RampartConfigError && /did you mean "level"/.test(e.message),
    );
    assert.throws(
      () => createAudit({ chain: { key: 'abcd' } }),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'audit.chain',
    );
  });
});
