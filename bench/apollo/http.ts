// HTTP benchmark (autocannon): bare Apollo Server vs Apollo + rampart() on the shop's typical queries.
// Servers run in child processes; the load generator runs here. Runs are interleaved (bare, rampart,
// bare, rampart, …) so drift on a shared machine hits both alike; the ratio is what counts.
// Usage: pnpm bench:apollo-http  [ROUNDS=3 DURATION=5 CONNECTIONS=10 QUERIES=small,list1000 MODES=bare,preset,rampart PIN=1]
// The servers run the compiled packages (dist/, as in production; the script builds first): through
// tsx, every function expression of the TypeScript sources gets a runtime name-keeping helper call.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import autocannon from 'autocannon';

const rounds = Number(process.env.ROUNDS ?? 3);
const duration = Number(process.env.DURATION ?? 5);
const connections = Number(process.env.CONNECTIONS ?? 10);
const pin = process.env.PIN === '1';

const allQueries = {
  small: '{ product(id: "prod-7") { id name price { amount currency } stock } }',
  list1000: '{ products(first: 1000) { id sku name price { amount currency } stock } }',
};
// QUERIES=small runs only the small query; MODES=bare,preset only those servers
const queries = Object.fromEntries(
  Object.entries(allQueries).filter(([k]) => (process.env.QUERIES ?? 'small,list1000').split(',').includes(k)),
);

async function start(mode: string): Promise<{ url: string; child: ChildProcess }> {
  const args = ['--import', 'tsx', new URL('./shop-server.ts', import.meta.url).pathname, mode];
  // PIN=1: every server on CPU 1 (run this script under `taskset -c 0`): one core each for the load
  // generator and the server under load, so the scheduler does not add its own noise
  const child = spawn(pin ? 'taskset' : process.execPath, pin ? ['-c', '1', process.execPath, ...args] : args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `${chunk.toString().trim().replace(/\/$/, '')}/graphql`, child };
}

async function load(url: string, query: string, seconds: number): Promise<number> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
    connections,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

// MODES: servers to compare (shop-server.ts modes; the first is the reference), default bare,preset,rampart
const modes = (process.env.MODES ?? 'bare,preset,rampart').split(',');
const labels: Record<string, string> = {
  bare: 'bare Apollo',
  preset: '`rampart()` defaults',
  rampart: 'the shop as recommended',
};
const servers: Record<string, { url: string; child: ChildProcess }> = {};
for (const m of modes) servers[m] = await start(m);
const results: Record<string, Record<string, number[]>> = {};
try {
  for (const [name, query] of Object.entries(queries)) {
    results[name] = Object.fromEntries(modes.map((m) => [m, []]));
    for (const m of modes) await load(servers[m]!.url, query, 1); // warm up
    for (let r = 0; r < rounds; r++) {
      // alternate which side goes first, so neither always runs on a warmer or quieter machine
      const order = r % 2 === 0 ? modes : [...modes].reverse();
      for (const m of order) results[name]![m]!.push(await load(servers[m]!.url, query, duration));
    }
  }
} finally {
  for (const s of Object.values(servers)) s.child.kill('SIGTERM');
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const [ref, ...others] = modes as [string, ...string[]];
const label = (m: string) => labels[m] ?? m;
console.log(
  `| query | ${label(ref)} req/s | ${others.map((m) => `${label(m)} req/s | ratio (median of rounds) | range of rounds`).join(' | ')} |`,
);
console.log(`|---|---:|${others.map(() => '---:|---:|---:').join('|')}|`);
for (const [name, r] of Object.entries(results)) {
  const cells = others.map((m) => {
    // each round's ratio to the reference measured next to it, then the median of those
    const ratios = r[m]!.map((x, i) => x / r[ref]![i]!).sort((a, b) => a - b);
    return `${median(r[m]!).toFixed(0)} | ${median(ratios).toFixed(3)} | ${ratios[0]!.toFixed(2)}–${ratios.at(-1)!.toFixed(2)}`;
  });
  console.log(`| ${name} | ${median(r[ref]!).toFixed(0)} | ${cells.join(' | ')} |`);
}
console.log(
  `\n(${rounds} interleaved rounds of ${duration} s, ${connections} connections; NODE_ENV=production${pin ? '; servers pinned to CPU 1, load generator to CPU 0' : ''})`,
);
