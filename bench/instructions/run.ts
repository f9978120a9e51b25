// Instructions per request, counted by valgrind's callgrind: a figure that does not move with the
// machine's load (requests/s on this shared 2-core machine move by ±5 % between runs, more while other
// work runs). Each server of bench/apollo/shop-server.ts runs under callgrind; after a warm-up, the
// counters are zeroed, REQUESTS requests are sent one after another, and the counters dumped: the
// instructions the server executed for them (its JIT, GC and HTTP included), divided by REQUESTS.
// Usage: pnpm bench:instructions  [MODES=bare,preset,preset@<checkout> QUERY=small WARMUP=600 REQUESTS=200 REPEAT=1]
// SERVER=stack: the servers of bench/stack (modes bare, peers, rampart, rampart:noaudit, …; queries small,
// list100, orders1000), every request with bench/stack's bearer token.
// Needs valgrind (Debian package `valgrind`). Under callgrind a server answers about 10 requests/s: a
// run takes a few minutes per mode and repeat.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { benchQueries } from '../stack/schema.js';
import { prepareBenchToken } from '../stack/token.js';

const stack = process.env.SERVER === 'stack';
const queries: Record<string, string> = stack
  ? benchQueries
  : {
      small: '{ product(id: "prod-7") { id name price { amount currency } stock } }',
      list100: '{ products(first: 100) { id sku name price { amount currency } stock } }',
    };
const query = queries[process.env.QUERY ?? 'small'] ?? process.env.QUERY!;
const headers: Record<string, string> = { 'content-type': 'application/json' };
if (stack) headers.authorization = `Bearer ${await prepareBenchToken()}`;
const warmup = Number(process.env.WARMUP ?? 600);
const requests = Number(process.env.REQUESTS ?? 200);
const repeat = Number(process.env.REPEAT ?? 1);
const modes = (process.env.MODES ?? 'bare,preset').split(',');

/** The server script of a mode spec (`preset`, or `preset@<checkout>` for another built checkout). */
function scriptOf(spec: string): { mode: string; script: string } {
  const server = stack ? 'stack/server.ts' : 'apollo/shop-server.ts';
  const at = spec.indexOf('@');
  if (at === -1) return { mode: spec, script: new URL(`../${server}`, import.meta.url).pathname };
  const checkout = resolve(process.env.INIT_CWD ?? process.cwd(), spec.slice(at + 1));
  return { mode: spec.slice(0, at), script: join(checkout, 'bench', server) };
}

/** Starts a server under callgrind; resolves with its URL once it listens. */
async function start(spec: string, dir: string): Promise<{ url: string; child: ChildProcess }> {
  const { mode, script } = scriptOf(spec);
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${join(dir, 'callgrind.%p')}`,
      // the JIT's background threads and the GC's helpers run on the main thread: one order of events
      process.execPath,
      '--single-threaded',
      '--import',
      'tsx',
      script,
      mode,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `${chunk.toString().trim().replace(/\/$/, '')}/graphql`, child };
}

/** Sends `count` requests one after another; fails on any answer that is not a 200 with data. */
async function send(url: string, count: number): Promise<void> {
  const body = JSON.stringify({ query });
  for (let i = 0; i < count; i++) {
    const res = await fetch(url, { method: 'POST', headers, body });
    const json = (await res.json()) as { data?: unknown; errors?: unknown };
    if (res.status !== 200 || json.errors) throw new Error(`${res.status} ${JSON.stringify(json).slice(0, 300)}`);
  }
}

/** The instructions of the last dump callgrind wrote in `dir` (its `summary:` line). */
function lastDumpTotal(dir: string): number {
  const dumps = readdirSync(dir)
    .filter((f) => /^callgrind\.\d+\.\d+$/.test(f))
    .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  const text = readFileSync(join(dir, dumps.at(-1)!), 'utf8');
  const m = /^summary:\s+(\d+)/m.exec(text) ?? /^totals:\s+(\d+)/m.exec(text);
  if (!m) throw new Error(`no summary in ${dumps.at(-1)}`);
  return Number(m[1]);
}

/** Instructions per request of one mode, measured once. */
async function measure(spec: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-callgrind-'));
  const { url, child } = await start(spec, dir);
  try {
    await send(url, warmup);
    execFileSync('callgrind_control', ['-z', String(child.pid)], { stdio: 'ignore' });
    await send(url, requests);
    execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
    return lastDumpTotal(dir) / requests;
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const figures: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
for (let r = 0; r < repeat; r++) {
  for (const m of modes) figures[m]!.push(await measure(m));
}
const first = figures[modes[0]!]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`| mode | instructions per request | range | ratio to ${modes[0]} |`);
console.log('|---|---:|---:|---:|');
for (const m of modes) {
  const xs = figures[m]!;
  const range = `${Math.round(Math.min(...xs)).toLocaleString('en')}–${Math.round(Math.max(...xs)).toLocaleString('en')}`;
  console.log(
    `| ${m} | ${Math.round(mean(xs)).toLocaleString('en')} | ${range} | ${(mean(xs) / mean(first)).toFixed(3)} |`,
  );
}
console.log(
  `\n(${query.length > 60 ? `${query.slice(0, 57)}…` : query}; ${warmup} warm-up requests, then ${requests} counted, one at a time; ${repeat} repeat(s); node --single-threaded under valgrind --tool=callgrind)`,
);
