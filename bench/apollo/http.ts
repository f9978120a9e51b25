// HTTP benchmark (autocannon): bare Apollo Server vs Apollo + rampart() on the shop's typical queries.
// Servers run in child processes; the load generator runs here. Runs are interleaved (bare, rampart,
// bare, rampart, …) so drift on a shared machine hits both alike; the ratio is what counts.
// Usage: pnpm bench:apollo-http  [ROUNDS=3 DURATION=5 CONNECTIONS=10 QUERIES=small,list1000 MODES=bare,preset,rampart PIN=1 CONCURRENT=1]
// A mode `preset@<dir>` runs that mode from another built checkout (e.g. a worktree of the base commit).
// The servers run the compiled packages (dist/, as in production; the script builds first): through
// tsx, every function expression of the TypeScript sources gets a runtime name-keeping helper call.
import { resolve } from 'node:path';
import {
  load as loadFor,
  measure as measureOn,
  median,
  ratioCells,
  type ServerProcess,
  startServer,
} from '../lib/http-load.js';

const rounds = Number(process.env.ROUNDS ?? 3);
const duration = Number(process.env.DURATION ?? 5);
const connections = Number(process.env.CONNECTIONS ?? 10);
const pin = process.env.PIN === '1';
// CONCURRENT=1: the servers are loaded at the same time (with PIN=1, sharing CPU 1) instead of in turn
const concurrent = process.env.CONCURRENT === '1';

const allQueries = {
  small: '{ product(id: "prod-7") { id name price { amount currency } stock } }',
  list1000: '{ products(first: 1000) { id sku name price { amount currency } stock } }',
};
// QUERIES=small runs only the small query; MODES=bare,preset only those servers
const queries = Object.fromEntries(
  Object.entries(allQueries).filter(([k]) => (process.env.QUERIES ?? 'small,list1000').split(',').includes(k)),
);

/**
 * A mode is a shop-server.ts mode, optionally `@<checkout>`: `preset@../base` runs the preset of another
 * checkout of this repository (installed and built), so a change is compared with its base in one run.
 */
async function start(spec: string): Promise<ServerProcess> {
  const at = spec.indexOf('@');
  const mode = at === -1 ? spec : spec.slice(0, at);
  const script =
    at === -1
      ? new URL('./shop-server.ts', import.meta.url).pathname
      : resolve(process.env.INIT_CWD ?? process.cwd(), spec.slice(at + 1), 'bench/apollo/shop-server.ts');
  // PIN=1: every server on CPU 1 (run this script under `taskset -c 0`)
  return startServer(script, [mode], pin);
}

/** Requests/s, and requests per CPU-second of the server, over one load of `seconds`. */
async function measure(m: string, query: string, seconds: number): Promise<[number, number]> {
  const { rate, perCpu } = await measureOn(servers[m]!, query, seconds, connections);
  return [rate, perCpu];
}

const load = (url: string, query: string, seconds: number) => loadFor(url, query, seconds, connections);

// MODES: servers to compare (shop-server.ts modes; the first is the reference), default bare,preset,rampart
const modes = (process.env.MODES ?? 'bare,preset,rampart').split(',');
const labels: Record<string, string> = {
  bare: 'bare Apollo',
  preset: '`rampart()` defaults',
  rampart: 'the shop as recommended',
};
const servers: Record<string, ServerProcess> = {};
for (const m of modes) servers[m] = await start(m);
const results: Record<string, Record<string, number[]>> = {};
const perCpu: Record<string, Record<string, number[]>> = {};
try {
  for (const [name, query] of Object.entries(queries)) {
    results[name] = Object.fromEntries(modes.map((m) => [m, []]));
    perCpu[name] = Object.fromEntries(modes.map((m) => [m, []]));
    const record = (m: string, [rate, cpu]: [number, number]) => {
      results[name]![m]!.push(rate);
      perCpu[name]![m]!.push(cpu);
    };
    for (const m of modes) await load(servers[m]!.url, query, 1); // warm up
    for (let r = 0; r < rounds; r++) {
      if (concurrent) {
        // every server under load at the same time, all on one core: the machine's drift and its
        // neighbours' bursts hit every server in the same seconds
        const figures = await Promise.all(modes.map((m) => measure(m, query, duration)));
        for (const [i, m] of modes.entries()) record(m, figures[i]!);
        continue;
      }
      // alternate which side goes first, so neither always runs on a warmer or quieter machine
      const order = r % 2 === 0 ? modes : [...modes].reverse();
      for (const m of order) record(m, await measure(m, query, duration));
    }
  }
} finally {
  for (const s of Object.values(servers)) s.child.kill('SIGTERM');
}
const [ref, ...others] = modes as [string, ...string[]];
const label = (m: string) => labels[m] ?? m;
const ratio = ratioCells;
console.log(
  `| query | ${label(ref)} req/s | ${others.map((m) => `${label(m)} req/s | ratio (median of rounds) | range of rounds | per CPU-second: ratio | range`).join(' | ')} |`,
);
console.log(`|---|---:|${others.map(() => '---:|---:|---:|---:|---:').join('|')}|`);
for (const [name, r] of Object.entries(results)) {
  const c = perCpu[name]!;
  const cells = others.map((m) => `${median(r[m]!).toFixed(0)} | ${ratio(r[m]!, r[ref]!)} | ${ratio(c[m]!, c[ref]!)}`);
  console.log(`| ${name} | ${median(r[ref]!).toFixed(0)} | ${cells.join(' | ')} |`);
}
console.log(
  `\n(${rounds} ${concurrent ? 'concurrent' : 'interleaved'} rounds of ${duration} s, ${connections} connections; NODE_ENV=production${pin ? '; servers pinned to CPU 1, load generator to CPU 0' : ''}; per CPU-second: requests per second of the server's CPU time, all threads)`,
);
