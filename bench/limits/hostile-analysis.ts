/**
 * Worst cases of the operation analysis alone (issue 12): every hostile document shape we could
 * build, each scaled to 4,000 tokens (the preset's parser cap) and to 100 KB (limitsPlugin is also
 * used without the cap), analysed by `analyzeOperation` with the default options on the shop-like
 * schema of the limits tests. Parsing is not timed. Per shape and size: the first analysis of that
 * document in the process (after a warm-up on the realistic corpus) and the median of 29 more; the work
 * units spent; the verdict. Goals: < 5 ms at 4,000 tokens, < 100 ms at 100 KB.
 *
 * Run: cd bench && node --conditions=source --import tsx limits/hostile-analysis.ts
 */
import { analyzeLimits } from '@rampart/limits';
import { Lexer, parse, Source, TokenKind } from 'graphql';
import { realisticCorpus } from '../../packages/limits/test/corpus.ts';
import { shopSchema } from '../../packages/limits/test/fixtures.ts';

const schema = shopSchema();
const join = (n: number, f: (i: number) => string, sep = ' ') => Array.from({ length: n }, (_, i) => f(i)).join(sep);

interface Shape {
  readonly name: string;
  /** The document at scale `n`, with its variables. */
  readonly build: (n: number) => { query: string; variables?: Record<string, unknown> };
  /** Tokens and characters at scale `n` when the document is not what grows (variables). */
  readonly size?: (n: number) => { tokens: number; chars: number };
}

const shapes: Shape[] = [
  {
    name: 'distinct sizedFields sizes × fragment chain (the quadratic shape)',
    build: (n) => ({
      query: `{ product(id: "1") { ${join(n, (i) => `r${i}: reviews(first: ${i + 1}) { ...C0 }`)} } }
${join(n, (i) => `fragment C${i} on ReviewConnection { e${i}: edges { node { id } } ...C${i + 1} }`, '\n')}
fragment C${n} on ReviewConnection { totalCount }`,
    }),
  },
  {
    name: 'same, chain fragments all selecting `edges` (merge path)',
    build: (n) => ({
      query: `{ product(id: "1") { ${join(n, (i) => `r${i}: reviews(first: ${i + 1}) { ...C0 }`)} } }
${join(n, (i) => `fragment C${i} on ReviewConnection { edges { cursor node { id } } ...C${i + 1} }`, '\n')}
fragment C${n} on ReviewConnection { totalCount }`,
    }),
  },
  {
    name: 'huge list literal argument',
    build: (n) => ({ query: `{ byIds(ids: [${join(n, (i) => `"${i}"`, ',')}]) { id } }` }),
  },
  {
    name: 'huge input-object literal argument (nested lists and objects)',
    build: (n) => ({
      query: `{ search(input: { text: "x", page: { first: 5, after: "${'a'.repeat(10)}" } }) { __typename } byIds(ids: [${join(
        n,
        () => '"a"',
        ',',
      )}]) { id } }`,
    }),
  },
  {
    name: 'huge variable value (list of n ids, document small)',
    build: (n) => ({
      query: 'query($ids: [ID!]!) { byIds(ids: $ids) { id } }',
      variables: { ids: Array.from({ length: n }, (_, i) => String(i)) },
    }),
    // as if the list were a literal: one token per item, its JSON length
    size: (n) => ({ tokens: n, chars: JSON.stringify(Array.from({ length: n }, (_, i) => String(i))).length }),
  },
  {
    name: 'deep nesting (catalog children chain)',
    build: (n) => ({ query: `{ catalog { categories { ${'children { '.repeat(n)}name${' }'.repeat(n)} } } }` }),
  },
  {
    name: 'deep nesting through a fragment chain (fields between)',
    build: (n) => ({
      query: `{ catalog { categories { ...F0 } } } ${join(n, (i) => `fragment F${i} on Category { children { ...F${i + 1} } }`)} fragment F${n} on Category { name }`,
    }),
  },
  {
    name: 'many aliases',
    build: (n) => ({ query: `{ ${join(n, (i) => `a${i}: product(id: "${i}") { id }`)} }` }),
  },
  {
    name: 'fragment fan-out DAG (each spreads the next twice, fields between)',
    build: (n) => ({
      query: `{ catalog { categories { ...F0 } } } ${join(
        n,
        (i) => `fragment F${i} on Category { a: children { ...F${i + 1} } b: children { ...F${i + 1} } }`,
      )} fragment F${n} on Category { name }`,
    }),
  },
  {
    name: 'fragment DAG, each spreading the next directly and under a field (bench/apollo shape)',
    build: (n) => ({
      query: `{ catalog { categories { ...F0 } } } ${join(
        n,
        (i) => `fragment F${i} on Category { ...F${i + 1} products { related { id } } children { ...F${i + 1} } }`,
      )} fragment F${n} on Category { name }`,
    }),
  },
  {
    name: 'fragment fan-out in one set (each spreads the next twice)',
    build: (n) => ({
      query: `{ catalog { categories { ...F0 } } } ${join(
        n,
        (i) => `fragment F${i} on Category { name ...F${i + 1} ...F${i + 1} }`,
      )} fragment F${n} on Category { name }`,
    }),
  },
  {
    name: 'many fragments colliding on one key (merge/inline allowance)',
    build: (n) => ({
      query: `{ products(first: 5) { id } ${join(n, (i) => `...Q${i}`)} } ${join(
        n,
        (i) => `fragment Q${i} on Query { products(first: 5) { id price { amount } related { id } } }`,
      )}`,
    }),
  },
  {
    name: 'same key merged at every level (products { products … })',
    build: (n) => ({
      query: `{ ${join(n, (i) => `catalog { categories { n${i}: name children { name } } }`)} }`,
    }),
  },
  {
    name: 'many directives',
    build: (n) => ({ query: `{ ${join(n, (i) => `a${i}: __typename @include(if: true)`)} }` }),
  },
  {
    name: 'many distinct root fields through many fragments',
    build: (n) => ({
      query: `{ ${join(n, (i) => `...R${i}`)} } ${join(n, (i) => `fragment R${i} on Query { r${i}: me { id } }`)}`,
    }),
  },
  {
    name: 'deeply nested list literal',
    build: (n) => ({ query: `{ byIds(ids: ${'['.repeat(n)}"1"${']'.repeat(n)}) { id } }` }),
  },
];

function tokens(query: string): number {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count++;
  return count;
}

type Measure = 'tokens' | 'chars';
function measureOf(shape: Shape, n: number, by: Measure): number {
  if (shape.size) return shape.size(n)[by];
  const { query } = shape.build(n);
  return by === 'tokens' ? tokens(query) : query.length;
}

/** The largest scale whose document stays within `limit`. */
function fit(shape: Shape, by: Measure, limit: number): number {
  let lo = 1;
  let hi = 2;
  while (measureOf(shape, hi, by) <= limit && hi < 1 << 22) hi *= 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (measureOf(shape, mid, by) <= limit) lo = mid;
    else hi = mid;
  }
  return lo;
}

function run(query: string, variables: Record<string, unknown> | undefined) {
  let doc: ReturnType<typeof parse>;
  try {
    doc = parse(query, { maxTokens: 10_000_000 });
  } catch (e) {
    return { error: `parse: ${(e as Error).message.slice(0, 60)}` };
  }
  let t = performance.now();
  const a = analyzeLimits(schema, doc, { variables });
  const first = performance.now() - t;
  const warm: number[] = [];
  for (let i = 0; i < 29; i++) {
    t = performance.now();
    analyzeLimits(schema, doc, { variables });
    warm.push(performance.now() - t);
  }
  warm.sort((x, y) => x - y);
  return { first, median: warm[14] as number, work: a.work, verdict: a.violations[0]?.code ?? 'accepted' };
}

// Warm-up (JIT) on the realistic corpus of the limits tests (fragments, connections, variables),
// so the first figure is about the hostile document, not about compiling the analyzer.
const realistic = realisticCorpus().map((op) => ({ doc: parse(op.query), variables: op.variables }));
for (let i = 0; i < 200; i++) {
  for (const op of realistic) analyzeLimits(schema, op.doc, { variables: op.variables });
}

const ms = (x: number) => `${x.toFixed(2)} ms`;
console.log(`hostile-analysis ${new Date().toISOString()} node ${process.version}`);
console.log('| shape | size | tokens | first analysis | median of the next 29 | work units | verdict |');
console.log('|---|---:|---:|---:|---:|---:|---|');
for (const shape of shapes) {
  for (const [label, by, limit] of [
    ['4,000 tokens', 'tokens', 4000],
    ['100 KB', 'chars', 100 * 1024],
  ] as const) {
    const n = fit(shape, by, limit);
    const { query, variables } = shape.build(n);
    const r = run(query, variables);
    const size = `${(measureOf(shape, n, 'chars') / 1024).toFixed(1)} KB`;
    const count = measureOf(shape, n, 'tokens');
    if ('error' in r) {
      console.log(`| ${shape.name} (${label}) | ${size} | ${count} | — | — | — | ${r.error} |`);
      continue;
    }
    console.log(
      `| ${shape.name} (${label}) | ${size} | ${count} | ${ms(r.first)} | ${ms(r.median)} | ${r.work} | ${r.verdict} |`,
    );
  }
}
