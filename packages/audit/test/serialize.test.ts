import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createPrincipal, type DecisionEvent } from '@rampart/core';
import { HMAC_PAD, LineMac } from '../src/chain.js';
import { verifyAuditLog } from '../src/index.js';
import { resolveAuditOptions } from '../src/options.js';
import { buildRecord, type OperationFacts } from '../src/record.js';
import { serializeRecordBody } from '../src/serialize.js';
import { AuditWriter } from '../src/writer.js';

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
  'no operation, no request, no status: only variables under graphql (lean records)': {
    ...base,
    operationType: undefined,
    operationName: undefined,
    queryHash: undefined,
    rootFields: undefined,
    requestId: undefined,
    status: undefined,
    principal: createPrincipal({ id: 'svc', kind: 'service', authMethod: 'mtls' }),
    variables: { a: 1 },
  },
  'no operation and nothing else under graphql': {
    ...base,
    operationType: undefined,
    operationName: undefined,
    queryHash: undefined,
    rootFields: undefined,
    principal: undefined,
  },
  'decision details of every kind': {
    ...base,
    decisions: [
      {
        source: 'limits',
        outcome: 'measured',
        at: 3,
        details: {
          plain: { a: 1, b: 'two', c: [true, false, null, undefined, () => 1], d: { e: { f: { g: 1 } } } },
          many: { k1: 1, k2: 2, k3: 3, k4: 4, k5: 5 },
          list: [1, 2, 3, 4, 5, 6],
          empty: {},
          emptyList: [],
          odd: [Number.NaN, Number.POSITIVE_INFINITY, -0, 10n, new Date(0), new Date(Number.NaN), Symbol('s')],
          colliding: { 'a\r': 1, 'a\n': 2, b: 3 },
          marker: { '[truncated]': 'mine', x: 1 },
          longKey: { ['k'.repeat(200)]: 1 },
          proto: protoKey,
          numericKeys: { b: 1, 2: 'two', 1: 'one', a: 0 },
          boxed: new String('ab'),
          hostile,
        },
      } as unknown as DecisionEvent,
      { source: 'x', outcome: 'y', at: 4, details: 'just a string' } as unknown as DecisionEvent,
      { source: 'x', outcome: 'y', at: 5, details: ['a', { b: hostile }] } as unknown as DecisionEvent,
      { source: 'x', outcome: 'y', at: 6, details: 12 } as unknown as DecisionEvent,
    ],
  },
  'subscription end': {
    ...base,
    action: 'graphql.subscription.end',
    operationType: 'subscription',
    subscription: { end: 'completed', events: 12 },
  },
  'subscription end, odd values': {
    ...base,
    subscription: { end: hostile, events: Number.NaN } as unknown as OperationFacts['subscription'],
  },
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
      for (const l of [limits, { maxStringLength: 1024, maxItems: 50, maxDepth: 8 }, { ...limits, maxItems: 0 }]) {
        const expected = JSON.stringify(buildRecord(facts, l, ID));
        const body = serializeRecordBody(facts, l, ID);
        assert.equal(`{${body}}`, expected);
      }
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

describe('the line MAC with precomputed pads', () => {
  it('equals createHmac(sha256) for keys of 32, 64, 65 and 100 bytes and lines of any length', () => {
    for (const keyLength of [32, 64, 65, 100]) {
      const key = randomBytes(keyLength);
      const mac = new LineMac(key);
      for (const line of ['', 'a', '{"x":"é€😀"}', 'z'.repeat(55), 'y'.repeat(64), 'w'.repeat(70_000)]) {
        const bytes = Buffer.from(line, 'utf8');
        const buf = Buffer.alloc(HMAC_PAD + bytes.length);
        mac.prepare(buf);
        bytes.copy(buf, HMAC_PAD);
        assert.equal(mac.ofPrepared(buf, bytes.length), createHmac('sha256', key).update(bytes).digest('hex'));
      }
    }
  });

  it('lines longer than the encoding buffer (16 KB) are chained and verified', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-audit-longline-'));
    try {
      const path = join(dir, 'long.log');
      const w = new AuditWriter(resolveAuditOptions({ destination: path, chain: { key: 'cd'.repeat(32) } }));
      const big = { ...base, variables: { text: 'é'.repeat(20_000) } };
      assert.equal(w.writeRecord(base, limits, 'graphql.operation'), true);
      assert.equal(w.writeRecord(big, { ...limits, maxStringLength: 100_000 }, 'graphql.operation'), true);
      assert.equal(w.writeRecord(base, limits, 'graphql.operation'), true);
      await w.close();
      const report = await verifyAuditLog({ logPath: path, key: 'cd'.repeat(32) });
      assert.equal(report.ok, true);
      assert.equal(report.chains[0]?.records, 3);
      assert.equal(
        JSON.parse(readFileSync(path, 'utf8').split('\n')[1] as string).graphql.variables.text.length,
        20_000,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
