// Trusted documents (issue 17): what one operation costs when it is a trusted document (sent by id or
// as its text) against the same operation analysed normally, in one process, through Apollo's whole
// request pipeline (`executeOperation`: every plugin, parse/validate or the document store, limits,
// scopes, rate limits, execution; no HTTP, whose noise would hide a few microseconds). Rounds are
// interleaved; each figure is the median of the rounds, in CPU µs per operation, and the ratio is to the
// same request on the server without trusted documents.
// Usage: pnpm bench:apollo-trusted  [ROUNDS=11 OPS=2000]
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { type RampartOptions, rampart } from '@rampart/apollo';
import { shopTypeDefs, trustedDocumentsManifest } from '@rampart/example-shop/app';
import { ShopData } from '@rampart/example-shop/data';
import { createLoaders, resolvers } from '@rampart/example-shop/resolvers';

const rounds = Number(process.env.ROUNDS ?? 11);
const ops = Number(process.env.OPS ?? 2000);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const manifest = JSON.parse(readFileSync(trustedDocumentsManifest, 'utf8')) as {
  operations: { name: string; body: string }[];
};
const body = (name: string) => manifest.operations.find((o) => o.name === name)?.body as string;

const data = new ShopData();
async function server(options: RampartOptions, documentStore?: null): Promise<ApolloServer> {
  const security = rampart({ ...quiet, ...options });
  const schema = security.transformSchema(
    makeExecutableSchema({ typeDefs: [security.typeDefs, shopTypeDefs], resolvers }),
  );
  const s = new ApolloServer({
    schema,
    ...security.serverOptions,
    ...(documentStore === null ? { documentStore: null } : {}),
    plugins: security.plugins,
  });
  await s.start();
  return s;
}

// the shop's subscriptions are not served here: no warning about them
const quiet = { logger: { warn() {}, error() {} } };
const normal = await server({});
const uncached = await server({}, null);
const trusted = await server({ trustedDocuments: { manifest: trustedDocumentsManifest, mode: 'enforce' } });

type Request = { query?: string; variables?: Record<string, unknown>; extensions?: Record<string, unknown> };
/** Apollo's persisted-query extension for `text` (hashed once here: the client's work is not measured). */
const hashes = new Map<string, string>();
const byHash = (text: string, variables?: Record<string, unknown>): Request => {
  let hash = hashes.get(text);
  if (hash === undefined) {
    hash = sha256(text);
    hashes.set(text, hash);
  }
  return { extensions: { persistedQuery: { version: 1, sha256Hash: hash } }, ...(variables ? { variables } : {}) };
};

/** CPU µs (user + system) per operation of `count` operations: less disturbed by a busy machine than wall time. */
async function run(s: ApolloServer, make: (i: number) => Request, count: number): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const res = await s.executeOperation(make(i), { contextValue: { data, loaders: createLoaders(data) } });
    if (res.body.kind !== 'single' || res.body.singleResult.errors) throw new Error(JSON.stringify(res.body));
  }
  const cpu = process.cpuUsage(c0);
  return (cpu.user + cpu.system) / count;
}

const products = body('Products');
const page = body('ProductsPage');
// eight page sizes: the limits' analysis of ProductsPage depends on `first`
const firsts = [1, 2, 3, 4, 5, 6, 7, 8];
const pageVars = (i: number) => ({ first: firsts[i % firsts.length] });
const cases: Record<string, [ApolloServer, (i: number) => Request][]> = {
  'Products (no variables)': [
    [normal, () => ({ query: products })],
    [uncached, () => ({ query: products })],
    [trusted, () => ({ query: products })],
    [trusted, () => byHash(products)],
  ],
  'ProductsPage ($first: 8 values)': [
    [normal, (i) => ({ query: page, variables: pageVars(i) })],
    [uncached, (i) => ({ query: page, variables: pageVars(i) })],
    [trusted, (i) => ({ query: page, variables: pageVars(i) })],
    [trusted, (i) => byHash(page, pageVars(i))],
  ],
};
const columns = ['normal, Apollo cache warm', 'normal, no document cache', 'trusted, as text', 'trusted, by id'];

const results: Record<string, number[][]> = {};
for (const [name, variants] of Object.entries(cases)) {
  results[name] = variants.map(() => []);
  for (const [s, make] of variants) await run(s, make, 500); // warm up
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants.keys() : [...variants.keys()].reverse();
    for (const v of order) {
      const [s, make] = variants[v]!;
      results[name]![v]!.push(await run(s, make, ops));
    }
  }
}
await Promise.all([normal.stop(), uncached.stop(), trusted.stop()]);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// the fastest round too: on a busy machine interference only adds time, so the minimum is steadier
const min = (xs: number[]) => Math.min(...xs);
console.log(
  `| operation | ${columns.map((c) => `${c} (CPU µs)`).join(' | ')} | trusted by id / normal warm | trusted by id / no cache | same, fastest rounds |`,
);
console.log(`|---|${columns.map(() => '---:').join('|')}|---:|---:|---:|`);
for (const [name, figures] of Object.entries(results)) {
  const m = figures.map(median);
  const f = figures.map(min) as [number, number, number, number];
  const [warm, cold, , id] = m as [number, number, number, number];
  const fastest = `${(f[3] / f[0]).toFixed(3)} / ${(f[3] / f[1]).toFixed(3)}`;
  console.log(
    `| ${name} | ${m.map((x) => x.toFixed(1)).join(' | ')} | ${(id / warm).toFixed(3)} | ${(id / cold).toFixed(3)} | ${fastest} |`,
  );
}
console.log(
  `\n(${rounds} interleaved rounds of ${ops} operations each, medians of CPU time per operation; rampart() defaults, shop schema, executeOperation)`,
);
