/**
 * Rule engine cost on a 20,000 × 5-field list: bare Apollo versus Rampart's shield and graphql-shield +
 * graphql-middleware, (b) with a rule only on the root list field, (c) with a type-wide synchronous rule
 * on the item type. In-process `executeOperation` (the full Apollo request pipeline, no HTTP), configs
 * interleaved round by round so machine noise hits them alike. Prints a Markdown table.
 *
 * Run: node --expose-gc --conditions=source --import tsx bench/auth/rules.ts [rounds]
 * (a full GC runs before every measured operation when --expose-gc is given, outside the timing)
 */
import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { rule, shield } from '@rampart/auth';
import type { GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import * as gs from 'graphql-shield';

const N = 20_000;
const ROUNDS = Number(process.argv[2] ?? 12);
const WARMUP = 3;

const typeDefs = /* GraphQL */ `
  type Item { id: Int!, name: String!, price: Float!, inStock: Boolean!, sku: String! }
  type Query { items: [Item!]! }
`;
const items = Array.from({ length: N }, (_, i) => ({
  id: i,
  name: `item ${i}`,
  price: i / 100,
  inStock: i % 2 === 0,
  sku: `SKU-${i}`,
}));
const base = () => makeExecutableSchema({ typeDefs, resolvers: { Query: { items: () => items } } });

const ours = rule('ok')(() => true);
const theirs = gs.rule('ok')(() => true);

const configs: Array<[string, GraphQLSchema]> = [
  ['(a) no rules (bare)', base()],
  ['(b) Rampart: rule on Query.items', shield({ Query: { items: ours } }).transformSchema(base())],
  ['(b) graphql-shield: rule on Query.items', applyMiddleware(base(), gs.shield({ Query: { items: theirs } }))],
  ['(c) Rampart: type-wide rule on Item', shield({ Item: ours }).transformSchema(base())],
  ['(c) graphql-shield: type-wide rule on Item', applyMiddleware(base(), gs.shield({ Item: theirs }))],
];

const query = '{ items { id name price inStock sku } }';
const servers = await Promise.all(
  configs.map(async ([, schema]) => {
    const s = new ApolloServer({ schema });
    await s.start();
    return s;
  }),
);

const wall: number[][] = configs.map(() => []);
const cpu: number[][] = configs.map(() => []);
for (let round = 0; round < WARMUP + ROUNDS; round++) {
  for (let i = 0; i < servers.length; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const res = await servers[i]!.executeOperation({ query }, { contextValue: {} });
    const t1 = process.hrtime.bigint();
    const c1 = process.cpuUsage(c0);
    if (
      res.body.kind !== 'single' ||
      res.body.singleResult.errors ||
      (res.body.singleResult.data as any).items.length !== N
    ) {
      throw new Error(`${configs[i]![0]}: bad result`);
    }
    if (round >= WARMUP) {
      wall[i]!.push(Number(t1 - t0) / 1e6);
      cpu[i]!.push((c1.user + c1.system) / 1000);
    }
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const w0 = median(wall[0]!);
const c0 = median(cpu[0]!);
console.log(
  `N=${N} items × 5 fields, ${ROUNDS} rounds after ${WARMUP} warm-up, Node ${process.version}, ${new Date().toISOString()}\n`,
);
console.log('| config | median wall ms | wall × bare | median CPU ms | CPU × bare |');
console.log('|---|---:|---:|---:|---:|');
configs.forEach(([name], i) => {
  const w = median(wall[i]!);
  const c = median(cpu[i]!);
  console.log(`| ${name} | ${w.toFixed(1)} | ${(w / w0).toFixed(2)} | ${c.toFixed(1)} | ${(c / c0).toFixed(2)} |`);
});
for (const s of servers) await s.stop();
