// Per-operation cost of the operation-level policies, in-process (ApolloServer.executeOperation, no
// HTTP, so the figure is not drowned in socket noise): the HTTP benchmark's small query with no rate
// limit, then with the operation limit, the cost budget, a monthly quota, and all three, on the memory
// store (with and without the RateLimit headers and extensions.cost) and (all three) on Redis.
// Each operation gets a fresh SecurityState and principal, as rampart()'s context does. The figure is
// the process's CPU time (process.cpuUsage, GC included) per operation; interleaved rounds, median.
// Usage: node --conditions=source --import tsx rate-limit/operation.ts  [ROUNDS=9 N=3000 REDIS=1 VARIANTS=all,headers BEFORE=path WALL=1 PCT=10]
import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { attachSecurityState, createPrincipal, SecurityState } from '@rampart/core';
import { type RateLimitOptions, rateLimitModule, redisStore } from '@rampart/rate-limit';

const rounds = Number(process.env.ROUNDS ?? 9);
const n = Number(process.env.N ?? 3000);
const withRedis = process.env.REDIS !== '0';
const typeDefs = /* GraphQL */ `
  type Price { amount: Int! currency: String! }
  type Product { id: ID! name: String! price: Price! stock: Int! }
  type Query { product(id: ID!): Product }
`;
const resolvers = {
  Query: {
    product: (_: unknown, a: { id: string }) => ({
      id: a.id,
      name: 'P',
      price: { amount: 100, currency: 'EUR' },
      stock: 3,
    }),
  },
};
const query = '{ product(id: "prod-7") { id name price { amount currency } stock } }';
const big = 1_000_000_000;
const operation = { limit: big, duration: 60 };
const costBudget = { maximumAvailable: big, restoreRate: 1_000_000 };
const quotas = [{ name: 'monthly', period: 'month' as const, limit: big }];
const informative = { headers: true, costBudget: { ...costBudget, exposeExtension: true } };
const redis = withRedis ? redisStore(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') : undefined;
await redis?.ready();
const all: Record<string, Partial<RateLimitOptions> | undefined> = {
  'no rate limit': undefined,
  'operation limit (memory)': { operation },
  'cost budget (memory)': { costBudget },
  'monthly quota (memory)': { quotas },
  'all three (memory)': { operation, costBudget, quotas },
  'all three (memory), with headers/extension': { operation, quotas, ...informative },
  ...(redis
    ? { 'all three (redis)': { operation, costBudget, quotas, store: redis, prefix: 'rampart:bench-op:' } }
    : {}),
};
// VARIANTS=a,b (substrings of the names) runs a subset; 'no rate limit' is always included.
const pick = process.env.VARIANTS?.split(',');
const variants = Object.fromEntries(
  Object.entries(all).filter(([k]) => k === 'no rate limit' || !pick || pick.some((p) => k.includes(p))),
);
// BEFORE=<path to a previous version's src/index.ts>: adds that version with all three policies
const before = process.env.BEFORE
  ? ((await import(process.env.BEFORE)) as typeof import('@rampart/rate-limit'))
  : undefined;
if (before) variants['all three (memory), before'] = { operation, costBudget, quotas };
const servers: Record<string, ApolloServer> = {};
for (const [name, options] of Object.entries(variants)) {
  let schema = makeExecutableSchema({ typeDefs, resolvers });
  const plugins = [];
  if (options) {
    const module = name.endsWith(', before') ? before!.rateLimitModule : rateLimitModule;
    const m = module(options);
    schema = m.transformSchema!(makeExecutableSchema({ typeDefs: [m.typeDefs!, typeDefs], resolvers }));
    plugins.push(...m.plugins!);
  }
  const s = new ApolloServer({ schema, plugins });
  await s.start();
  servers[name] = s;
}
async function time(s: ApolloServer, count: number): Promise<number> {
  const t = process.cpuUsage();
  const w = performance.now();
  for (let i = 0; i < count; i++) {
    const contextValue = {};
    const principal = createPrincipal({
      id: 'bench',
      kind: 'service',
      clientId: 'bench',
      authMethod: 'api-key',
      ip: '127.0.0.1',
    });
    attachSecurityState(contextValue, new SecurityState({ principal }));
    const r = await s.executeOperation({ query }, { contextValue });
    if (r.body.kind !== 'single' || r.body.singleResult.errors) throw new Error('unexpected errors');
  }
  const d = process.cpuUsage(t);
  // WALL=1: wall time (with many short rounds, a low percentile is a batch nobody interrupted)
  if (process.env.WALL) return ((performance.now() - w) * 1000) / count;
  return (d.user + d.system) / count;
}
const runs: Record<string, number[]> = Object.fromEntries(Object.keys(servers).map((k) => [k, []]));
for (const s of Object.values(servers)) await time(s, 1000);
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? Object.keys(servers) : Object.keys(servers).reverse();
  for (const name of order) runs[name]!.push(await time(servers[name]!, n));
}
// PCT=50 (median) by default; PCT=10 takes the 10th percentile (the rounds least disturbed by other load)
const pct = Number(process.env.PCT ?? 50) / 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * pct)]!;
const bare = median(runs['no rate limit']!);
console.log(`| variant | ${process.env.WALL ? 'wall' : 'CPU'} µs per operation | added µs | ratio |`);
console.log('|---|---:|---:|---:|');
for (const name of Object.keys(servers)) {
  const us = median(runs[name]!);
  console.log(`| ${name} | ${us.toFixed(1)} | ${(us - bare).toFixed(1)} | ${(bare / us).toFixed(3)} |`);
}
console.log(
  `\n(${rounds} interleaved rounds of ${n} sequential operations; ${process.env.WALL ? 'wall' : 'process CPU'} time, ${pct === 0.5 ? 'median' : `${pct * 100}th percentile`} per variant)`,
);
if (redis) {
  const keys = await redis.client.keys('rampart:bench-op:*');
  if (keys.length) await redis.client.del(...keys);
}
for (const s of Object.values(servers)) await s.stop(); // also closes the Redis store
