// Server CPU time per request over HTTP: the same servers as http.ts (rate-limit/server.ts, child
// processes), each sent a fixed number of requests with autocannon; the server process's own CPU time
// (utime + stime from /proc/<pid>/stat) is divided by the requests. CPU time, unlike req/s, does not
// depend on what else the shared machine is doing. Interleaved rounds, median per server.
// Usage: node --conditions=source --import tsx rate-limit/cpu.ts  [ROUNDS=7 REQUESTS=20000 MODES=bare,memory,memory-informative]
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { compiled, startServer } from './spawn.js';

const rounds = Number(process.env.ROUNDS ?? 7);
const requests = Number(process.env.REQUESTS ?? 20000);
const query = '{ product(id: "prod-7") { id name price { amount currency } stock } }';
const modes = (process.env.MODES ?? 'bare,memory,memory-informative').split(',');
const TICK_US = 1e6 / 100; // USER_HZ

function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_US; // utime, stime (fields 14, 15)
}

async function load(url: string, amount: number): Promise<void> {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-client': 'bench' },
    body: JSON.stringify({ query }),
    connections: 10,
    amount,
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
}

const servers = Object.fromEntries(await Promise.all(modes.map(async (m) => [m, await startServer(m)] as const)));
const results: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
const client: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
try {
  for (const m of modes) await load(servers[m]!.url, 5000); // warm up
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? modes : [...modes].reverse();
    for (const m of order) {
      const pid = servers[m]!.child.pid!;
      const before = cpuUs(pid);
      const c = process.cpuUsage();
      await load(servers[m]!.url, requests);
      results[m]!.push((cpuUs(pid) - before) / requests);
      const dc = process.cpuUsage(c);
      client[m]!.push((dc.user + dc.system) / requests);
    }
  }
} finally {
  for (const s of Object.values(servers)) s.child.kill('SIGTERM');
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const bare = median(results.bare!);
// per round, each server's CPU relative to the bare server's in the same round, then the median
const ratio = (m: string) => median(results[m]!.map((us, i) => results.bare![i]! / us));
const bareClient = median(client.bare!);
console.log('| server | server CPU µs/request | added µs | bare/server (median of rounds) | client CPU µs/request |');
console.log('|---|---:|---:|---:|---:|');
for (const m of modes) {
  const us = median(results[m]!);
  console.log(
    `| ${m.split('@')[0]}${m.includes('@') ? ' (before)' : ''} | ${us.toFixed(1)} | ${(us - bare).toFixed(1)} | ${ratio(m).toFixed(3)} | ${median(client[m]!).toFixed(1)} (${(median(client[m]!) - bareClient).toFixed(1)}) |`,
  );
}
if (process.env.VERBOSE) for (const m of modes) console.log(m, results[m]!.map((x) => x.toFixed(1)).join(' '));
console.log(
  `\n(${rounds} interleaved rounds of ${requests} requests, 10 connections, median per server; NODE_ENV=production; ${compiled ? 'servers compiled to JavaScript, plain node' : 'servers on the TypeScript sources through tsx'})`,
);
