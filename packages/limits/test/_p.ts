import { parse } from 'graphql';
import { analyzeOperation } from '../src/index.ts';
import { shopSchema } from './fixtures.ts';

const schema = shopSchema();
const n = Number(process.argv[2]);
const q = `{ catalog { categories { ...F0 } } } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Category { children { ...F${i + 1} } }`).join(' ')} fragment F${n} on Category { name }`;
const doc = parse(q, { maxTokens: 1e7 });
for (let i = 0; i < 5; i++) analyzeOperation(schema, doc);
const t = performance.now();
for (let i = 0; i < 10; i++) analyzeOperation(schema, doc);
console.log(n, ((performance.now() - t) / 10).toFixed(2));
