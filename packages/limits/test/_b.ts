import { Kind, parse } from 'graphql';

const n = 4000;
const q = `{ catalog { categories { ...F0 } } } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Category { children { ...F${i + 1} } }`).join(' ')} fragment F${n} on Category { name }`;
const doc = parse(q, { maxTokens: 1e7 });
const frags = new Map<string, any>();
for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) frags.set(d.name.value, d);
function walk() {
  const memo = new Map<string, object>();
  const stack: any[] = [{ sels: (doc.definitions[0] as any).selectionSet.selections, i: 0, acc: { n: 0 } }];
  let count = 0;
  while (stack.length) {
    const f = stack[stack.length - 1];
    if (f.i >= f.sels.length) {
      stack.pop();
      if (f.key) memo.set(f.key, f.acc);
      continue;
    }
    const s = f.sels[f.i++];
    count++;
    if (s.kind === Kind.FRAGMENT_SPREAD) {
      if (memo.has(s.name.value)) continue;
      stack.push({
        sels: frags.get(s.name.value).selectionSet.selections,
        i: 0,
        acc: { n: 0, set: new Set() },
        key: s.name.value,
      });
    } else if (s.selectionSet) stack.push({ sels: s.selectionSet.selections, i: 0, acc: { n: 0, set: new Set() } });
  }
  return count;
}
for (let i = 0; i < 5; i++) walk();
const t = performance.now();
for (let i = 0; i < 20; i++) walk();
console.log('baseline walk', ((performance.now() - t) / 20).toFixed(2), 'ms');
