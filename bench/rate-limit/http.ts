// HTTP benchmark (autocannon): the small query with no rate limit, with the memory store and with the
// Redis store (operation limit + cost budget + monthly quota, all admitting). Servers run in child
// processes; rounds are interleaved and the median per side is reported. Also counts Redis round
// trips per operation with INFO commandstats.
// Usage: node --conditions=source --import tsx bench/rate-limit/http.ts  [ROUNDS=3 DURATION=5 CONNECTIONS=10 MODES=bare,memory,memory-informative,redis]
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { compiled, startServer } from './spawn.js';

const rounds = Number(process.env.ROUNDS ?? 3);
const duration = Number(process.env.DURATION ?? 5);
const connections = Number(process.env.CONNECTIONS ?? 10);
const query = '{ product(id: "prod-7") { id name price { amount currency } stock } }';
const modes = (process.env.MODES ?? 'bare,memory,memory-informative,redis').split(',');

async function load(url: string, seconds: number): Promise<number> {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-client': 'bench' },
    body: JSON.stringify({ query }),
    connections,
    duration: seconds,
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r.requests.average;
}

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const servers = Object.fromEntries(await Promise.all(modes.map(async (m) => [m, await startServer(m)] as const)));
const results: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
let roundTrips = 0;
const scriptCommands: string[] = [];
try {
  for (const m of modes) await load(servers[m]!.url, 1); // warm up
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? modes : [...modes].reverse();
    for (const m of order) results[m]!.push(await load(servers[m]!.url, duration));
  }
  // round trips: 100 sequential operations on the Redis server (after the load's last requests drained)
  await new Promise((r) => setTimeout(r, 1000));
  await redis.config('RESETSTAT');
  for (let i = 0; i < 100; i++) {
    if (!servers.redis) break;
    await fetch(servers.redis.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-client': 'rt' },
      body: JSON.stringify({ query }),
    });
  }
  const stats = await redis.info('commandstats');
  // Commands run inside a Lua script are listed too; the round trips are the EVALSHA/EVAL calls.
  for (const m of stats.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) {
    if (m[1] === 'evalsha' || m[1] === 'eval') roundTrips += Number(m[2]);
    else if (m[1] !== 'info' && m[1] !== 'config') scriptCommands.push(`${m[1]} ${Number(m[2]) / 100}`);
  }
} finally {
  for (const s of Object.values(servers)) s.child.kill('SIGTERM');
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'rampart:bench:*', 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const bare = median(results.bare!);
// Also the median of the per-round ratios (each round runs every server back to back, so a round's
// ratio is less exposed to the machine's load drifting between rounds).
const roundRatio = (m: string) => median(results[m]!.map((x, i) => x / results.bare![i]!));
console.log('| server | req/s | ratio to no rate limit | median of per-round ratios |');
console.log('|---|---:|---:|---:|');
// a mode `memory@<path>` is the same server with the rate-limit package loaded from <path> (a previous version)
const label = (m: string) => (m.includes('@') ? `${m.split('@')[0]} (before)` : m);
for (const m of modes)
  console.log(
    `| ${label(m)} | ${median(results[m]!).toFixed(0)} | ${(median(results[m]!) / bare).toFixed(3)} | ${roundRatio(m).toFixed(3)} |`,
  );
if (process.env.VERBOSE) for (const m of modes) console.log(label(m), results[m]!.map((x) => x.toFixed(0)).join(' '));
console.log(
  `\nRedis round trips (EVALSHA/EVAL) per operation, INFO commandstats over 100 operations: ${(roundTrips / 100).toFixed(2)}`,
);
console.log(`Commands inside the script, per operation: ${scriptCommands.join(', ')}`);
console.log(
  `(${rounds} interleaved rounds of ${duration} s, ${connections} connections, median per side; NODE_ENV=production; ${compiled ? 'servers compiled to JavaScript, plain node' : 'servers on the TypeScript sources through tsx'})`,
);
