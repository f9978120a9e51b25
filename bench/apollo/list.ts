// The 20,000 × 5-field list through executeOperation: bare Apollo (default plugins), bare Apollo with
// the cache-control plugin disabled, and rampart() with the execution deadline off and on.
// Usage: pnpm bench:apollo-list  [ITERATIONS=30]
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { rampart } from '@rampart/apollo';

const iterations = Number(process.env.ITERATIONS ?? 30);
const typeDefs = 'type Item { id: ID! a: Int b: Int c: String d: Boolean } type Query { items: [Item!]! }';
const items = Array.from({ length: 20_000 }, (_, i) => ({ id: String(i), a: i, b: i * 2, c: `c${i}`, d: i % 2 === 0 }));
const resolvers = { Query: { items: () => items } };
const query = '{ items { id a b c d } }';

function bare() {
  return new ApolloServer({ schema: makeExecutableSchema({ typeDefs, resolvers }) });
}
function bareNoCacheControl() {
  return new ApolloServer({
    schema: makeExecutableSchema({ typeDefs, resolvers }),
    plugins: [ApolloServerPluginCacheControlDisabled()],
  });
}
function withRampart(executionTimeoutMs: number | false) {
  const security = rampart({ hardening: { executionTimeoutMs } });
  const schema = security.transformSchema(makeExecutableSchema({ typeDefs: [security.typeDefs, typeDefs], resolvers }));
  return new ApolloServer({ schema, ...security.serverOptions, plugins: security.plugins });
}

const variants = {
  'bare Apollo (default plugins)': bare(),
  'bare Apollo, cache-control disabled': bareNoCacheControl(),
  'rampart(), deadline off': withRampart(false),
  'rampart(), deadline on (10 s)': withRampart(10_000),
};
for (const s of Object.values(variants)) await s.start();
const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
async function once(s: ApolloServer): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await s.executeOperation({ query });
  const t = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.body.kind !== 'single' || r.body.singleResult.errors) throw new Error('unexpected errors');
  return t;
}
for (const s of Object.values(variants)) for (let i = 0; i < 3; i++) await once(s); // warm up
for (let i = 0; i < iterations; i++) {
  for (const [name, s] of Object.entries(variants)) times[name]!.push(await once(s));
}
for (const s of Object.values(variants)) await s.stop();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(times['bare Apollo (default plugins)']!);
const noCc = median(times['bare Apollo, cache-control disabled']!);
const off = median(times['rampart(), deadline off']!);
console.log('| variant | median ms | vs bare Apollo | vs bare, cache-control disabled |');
console.log('|---|---:|---:|---:|');
for (const [name, t] of Object.entries(times)) {
  const m = median(t);
  console.log(`| ${name} | ${m.toFixed(1)} | ${(m / base).toFixed(3)} | ${(m / noCc).toFixed(3)} |`);
}
console.log(
  `\nDeadline cost: deadline on / deadline off = ${(median(times['rampart(), deadline on (10 s)']!) / off).toFixed(3)}`,
);
console.log(`(${iterations} interleaved iterations, median)`);
