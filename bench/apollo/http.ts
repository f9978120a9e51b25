// HTTP benchmark (autocannon): bare Apollo Server vs Apollo + rampart() on the shop's typical queries.
// Servers run in child processes; the load generator runs here. Runs are interleaved (bare, rampart,
// bare, rampart, …) so drift on a shared machine hits both alike; the ratio is what counts.
// Usage: pnpm bench:apollo-http  [ROUNDS=3 DURATION=5 CONNECTIONS=10]
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import autocannon from 'autocannon';

const rounds = Number(process.env.ROUNDS ?? 3);
const duration = Number(process.env.DURATION ?? 5);
const connections = Number(process.env.CONNECTIONS ?? 10);

const queries = {
  small: '{ product(id: "prod-7") { id name price { amount currency } stock } }',
  list1000: '{ products(first: 1000) { id sku name price { amount currency } stock } }',
};

async function start(mode: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', new URL('./shop-server.ts', import.meta.url).pathname, mode],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
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

const servers = { bare: await start('bare'), preset: await start('preset'), rampart: await start('rampart') };
const results: Record<string, Record<string, number[]>> = {};
try {
  for (const [name, query] of Object.entries(queries)) {
    results[name] = { bare: [], preset: [], rampart: [] };
    for (const s of Object.values(servers)) await load(s.url, query, 1); // warm up
    for (let r = 0; r < rounds; r++) {
      // alternate which side goes first, so neither always runs on a warmer or quieter machine
      const order = r % 2 === 0 ? (['bare', 'preset', 'rampart'] as const) : (['rampart', 'preset', 'bare'] as const);
      for (const mode of order) {
        results[name]![mode]!.push(await load(servers[mode].url, query, duration));
      }
    }
  }
} finally {
  for (const s of Object.values(servers)) s.child.kill('SIGTERM');
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log('| query | bare Apollo req/s | rampart() defaults req/s | ratio | the shop as recommended req/s | ratio |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [name, r] of Object.entries(results)) {
  const b = median(r.bare!);
  const p = median(r.preset!);
  const m = median(r.rampart!);
  console.log(
    `| ${name} | ${b.toFixed(0)} | ${p.toFixed(0)} | ${(p / b).toFixed(3)} | ${m.toFixed(0)} | ${(m / b).toFixed(3)} |`,
  );
}
console.log(
  `\n(${rounds} interleaved rounds of ${duration} s, ${connections} connections, median per side; NODE_ENV=production)`,
);
