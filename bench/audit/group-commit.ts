/**
 * Audit write path: group commit against one write per record, record size, and SIGKILL losses.
 * Run from the repository root:
 *   node --conditions=source --import tsx bench/audit/group-commit.ts [--kills N] [--size-only]
 *
 * 1. records/s and µs per record (wall and CPU) of `writeRecord` with the HMAC chain into a real file,
 *    `durability: 'sync'` vs `'group'`, with 1, 10 and 100 records per event-loop turn (a loaded server
 *    finishes a few requests per turn); the variants interleaved round by round, medians of 5 rounds.
 * 2. Bytes and µs per operation record (serialisation only, and the whole chained write) for a signed-in
 *    user and for an anonymous request; against the code before the leaner records when extracted first:
 *      mkdir -p bench/audit/.baseline/lean-before && for f in $(git ls-tree --name-only 07a80c3 packages/audit/src/); do
 *        git show 07a80c3:$f > bench/audit/.baseline/lean-before/$(basename $f); done
 * 3. SIGKILL at random times (100–400 ms) of a child writing 10 records per turn and acknowledging each
 *    turn on stdout before it ends: records acknowledged but not in the file.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers/promises';
import { anonymousPrincipal, createPrincipal, type Principal } from '@rampart/core';
import { resolveAuditOptions } from '../../packages/audit/src/options.js';
import type { OperationFacts } from '../../packages/audit/src/record.js';
import { serializeRecordBody } from '../../packages/audit/src/serialize.js';
import { AuditWriter } from '../../packages/audit/src/writer.js';
import { killRun } from '../../packages/audit/test/kill-run.js';

const KEY = 'a1'.repeat(32);
const limits = { maxStringLength: 1024, maxItems: 50, maxDepth: 8 };
const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-group-'));
const user = createPrincipal({
  id: 'user-1234',
  kind: 'user',
  roles: ['customer'],
  scopes: ['orders:read', 'orders:write'],
  clientId: 'web-app',
  authMethod: 'jwt',
  ip: '203.0.113.7',
});
const facts = (sequence: number, principal: Principal = user): OperationFacts => ({
  action: 'graphql.operation',
  sequence,
  outcome: 'success',
  level: 'metadata',
  durationNs: 1_234_567,
  requestId: '6f1c2a4e-8d2b-4a43-9d1e-5b7a3c2f9e10',
  traceId: undefined,
  userAgent: 'autocannon',
  principal,
  operationType: 'query',
  operationName: 'Product',
  queryHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  rootFields: ['Query.product'],
  status: 200,
  errors: [],
  decisions: [],
  cost: undefined,
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function writeTurns(
  durability: 'sync' | 'group',
  perTurn: number,
  n: number,
  round: number,
): Promise<{ wallUs: number; cpuUs: number }> {
  const log = join(dir, `${durability}-${perTurn}-${round}.log`);
  const w = new AuditWriter(resolveAuditOptions({ destination: log, durability, chain: { key: KEY } }));
  w.writeRecord(facts(0), limits, 'graphql.operation'); // open the file outside the measurement
  await setImmediate();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i += perTurn) {
    for (let j = 0; j < perTurn; j++) w.writeRecord(facts(i + j), limits, 'graphql.operation');
    await setImmediate();
  }
  const wallUs = (performance.now() - t0) * 1000;
  const c = process.cpuUsage(c0);
  await w.close();
  rmSync(log);
  return { wallUs: wallUs / n, cpuUs: (c.user + c.system) / n };
}

async function throughput(): Promise<void> {
  const N = 20_000;
  const rows: string[] = [];
  for (const perTurn of [1, 10, 100]) {
    const res: Record<string, { wall: number[]; cpu: number[] }> = {
      sync: { wall: [], cpu: [] },
      group: { wall: [], cpu: [] },
    };
    await writeTurns('sync', perTurn, 2000, -1); // warm-up
    await writeTurns('group', perTurn, 2000, -1);
    for (let round = 0; round < 5; round++) {
      for (const mode of round % 2 === 0 ? (['sync', 'group'] as const) : (['group', 'sync'] as const)) {
        const r = await writeTurns(mode, perTurn, N, round);
        res[mode]?.wall.push(r.wallUs);
        res[mode]?.cpu.push(r.cpuUs);
      }
    }
    for (const mode of ['sync', 'group'] as const) {
      const wall = median(res[mode]?.wall ?? []);
      const cpu = median(res[mode]?.cpu ?? []);
      rows.push(
        `| ${mode} | ${perTurn} | ${Math.round(1e6 / wall).toLocaleString('en')} | ${wall.toFixed(2)} | ${cpu.toFixed(2)} |`,
      );
    }
  }
  console.log('\n### Chained writes into a file (HMAC chain, 20,000 records, median of 5 interleaved rounds)\n');
  console.log('| durability | records per turn | records/s | µs per record (wall) | µs per record (CPU) |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

/** The audit sources before the leaner records (commit 07a80c3), if extracted (see the header). */
interface LeanBaseline {
  AuditWriter: typeof AuditWriter;
  resolveAuditOptions: typeof resolveAuditOptions;
  serializeRecordBody: typeof serializeRecordBody;
}
async function loadLeanBaseline(): Promise<LeanBaseline | undefined> {
  const dir = new URL('./.baseline/lean-before/', import.meta.url);
  if (!existsSync(new URL('writer.ts', dir))) return undefined;
  const { AuditWriter } = await import(new URL('writer.ts', dir).href);
  const { resolveAuditOptions } = await import(new URL('options.ts', dir).href);
  const { serializeRecordBody } = await import(new URL('serialize.ts', dir).href);
  return { AuditWriter, resolveAuditOptions, serializeRecordBody };
}

async function recordSize(): Promise<void> {
  const before = await loadLeanBaseline();
  const variants: [string, LeanBaseline][] = [];
  if (before) variants.push(['before (07a80c3)', before]);
  variants.push(['now', { AuditWriter, resolveAuditOptions, serializeRecordBody }]);
  console.log('\n### Operation record: bytes per line and µs per record (median of 7 interleaved rounds)\n');
  console.log(
    '| principal | code | bytes per chained line | µs to serialise | µs per chained write (in-memory sink) |',
  );
  console.log('|---|---|---|---|---|');
  for (const [name, principal] of [
    ['signed-in user', user],
    ['anonymous', anonymousPrincipal('203.0.113.7')],
  ] as const) {
    const f = facts(1, principal);
    const N = 100_000;
    const results = variants.map(([label, v]) => {
      let line = '';
      const probe = new v.AuditWriter(
        v.resolveAuditOptions({ destination: { stream: { write: (l: string) => (line = l) } }, chain: { key: KEY } }),
      );
      probe.writeRecord(f, limits, 'graphql.operation');
      const w = new v.AuditWriter(
        v.resolveAuditOptions({ destination: { stream: { write: () => true } }, chain: { key: KEY } }),
      );
      return { label, v, w, bytes: Buffer.byteLength(line), ser: [] as number[], writes: [] as number[] };
    });
    for (let round = 0; round < 7; round++) {
      for (const r of round % 2 === 0 ? results : [...results].reverse()) {
        let t0 = performance.now();
        for (let i = 0; i < N; i++) r.v.serializeRecordBody(f, limits);
        r.ser.push(((performance.now() - t0) * 1000) / N);
        t0 = performance.now();
        for (let i = 0; i < N; i++) r.w.writeRecord(f, limits, 'graphql.operation');
        r.writes.push(((performance.now() - t0) * 1000) / N);
      }
    }
    for (const r of results) {
      console.log(
        `| ${name} | ${r.label} | ${r.bytes} | ${median(r.ser).toFixed(2)} | ${median(r.writes).toFixed(2)} |`,
      );
    }
  }
}

async function kills(count: number): Promise<void> {
  console.log(`\n### SIGKILL at random times (${count} kills per mode, 10 records per turn)\n`);
  console.log('| durability | kills | acknowledged (mean) | lost per kill: max | mean | kills with a loss |');
  console.log('|---|---|---|---|---|---|');
  for (const mode of ['sync', 'group'] as const) {
    const lost: number[] = [];
    const acked: number[] = [];
    for (let i = 0; i < count; i++) {
      const log = join(dir, `kill-${mode}-${i}.log`);
      const r = await killRun(log, mode, KEY, 10, 100 + Math.floor(Math.random() * 300));
      lost.push(r.lost);
      acked.push(r.acked);
      rmSync(log);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(
      `| ${mode} | ${count} | ${Math.round(mean(acked)).toLocaleString('en')} | ${Math.max(...lost)} | ${mean(lost).toFixed(1)} | ${lost.filter((x) => x > 0).length} |`,
    );
  }
}

const killsArg = process.argv.indexOf('--kills');
const killCount = killsArg > 0 ? Number(process.argv[killsArg + 1]) : 20;
try {
  await recordSize();
  if (!process.argv.includes('--size-only')) {
    await throughput();
    await kills(killCount);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
