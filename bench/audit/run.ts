/**
 * Audit benchmarks. Run from the repository root:
 *   node --conditions=source --import tsx bench/audit/run.ts [--write]
 * With --write, the results go to bench/results/audit.md.
 *
 * 1. CPU per operation record (build + pino serialisation + HMAC chain + write), and records/s of the
 *    chain writer, against plain pino writing the same object without a chain.
 * 2. Plugin overhead per operation over Apollo's executeOperation (`{ hello }`): audited vs bare.
 * 3. The 20,000 × 5 list: auditing on (operation-level only) vs off; median of interleaved rounds.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { createPrincipal } from '@rampart/core';
import { pino } from 'pino';
import { AuditWriter, createAudit, resolveAuditOptions } from '../../packages/audit/src/index.js';
import { buildRecord, type OperationFacts } from '../../packages/audit/src/record.js';

const KEY = 'a1'.repeat(32);
const limits = { maxStringLength: 1024, maxItems: 50, maxDepth: 8 };
const principal = createPrincipal({
  id: 'user-1234',
  kind: 'user',
  roles: ['customer'],
  scopes: ['orders:read', 'orders:write'],
  clientId: 'web-app',
  authMethod: 'jwt',
  ip: '203.0.113.7',
});
const facts = (sequence: number): OperationFacts => ({
  action: 'graphql.operation',
  sequence,
  outcome: 'success',
  level: 'metadata',
  durationNs: 1_234_567,
  requestId: '6f1c2a4e-8d2b-4a43-9d1e-5b7a3c2f9e10',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) shop-app/1.0',
  principal,
  operationType: 'query',
  operationName: 'OrderHistory',
  queryHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  rootFields: ['Query.orders', 'Query.me'],
  status: 200,
  errors: [],
  decisions: [{ source: 'limits', outcome: 'measured', rule: 'depth', details: { depth: 3, max: 10 }, at: Date.now() }],
  cost: { estimated: 42 },
});

function cpuMicros(fn: () => void): { cpuUs: number; wallMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { cpuUs: c.user + c.system, wallMs };
}

const N = 100_000;
const nullSink = { write: () => true };

function recordBench() {
  const rows: string[][] = [];
  const run = (name: string, make: () => (i: number) => void) => {
    const fn = make();
    for (let i = 0; i < 5_000; i++) fn(i); // warm-up
    const { cpuUs, wallMs } = cpuMicros(() => {
      for (let i = 0; i < N; i++) fn(i);
    });
    rows.push([name, (cpuUs / N).toFixed(2), Math.round(N / (wallMs / 1000)).toLocaleString('en-US')]);
  };
  run('reference: JSON.stringify of the built record only', () => {
    const r = buildRecord(facts(1), limits);
    return () => JSON.stringify(r);
  });
  run('reference: build the record only (no serialisation)', () => (i) => buildRecord(facts(i), limits));
  run('plain pino, same object, no chain → /dev/null (sync)', () => {
    const logger = pino({ base: null }, pino.destination({ dest: '/dev/null', sync: true }));
    return (i) => logger.info(buildRecord(facts(i), limits), 'graphql.operation');
  });
  run('audit writer, no chain → in-memory no-op sink', () => {
    const w = new AuditWriter(resolveAuditOptions({ destination: { stream: nullSink } }));
    return (i) => w.write(buildRecord(facts(i), limits), 'graphql.operation');
  });
  run('audit writer + HMAC chain → in-memory no-op sink', () => {
    const w = new AuditWriter(resolveAuditOptions({ destination: { stream: nullSink }, chain: { key: KEY } }));
    return (i) => w.write(buildRecord(facts(i), limits), 'graphql.operation');
  });
  run('audit writer + HMAC chain → /dev/null (sync write per line)', () => {
    const w = new AuditWriter(resolveAuditOptions({ destination: '/dev/null', chain: { key: KEY } }));
    return (i) => w.write(buildRecord(facts(i), limits), 'graphql.operation');
  });
  run('audit writer + HMAC chain → file (sync write per line)', () => {
    const w = new AuditWriter(
      resolveAuditOptions({ destination: '/tmp/rampart-bench-audit.log', chain: { key: KEY } }),
    );
    return (i) => w.write(buildRecord(facts(i), limits), 'graphql.operation');
  });
  return rows;
}

/** The buffered asynchronous file: written in bursts of 1,000 with the event loop turning in between. */
async function asyncBench(): Promise<string[]> {
  const w = new AuditWriter(
    resolveAuditOptions({
      destination: { path: '/tmp/rampart-bench-audit-async.log', sync: false },
      chain: { key: KEY },
    }),
  );
  const burst = async (from: number) => {
    for (let i = from; i < from + 1000; i++) w.write(buildRecord(facts(i), limits), 'graphql.operation');
    // Let SonicBoom drain: a sustained synchronous burst faster than its writes fills the 16 MB cap.
    await w.flush();
  };
  for (let i = 0; i < 5; i++) await burst(i * 1000);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i += 1000) await burst(i);
  await w.close();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (w.dropped > 0) throw new Error(`async bench dropped ${w.dropped} lines`);
  return [
    'audit writer + HMAC chain → file (async, 4 KB buffer, bursts of 1,000, drained between)',
    ((c.user + c.system) / N).toFixed(2),
    Math.round(N / (wallMs / 1000)).toLocaleString('en-US'),
  ];
}

const typeDefs = /* GraphQL */ `
  type Item {
    a: Int
    b: String
    c: Int
    d: String
    e: Boolean
  }
  type Query {
    hello: String
    items: [Item!]!
  }
  type Mutation {
    touch: Boolean
  }
`;
const items = Array.from({ length: 20_000 }, (_, i) => ({ a: i, b: `item ${i}`, c: i * 2, d: 'x', e: i % 2 === 0 }));
const resolvers = { Query: { hello: () => 'hi', items: () => items }, Mutation: { touch: () => true } };

async function servers() {
  const bare = new ApolloServer({ schema: makeExecutableSchema({ typeDefs, resolvers }) });
  const audit = createAudit({ destination: '/dev/null', chain: { key: KEY } });
  const audited = new ApolloServer({
    schema: audit.transformSchema(makeExecutableSchema({ typeDefs: [audit.typeDefs, typeDefs], resolvers })),
    plugins: [audit.plugin],
  });
  // Apollo's own cost of a plugin with the same three request hooks, doing nothing.
  const hooksOnly = new ApolloServer({
    schema: makeExecutableSchema({ typeDefs, resolvers }),
    plugins: [
      {
        async requestDidStart() {
          return { async didResolveOperation() {}, async willSendResponse() {} };
        },
      },
    ],
  });
  await bare.start();
  await audited.start();
  await hooksOnly.start();
  return { bare, audited, audit, hooksOnly };
}

async function execMany(server: ApolloServer, query: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await server.executeOperation({ query }, { contextValue: {} });
    if (r.body.kind !== 'single' || r.body.singleResult.errors) throw new Error('bench query failed');
  }
}

async function cpuOf(fn: () => Promise<void>): Promise<{ cpuUs: number; wallMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { cpuUs: c.user + c.system, wallMs };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function operationBench(s: Awaited<ReturnType<typeof servers>>) {
  const OPS = 5_000;
  const ROUNDS = 6;
  await execMany(s.bare, '{ hello }', 1000);
  await execMany(s.audited, '{ hello }', 1000);
  await execMany(s.hooksOnly, '{ hello }', 1000);
  const bare: number[] = [];
  const aud: number[] = [];
  const hooks: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    bare.push((await cpuOf(() => execMany(s.bare, '{ hello }', OPS))).cpuUs / OPS);
    hooks.push((await cpuOf(() => execMany(s.hooksOnly, '{ hello }', OPS))).cpuUs / OPS);
    aud.push((await cpuOf(() => execMany(s.audited, '{ hello }', OPS))).cpuUs / OPS);
  }
  return { bare: median(bare), audited: median(aud), hooks: median(hooks) };
}

async function listBench(s: Awaited<ReturnType<typeof servers>>) {
  const q = '{ items { a b c d e } }';
  const ROUNDS = 15;
  await execMany(s.bare, q, 3);
  await execMany(s.audited, q, 3);
  const bw: number[] = [];
  const aw: number[] = [];
  const bc: number[] = [];
  const ac: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const b = await cpuOf(() => execMany(s.bare, q, 1));
    const a = await cpuOf(() => execMany(s.audited, q, 1));
    bw.push(b.wallMs);
    aw.push(a.wallMs);
    bc.push(b.cpuUs);
    ac.push(a.cpuUs);
  }
  return { bareMs: median(bw), auditedMs: median(aw), bareCpu: median(bc), auditedCpu: median(ac) };
}

const records = recordBench();
records.push(await asyncBench());
const s = await servers();
const op = await operationBench(s);
const list = await listBench(s);
await s.bare.stop();
await s.audited.stop();
await s.hooksOnly.stop();

const out = `# @rampart/audit benchmarks

Command: \`node --conditions=source --import tsx bench/audit/run.ts --write\` (from the repository root)
Date: ${new Date().toISOString()} · Node ${process.version} · ${process.platform}/${process.arch} · 2 cores, noisy machine
(load average at the end of the run: ${loadavg()
  .map((x) => x.toFixed(1))
  .join(', ')}, other benchmarks were running):
compare the ratios measured in this one run, not absolute figures across runs.

## 1. One operation record (metadata level), ${N.toLocaleString('en-US')} records

Each record is built from the same facts (actor, request id, trace id, operation, one decision, cost) and
written through the named path. CPU = user + system CPU time per record.

| path | CPU µs / record | records / s |
|---|---:|---:|
${records.map((r) => `| ${r.join(' | ')} |`).join('\n')}

Goal: one operation record with chain ≤ 10 µs of CPU.

## 2. Plugin overhead per operation (\`{ hello }\` via executeOperation, median of 6 × 5,000)

| server | CPU µs / operation |
|---|---:|
| bare Apollo Server | ${op.bare.toFixed(1)} |
| + an empty plugin with the same three request hooks (Apollo's cost of hooks) | ${op.hooks.toFixed(1)} |
| + audit plugin (chain, sync file /dev/null) | ${op.audited.toFixed(1)} |
| audit plugin − empty plugin (the audit trail's own cost per operation) | ${(op.audited - op.hooks).toFixed(1)} |

## 3. 20,000 × 5 list, auditing on (operation-level only) vs off (median of 15 interleaved rounds)

| server | wall ms | CPU ms |
|---|---:|---:|
| bare Apollo Server | ${list.bareMs.toFixed(1)} | ${(list.bareCpu / 1000).toFixed(1)} |
| + audit plugin | ${list.auditedMs.toFixed(1)} | ${(list.auditedCpu / 1000).toFixed(1)} |
| ratio | **${(list.auditedMs / list.bareMs).toFixed(3)}x** | **${(list.auditedCpu / list.bareCpu).toFixed(3)}x** |

Goal: at most 1.05x. No field of the list is wrapped (only \`@audit\` fields and mutation root fields are).
`;
process.stdout.write(out);
if (process.argv.includes('--write')) writeFileSync(new URL('../results/audit.md', import.meta.url), out);
