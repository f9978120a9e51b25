/**
 * `rampart analyze` at CI scale (issue 17): 1,000 operations against the shop's schema (examples/shop,
 * with its Rampart directives) analysed in one run of the real bin (`packages/cli/dist/bin.js`, built
 * by `tsc -b`), spawned as CI would: 800 operations in 10 GraphQL files sharing a fragments file, 200
 * in an Apollo persisted query manifest, `--variable-bounds 'first<=100'`, JSON output (parsed to check
 * that all 1,000 were analysed). Wall time of the whole process, ROUNDS runs (default 5): min, median,
 * max, and the process's CPU time (user + system, from /proc on Linux): the machine is shared, and
 * the wall time grows with its load. For scale, the wall time of one process per operation (the old
 * way) over 10 operations.
 * Goal: < 5 s for the 1,000.
 *
 * KEEP=1 keeps the generated corpus (and prints its folder).
 *
 * Run: pnpm bench:cli-analyze   (or: tsc -b && cd bench && node --import tsx cli/analyze.ts)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const bin = new URL('../../packages/cli/dist/bin.js', import.meta.url).pathname;
const schema = new URL('../../examples/shop/src/schema.graphql', import.meta.url).pathname;
const rounds = Number(process.env.ROUNDS ?? 5);

const FRAGMENTS = `fragment ProductFields on Product { id sku name price { amount currency } stock }
fragment OrderFields on Order { id status createdAt total { amount currency } items { quantity product { ...ProductFields } } }
fragment CustomerFields on Customer { id name email address { city country } }
`;

const TEMPLATES: ((i: number) => string)[] = [
  (i) => `query Products${i}($n: Int) { products(first: $n) { ...ProductFields category { name } } }`,
  (i) => `query Orders${i} { orders(first: ${(i % 50) + 1}) { ...OrderFields } }`,
  (i) =>
    `query Customer${i}($id: ID!) { customer(id: $id) { ...CustomerFields orders(first: 5) { id total { amount } } } }`,
  (i) =>
    `query Search${i} { search(text: "q${i}", first: 3) { ... on Product { ...ProductFields } ... on Category { name products(first: 2) { name } } } }`,
  (i) =>
    `mutation AddToCart${i} { addToCart(productId: "${i}", quantity: 1) { id items { quantity product { name } } } }`,
];

function operation(i: number): string {
  return (TEMPLATES[i % TEMPLATES.length] as (i: number) => string)(i);
}

/** Writes the 1,000 operations; returns the folder. */
function corpus(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-analyze-'));
  mkdirSync(join(dir, 'ops'));
  writeFileSync(join(dir, 'ops', 'fragments.graphql'), FRAGMENTS);
  for (let file = 0; file < 10; file++) {
    const ops = Array.from({ length: 80 }, (_, k) => operation(file * 80 + k));
    writeFileSync(join(dir, 'ops', `part-${file}.graphql`), `${ops.join('\n')}\n`);
  }
  const operations = Array.from({ length: 200 }, (_, k) => {
    const i = 800 + k;
    return { id: `sha-${i}`, name: null, type: 'query', body: withFragments(operation(i)) };
  });
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations }),
  );
  return dir;
}

/** The operation and the fragments it spreads (directly or through another), as a persisted body. */
function withFragments(op: string): string {
  const fragments = FRAGMENTS.split('\n').filter(Boolean);
  const used: string[] = [];
  let text = op;
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of fragments) {
      if (!used.includes(f) && text.includes(`...${f.split(' ')[1]}`)) {
        used.push(f);
        text += `\n${f}`;
        changed = true;
      }
    }
  }
  return text;
}

/** CPU time (user + system, ms) of the waited-for children of this process, from /proc (Linux; else NaN). */
function childrenCpuMs(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
    // cutime and cstime are fields 16 and 17 of stat(5), in clock ticks (100 per second)
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return Number.NaN;
  }
}

function time(args: string[]): { ms: number; cpuMs: number; stdout: string } {
  const cpuBefore = childrenCpuMs();
  const start = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return { ms, cpuMs: childrenCpuMs() - cpuBefore, stdout: r.stdout };
}

function readLoad(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

const dir = corpus();
try {
  const args = [
    'analyze',
    '--schema',
    schema,
    join(dir, 'ops'),
    join(dir, 'manifest.json'),
    '--variable-bounds',
    'first<=100',
  ];
  const times: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const r = time([...args, '--json']);
    const report = JSON.parse(r.stdout) as { summary: Record<string, number> };
    if (report.summary.operations !== 1000)
      throw new Error(`analysed ${report.summary.operations} operations, not 1000`);
    if (round === 0) console.log('summary', JSON.stringify(report.summary));
    times.push(r.ms);
    cpu.push(r.cpuMs);
  }
  const table = time(args).ms;
  const load = readLoad();
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const show = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    `1,000 operations, one process, --json (${rounds} runs): min ${show(times[0] as number)}, median ${show(times[Math.floor(rounds / 2)] as number)}, max ${show(times[rounds - 1] as number)}`,
  );
  console.log(`  CPU (user + system) of the process: median ${show(cpu[Math.floor(rounds / 2)] as number)}`);
  console.log(`  load average (1, 5, 15 min) after the runs: ${load}`);
  console.log(`1,000 operations, one process, table: ${show(table)}`);
  writeFileSync(join(dir, 'one.graphql'), `${operation(1)}\n${FRAGMENTS}`);
  const single: number[] = [];
  for (let k = 0; k < 10; k++)
    single.push(time(['analyze', '--schema', schema, join(dir, 'one.graphql'), '--operation-name', 'Orders1']).ms);
  const perProcess = single.reduce((a, b) => a + b, 0) / single.length;
  console.log(`one process per operation: ${show(perProcess)} each, so ~${show(perProcess * 1000)} for 1,000`);
  const median = times[Math.floor(rounds / 2)] as number;
  console.log(`goal < 5 s: ${median < 5000 ? 'met' : 'NOT met'} (median ${show(median)})`);
} finally {
  if (process.env.KEEP) console.log(`corpus kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
