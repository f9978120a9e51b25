// Server CPU time per request over HTTP for the shop servers of http.ts (apollo/shop-server.ts, child
// processes): each is sent a fixed number of small-query requests with autocannon, and the server
// process's own CPU time (utime + stime from /proc/<pid>/stat) is divided by the requests. Unlike
// req/s, CPU time hardly depends on what else the shared machine does, so it shows where the preset's
// overhead goes. Interleaved rounds, median per server; ratios are per round against `bare`.
// Usage: node --conditions=source --import tsx apollo/cpu.ts  [ROUNDS=7 REQUESTS=20000 MODES=bare,preset PARALLEL=1]
//   PARALLEL=1 loads all servers at once in each round (each gets REQUESTS), instead of one after another
//   modes: bare, bare:nocache, preset, preset:nodeadline|nolimits|keepcache|nomask, rampart
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const rounds = Number(process.env.ROUNDS ?? 7);
const requests = Number(process.env.REQUESTS ?? 20000);
const modes = (process.env.MODES ?? 'bare,preset').split(',');
const parallel = process.env.PARALLEL === '1';
const query = '{ product(id: "prod-7") { id name price { amount currency } stock } }';
const TICK_US = 1e6 / 100; // USER_HZ

function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_US; // utime, stime (fields 14, 15)
}

async function start(mode: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./shop-server.ts', import.meta.url).pathname, mode],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `${chunk.toString().trim().replace(/\/$/, '')}/graphql`, child };
}

async function load(url: string, amount: number): Promise<void> {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
    connections: 10,
    amount,
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
}

const servers: Record<string, { url: string; child: ChildProcess }> = {};
for (const m of modes) servers[m] = await start(m);
const results: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
try {
  for (const m of modes) await load(servers[m]!.url, 5000); // warm up
  for (let r = 0; r < rounds; r++) {
    if (parallel) {
      // every server under the same load at the same time: the machine's drift hits all alike
      const before = modes.map((m) => cpuUs(servers[m]!.child.pid!));
      await Promise.all(modes.map((m) => load(servers[m]!.url, requests)));
      for (const [i, m] of modes.entries()) results[m]!.push((cpuUs(servers[m]!.child.pid!) - before[i]!) / requests);
      continue;
    }
    const order = r % 2 === 0 ? modes : [...modes].reverse();
    for (const m of order) {
      const pid = servers[m]!.child.pid!;
      const before = cpuUs(pid);
      await load(servers[m]!.url, requests);
      results[m]!.push((cpuUs(pid) - before) / requests);
    }
  }
} finally {
  for (const s of Object.values(servers)) s.child.kill('SIGTERM');
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = modes[0]!;
const bare = median(results[base]!);
const ratio = (m: string) => median(results[m]!.map((us, i) => results[base]![i]! / us));
console.log(`| server | CPU µs/request | added µs | ${base}/server (median of rounds) |`);
console.log('|---|---:|---:|---:|');
for (const m of modes) {
  const us = median(results[m]!);
  console.log(`| ${m} | ${us.toFixed(1)} | ${(us - bare).toFixed(1)} | ${ratio(m).toFixed(3)} |`);
}
if (process.env.VERBOSE) for (const m of modes) console.log(m, results[m]!.map((x) => x.toFixed(1)).join(' '));
console.log(
  `\n(${rounds} interleaved rounds of ${requests} requests, 10 connections, median per server; NODE_ENV=production)`,
);
