// Per-operation cost of the operation-level policies, in-process (ApolloServer.executeOperation, no
// HTTP, so the figure is not drowned in socket noise): a small query with no rate limit, then with the
// operation limit, the cost budget, a monthly quota, and all three, on the memory store and (all three)
// on Redis. Interleaved rounds; best (min) per variant.
// Usage: node --conditions=source --import tsx bench/rate-limit/operation.ts  [ROUNDS=7 N=3000]
import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { attachSecurityState, createPrincipal, SecurityState } from '@rampart/core';
import { type RateLimitOptions, rateLimitModule, redisStore } from '@rampart/rate-limit';

const rounds = Number(process.env.ROUNDS ?? 7);
const n = Number(process.env.N ?? 3000);
const typeDefs = 'type Product { id: ID! name: String! stock: Int! } type Query { product(id: ID!): Product }';
const resolvers = { Query: { product: (_: unknown, a: { id: string }) => ({ id: a.id, name: 'P', stock: 3 }) } };
const query = '{ product(id: "prod-7") { id name stock } }';
const big = 1_000_000_000;
const operation = { limit: big, duration: 60 };
const costBudget = { maximumAvailable: big, restoreRate: 1_000_000 };
const quotas = [{ name: 'monthly', period: 'month' as const, limit: big }];
const redis = redisStore(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
await redis.ready();
const variants: Record<string, Partial<RateLimitOptions> | undefined> = {
  'no rate limit': undefined,
  'operation limit (memory)': { operation },
  'cost budget (memory)': { costBudget },
  'monthly quota (memory)': { quotas },
  'all three (memory)': { operation, costBudget, quotas },
  'all three (redis)': { operation, costBudget, quotas, store: redis, prefix: 'rampart:bench-op:' },
};
const servers: Record<string, ApolloServer> = {};
for (const [name, options] of Object.entries(variants)) {
  let schema = makeExecutableSchema({ typeDefs, resolvers });
  const plugins = [];
  if (options) {
    const m = rateLimitModule(options);
    schema = m.transformSchema!(makeExecutableSchema({ typeDefs: [m.typeDefs!, typeDefs], resolvers }));
    plugins.push(...m.plugins!);
  }
  const s = new ApolloServer({ schema, plugins });
  await s.start();
  servers[name] = s;
}
const principal = createPrincipal({ id: 'bench', kind: 'service', clientId: 'bench', authMethod: 'api-key' });
async function time(s: ApolloServer, count: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < count; i++) {
    const contextValue = {};
    attachSecurityState(contextValue, new SecurityState({ principal }));
    const r = await s.executeOperation({ query }, { contextValue });
    if (r.body.kind !== 'single' || r.body.singleResult.errors) throw new Error('unexpected errors');
  }
  return ((performance.now() - t) / count) * 1000;
}
const best: Record<string, number> = {};
for (const s of Object.values(servers)) await time(s, 500);
for (let r = 0; r < rounds; r++) {
  for (const [name, s] of Object.entries(servers)) {
    best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, await time(s, n));
  }
}
const bare = best['no rate limit']!;
console.log('| variant | µs per operation | added µs |');
console.log('|---|---:|---:|');
for (const [name, us] of Object.entries(best))
  console.log(`| ${name} | ${us.toFixed(1)} | ${(us - bare).toFixed(1)} |`);
console.log(`\n(${rounds} interleaved rounds of ${n} sequential operations; best per variant)`);
const keys = await redis.client.keys('rampart:bench-op:*');
if (keys.length) await redis.client.del(...keys);
for (const s of Object.values(servers)) await s.stop(); // also closes the Redis store
