import { analyzeOperation } from '@rampart/limits';
import { parse } from 'graphql';
import { shopSchema } from '../../packages/limits/test/fixtures.ts';

const schema = shopSchema();
const join = (n: number, f: (i: number) => string, sep = ' ') => Array.from({ length: n }, (_, i) => f(i)).join(sep);
const which = process.argv[2] ?? 'quad';
const docs: Record<string, string> = {
  quad: `{ product(id: "1") { ${join(900, (i) => `r${i}: reviews(first: ${i + 1}) { ...C0 }`)} } }
${join(900, (i) => `fragment C${i} on ReviewConnection { edges { cursor node { id } } ...C${i + 1} }`, '\n')} fragment C900 on ReviewConnection { totalCount }`,
  collide: `{ products(first: 5) { id } ${join(1200, (i) => `...Q${i}`)} } ${join(1200, (i) => `fragment Q${i} on Query { products(first: 5) { id price { amount } related { id } } }`)}`,
  samekey: `{ ${join(1800, (i) => `catalog { categories { n${i}: name children { name } } }`)} }`,
};
for (let i = 0; i < 100; i++) analyzeOperation(schema, parse('{ products(first: 5) { id name } }'));
const q = docs[which] as string;
const doc = parse(q, { maxTokens: 1e7 });
const times: number[] = [];
for (let k = 0; k < 11; k++) {
  const t = performance.now();
  analyzeOperation(schema, doc);
  times.push(performance.now() - t);
}
console.log(which, times.map((x) => x.toFixed(1)).join(' '));
