import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createPrincipal, type DecisionEvent } from '@rampart/core';
import { AuditWriter, resolveAuditOptions, verifyAuditLog } from '../src/index.js';
import { buildRecord, type OperationFacts, serializeRecordBody } from '../src/record.js';

const limits = { maxStringLength: 40, maxItems: 3, maxDepth: 3 };
const ID = '00000000-1111-4222-8333-444444444444';
const hostile = 'a"b\\c\r\nd\u001b[31me\u2028f\u2029g\ud800h\udc00i\u202ej\u0085k</script>';

const base: OperationFacts = {
  action: 'graphql.operation',
  sequence: 7,
  outcome: 'success',
  level: 'metadata',
  durationNs: 1_234_567,
  requestId: 'req-1',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  userAgent: 'shop-web/2.3',
  principal: createPrincipal({
    id: 'u-42',
    kind: 'user',
    roles: ['customer', 'admin'],
    scopes: ['orders:read'],
    clientId: 'web-app',
    authMethod: 'jwt',
    ip: '203.0.113.7',
  }),
  operationType: 'query',
  operationName: 'OrderHistory',
  queryHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  rootFields: ['Query.orders', 'Query.me'],
  status: 200,
  errors: [],
  decisions: [{ source: 'limits', outcome: 'measured', rule: 'depth', details: { depth: 3, max: 10 }, at: 1 }],
  cost: { estimated: 42 },
};

const protoKey = JSON.parse('{"__proto__":{"polluted":1},"ok":2}');
const manyDecisions: DecisionEvent[] = Array.from({ length: 105 }, (_, i) => ({
  source: 'rules',
  outcome: i % 2 ? 'denied' : 'allowed',
  at: i,
}));

const cases: Record<string, OperationFacts> = {
  base,
  minimal: {
    ...base,
    outcome: 'failure',
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
    decisions: [],
    cost: undefined,
  },
  'status without request id': { ...base, requestId: undefined, status: 400, outcome: 'failure' },
  'request id without status': { ...base, status: undefined },
  'hostile strings everywhere': {
    ...base,
    outcome: 'denied',
    level: 'response',
    requestId: hostile,
    userAgent: hostile,
    operationName: hostile,
    queryHash: hostile,
    rootFields: [hostile, 'Query.x'],
    fieldCoordinate: `Query.${hostile}`,
    fieldPath: hostile,
    principal: createPrincipal({
      id: hostile,
      kind: 'service',
      roles: [hostile, 'b', 'c', 'd', 'e'],
      scopes: [hostile],
      clientId: hostile,
      tenant: hostile,
      authMethod: 'api-key',
      ip: hostile,
    }),
    errors: [
      { code: hostile, message: hostile },
      { code: undefined, message: 'plain' },
      { code: 'BAD_USER_INPUT', message: 'echo' },
    ],
    decisions: [
      {
        source: hostile,
        outcome: hostile,
        code: hostile,
        coordinate: hostile,
        path: hostile,
        rule: hostile,
        reason: hostile,
        details: { [hostile]: hostile, nested: { deep: { deeper: { deepest: 1 } } }, list: [1, 2, 3, 4, 5] },
        at: 5,
      } as unknown as DecisionEvent,
    ],
    reason: hostile,
    variables: { a: hostile, n: 1, proto: protoKey },
    arguments: { b: [hostile], c: null },
    result: { summary: hostile },
    cost: { estimated: undefined, actual: 9 },
  },
  'odd numbers and omitted values': {
    ...base,
    durationNs: Number.NaN,
    status: Number.POSITIVE_INFINITY,
    sequence: -0,
    cost: { estimated: Number.NaN, actual: undefined },
    decisions: [
      { source: 'x', outcome: 'y', details: () => 1, at: undefined } as unknown as DecisionEvent,
      { source: 'x', outcome: 'y', details: undefined, at: 1e21 } as unknown as DecisionEvent,
    ],
    variables: { u: undefined, f: () => 1, d: new Date(0) } as unknown as Record<string, unknown>,
    result: null,
  },
  'over 100 decisions': { ...base, decisions: manyDecisions },
  'unknown outcome (start record)': { ...base, outcome: 'unknown' as OperationFacts['outcome'] },
  'more than 20 errors': {
    ...base,
    level: 'response',
    errors: Array.from({ length: 25 }, (_, i) => ({ code: `E${i}`, message: `m${i}` })),
  },
};

describe('serialising a record straight from its facts', () => {
  for (const [name, facts] of Object.entries(cases)) {
    it(`writes exactly JSON.stringify(buildRecord(…)): ${name}`, () => {
      const expected = JSON.stringify(buildRecord(facts, limits, ID));
      const body = serializeRecordBody(facts, limits, ID);
      assert.equal(`{${body}}`, expected);
    });
  }

  const dir = mkdtempSync(join(tmpdir(), 'rampart-audit-serialize-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writeRecord writes the same line as pino does for write(buildRecord(…)), chained', async () => {
    const path = join(dir, 'same.log');
    const w = new AuditWriter(
      resolveAuditOptions({
        destination: path,
        chain: { key: 'ab'.repeat(32) },
        clock: { now: () => 1_795_833_648_289 },
      }),
    );
    for (const facts of Object.values(cases)) {
      assert.equal(w.write(buildRecord(facts, limits, ID), facts.action), true);
      assert.equal(w.writeRecord(facts, limits, facts.action), true);
    }
    await w.close();
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    assert.equal(lines.length, Object.keys(cases).length * 2);
    const report = await verifyAuditLog({ logPath: path, key: 'ab'.repeat(32) });
    assert.equal(report.ok, true);
    assert.equal(report.chains[0]?.records, lines.length);
    const strip = (l: string) => l.replace(/"id":"[\da-f-]{36}"/, `"id":"${ID}"`).replace(/,"seq":\d+,.*$/, '');
    for (let i = 0; i < lines.length; i += 2) {
      assert.equal(strip(lines[i + 1] as string), strip(lines[i] as string));
    }
  });
});
