/**
 * Audit benchmarks. Run from the repository root:
 *   node --conditions=source --import tsx bench/audit/run.ts [--write]
 * With --write, the results go to bench/results/audit.md.
 *
 * 1. CPU per operation record (build + serialisation + HMAC chain + write), and records/s of the
 *    chain writer; the variants interleaved round by round, medians. To include the code before the
 *    serialisation work (BEFORE rows), extract it first (git-ignored folder):
 *      mkdir -p bench/audit/.baseline && for f in $(git ls-tree --name-only 9c767f9 packages/audit/src/); do
 *        git show 9c767f9:$f > bench/audit/.baseline/$(basename $f); done
 * 2. Plugin overhead per operation over Apollo's executeOperation (`{ hello }`): audited vs bare.
 * 3. The 20,000 × 5 list: auditing on (operation-level only) vs off; median of interleaved rounds.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { createPrincipal } from '@rampart/core';
import { pino } from 'pino';
import { createAudit, type WritableLike } from '../../packages/audit/src/index.js';
import { resolveAuditOptions } from '../../packages/audit/src/options.js';
import { buildRecord, type OperationFacts } from '../../packages/audit/src/record.js';
import { serializeRecordBody } from '../../packages/audit/src/serialize.js';
import { AuditWriter } from '../../packages/audit/src/writer.js';

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

/** The sources before the serialisation work (commit 9c767f9), if extracted (see the header). */
interface Baseline {
  AuditWriter: typeof AuditWriter;
  resolveAuditOptions: typeof resolveAuditOptions;
  buildRecord: typeof buildRecord;
}
async function loadBaseline(): Promise<Baseline | undefined> {
  const dir = new URL('./.baseline/', import.meta.url);
  if (!existsSync(new URL('writer.ts', dir))) return undefined;
  const { AuditWriter } = await import(new URL('writer.ts', dir).href);
  const { resolveAuditOptions } = await import(new URL('options.ts', dir).href);
  const { buildRecord } = await import(new URL('record.ts', dir).href);
  return { AuditWriter, resolveAuditOptions, buildRecord };
}

/**
 * Section 1: every variant runs ROUNDS × PER records, the variants interleaved round by round;
 * the figure is the median of the rounds (CPU = user + system time of the process).
 */
function recordBench(baseline: Baseline | undefined) {
  const ROUNDS = 9;
  const PER = 20_000;
  const variants: { name: string; fn: (i: number) => unknown }[] = [];
  const add = (name: string, fn: (i: number) => unknown) => variants.push({ name, fn });
  const file = (tag: string) => {
    const path = `/tmp/rampart-bench-audit-${tag}.log`;
    rmSync(path, { force: true });
    return path;
  };
  const built = buildRecord(facts(1), limits);
  add('reference: build the record object only (buildRecord)', (i) => buildRecord(facts(i), limits));
  add('reference: JSON.stringify of the built record only', () => JSON.stringify(built));
  add('reference: serialise straight from the facts only (serializeRecordBody)', (i) =>
    serializeRecordBody(facts(i), limits),
  );
  if (baseline) {
    const B = baseline;
    const wNull = new B.AuditWriter(B.resolveAuditOptions({ destination: { stream: nullSink }, chain: { key: KEY } }));
    add('BEFORE (9c767f9): pino logger + HMAC chain → in-memory no-op sink', (i) =>
      wNull.write(B.buildRecord(facts(i), limits), 'graphql.operation'),
    );
    const wFile = new B.AuditWriter(B.resolveAuditOptions({ destination: file('before'), chain: { key: KEY } }));
    add('BEFORE (9c767f9): pino logger + HMAC chain → file (sync write per line)', (i) =>
      wFile.write(B.buildRecord(facts(i), limits), 'graphql.operation'),
    );
  }
  const pinoPath = new AuditWriter(
    resolveAuditOptions({ destination: file('pino'), durability: 'sync', chain: { key: KEY } }),
  );
  add('now, generic path write(buildRecord()) via the pino logger + chain → file (sync)', (i) =>
    pinoPath.write(buildRecord(facts(i), limits), 'graphql.operation'),
  );
  const noChain = new AuditWriter(resolveAuditOptions({ destination: { stream: nullSink } }));
  add('now, writeRecord, no chain → in-memory no-op sink', (i) =>
    noChain.writeRecord(facts(i), limits, 'graphql.operation'),
  );
  const nul = new AuditWriter(resolveAuditOptions({ destination: { stream: nullSink }, chain: { key: KEY } }));
  add('now, writeRecord + HMAC chain → in-memory no-op sink', (i) =>
    nul.writeRecord(facts(i), limits, 'graphql.operation'),
  );
  const devnull = new AuditWriter(
    resolveAuditOptions({ destination: '/dev/null', durability: 'sync', chain: { key: KEY } }),
  );
  add('now, writeRecord + HMAC chain → /dev/null (sync write per line)', (i) =>
    devnull.writeRecord(facts(i), limits, 'graphql.operation'),
  );
  const boom = new AuditWriter(
    resolveAuditOptions({
      destination: { stream: pino.destination({ dest: file('sonic'), sync: true }) as unknown as WritableLike },
      chain: { key: KEY },
    }),
  );
  add("now, writeRecord + HMAC chain → pino.destination({ sync: true }) (SonicBoom's sync write)", (i) =>
    boom.writeRecord(facts(i), limits, 'graphql.operation'),
  );
  const sync = new AuditWriter(
    resolveAuditOptions({ destination: file('sync'), durability: 'sync', chain: { key: KEY } }),
  );
  add(
    '**now, writeRecord + HMAC chain → file (sync write per line): the sync file destination (durability sync)**',
    (i) => sync.writeRecord(facts(i), limits, 'graphql.operation'),
  );
  for (const v of variants) for (let i = 0; i < 5_000; i++) v.fn(i); // warm-up
  const cpu = variants.map(() => [] as number[]);
  const wall = variants.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) {
    variants.forEach((v, k) => {
      const { cpuUs, wallMs } = cpuMicros(() => {
        for (let i = 0; i < PER; i++) v.fn(i);
      });
      cpu[k]?.push(cpuUs / PER);
      wall[k]?.push(wallMs);
    });
  }
  return variants.map((v, k) => {
    const c = [...(cpu[k] as number[])].sort((a, b) => a - b);
    return [
      v.name,
      median(c).toFixed(2),
      `${(c[0] as number).toFixed(2)}–${(c[c.length - 1] as number).toFixed(2)}`,
      Math.round(PER / (median(wall[k] as number[]) / 1000)).toLocaleString('en-US'),
    ];
  });
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
    for (let i = from; i < from + 1000; i++) w.writeRecord(facts(i), limits, 'graphql.operation');
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
    'now, writeRecord + HMAC chain → file (async SonicBoom, 4 KB buffer, 100 bursts of 1,000, drained between; one run)',
    ((c.user + c.system) / N).toFixed(2),
    '',
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
  const audit = createAudit({ destination: '/dev/null', durability: 'sync', chain: { key: KEY } });
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

const baseline = await loadBaseline();
const records = recordBench(baseline);
records.push(await asyncBench());
if (process.argv.includes('--records-only')) {
  for (const r of records) console.log(r.join(' | '));
  process.exit(0);
}
const s = await servers();
const op = await operationBench(s);
const list = await listBench(s);
await s.bare.stop();
await s.audited.stop();
await s.hooksOnly.stop();

function verdict(): string {
  const row = (part: string) => records.find((r) => (r[0] as string).includes(part));
  const now = row('the sync file destination');
  const before = row('BEFORE (9c767f9): pino logger + HMAC chain → file');
  const nul = row('writeRecord + HMAC chain → in-memory');
  if (!now) return '';
  const us = Number(now[1]);
  let text = `In this run, with the synchronous file destination (durability sync): **${us.toFixed(2)} µs** (median), goal **${us <= 10 ? 'met' : 'not met'}**`;
  if (before) text += `; before: ${before[1]} µs (${(us / Number(before[1])).toFixed(2)}x)`;
  if (nul) text += `; without the file write (in-memory sink): ${nul[1]} µs`;
  return `${text}.`;
}

const out = `# @rampart/audit benchmarks

Command: \`node --conditions=source --import tsx bench/audit/run.ts --write\` (from the repository root)
Date: ${new Date().toISOString()} · Node ${process.version} · ${process.platform}/${process.arch} · 2 cores, noisy machine
(load average at the end of the run: ${loadavg()
  .map((x) => x.toFixed(1))
  .join(', ')}, other benchmarks were running):
compare the ratios measured in this one run, not absolute figures across runs.

## 1. One operation record (metadata level, ~1.1 KB line), CPU per record

Each record is built from the same facts (actor, request id, trace id, operation, one decision, cost) and
written through the named path. The variants are interleaved: 9 rounds × 20,000 records each, round by
round; CPU = user + system CPU time of the process per record, median of the rounds (min–max beside it).
${baseline ? 'BEFORE = the sources of commit 9c767f9 (before this work; extracted into bench/audit/.baseline/, see the header of run.ts), run in the same process.' : 'BEFORE rows: absent (bench/audit/.baseline/ not extracted, see the header of run.ts).'}

| path | CPU µs / record (median) | min–max | records / s (wall) |
|---|---:|---:|---:|
${records.map((r) => `| ${r.join(' | ')} |`).join('\n')}

Goal: one operation record with chain ≤ 10 µs of CPU. ${verdict()}

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
