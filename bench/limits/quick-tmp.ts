import { analyzeOperation } from '@rampart/limits';
import { parse } from 'graphql';
import { shopSchema } from '../../packages/limits/test/fixtures.ts';

const schema = shopSchema();
const join = (n: number, f: (i: number) => string, sep = ' ') => Array.from({ length: n }, (_, i) => f(i)).join(sep);
const n = Number(process.argv[2] ?? 280);
const q = `{ product(id: "1") { ${join(n, (i) => `r${i}: reviews(first: ${i + 1}) { ...C0 }`)} } }
${join(n, (i) => `fragment C${i} on ReviewConnection { e${i}: edges { node { id } } ...C${i + 1} }`, '\n')}
fragment C${n} on ReviewConnection { totalCount }`;
const doc = parse(q, { maxTokens: 1e7 });
const times: number[] = [];
for (let k = 0; k < 200; k++) {
  const t = performance.now();
  analyzeOperation(schema, doc);
  times.push(performance.now() - t);
}
console.log(
  q.length,
  times
    .slice(0, 5)
    .map((x) => x.toFixed(2))
    .join(' '),
  '...',
  times
    .slice(-5)
    .map((x) => x.toFixed(2))
    .join(' '),
);
