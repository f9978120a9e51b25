// Benchmarks of @rampart/scopes. Run: node --conditions=source --import tsx bench/scopes/run.ts
// 1. Check time per operation (analysis of the operation in didResolveOperation) for the shop's typical
//    operations, next to graphql.validate of the same document.
// 2. A 20,000 x 5 list through Apollo Server (executeOperation): scopes on the item type (plugin on,
//    caller has the scope) vs the same schema without any directive and without the plugin.
import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { attachSecurityState, createPrincipal, SecurityState, selectOperation } from '@rampart/core';
import { scopesPlugin, scopesTypeDefs } from '@rampart/scopes';
import { type DocumentNode, type OperationDefinitionNode, parse, validate } from 'graphql';
import { analyzeScopes } from '../../packages/scopes/src/analyze.ts';
import { Evaluator } from '../../packages/scopes/src/evaluate.ts';
import { modelOf } from '../../packages/scopes/src/requirements.ts';
import { pickAliases, rewriteDocument } from '../../packages/scopes/src/rewrite.ts';
import { backOfficeScopes, shopOperations, shopSchema, storefrontScopes } from './shop.js';

/** µs of process CPU time per call: median of 7 slices of ~60 ms (CPU time: the machine is shared). */
function timePerOp(fn: () => void): number {
  for (let i = 0; i < 2000; i++) fn(); // warm up
  const slices: number[] = [];
  for (let k = 0; k < 7; k++) {
    let n = 0;
    const c = process.cpuUsage();
    let used = 0;
    while (used < 60_000) {
      for (let i = 0; i < 200; i++) fn();
      n += 200;
      const d = process.cpuUsage(c);
      used = d.user + d.system;
    }
    slices.push(used / n);
  }
  return median(slices);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function checkBench(): string[] {
  const schema = shopSchema();
  const model = modelOf(schema);
  const lines = [
    '| operation | caller | decisions | check µs/op | + rewrite µs/op | graphql.validate µs/op | check / validate |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  const callers = [
    {
      name: 'back office',
      principal: createPrincipal({ id: 'bo', kind: 'service', authMethod: 'jwt', scopes: backOfficeScopes }),
    },
    {
      name: 'storefront',
      principal: createPrincipal({ id: 'sf', kind: 'user', authMethod: 'jwt', scopes: storefrontScopes }),
    },
  ];
  for (const [name, op] of Object.entries(shopOperations)) {
    const doc: DocumentNode = parse(op.query);
    const errors = validate(schema, doc);
    if (errors.length > 0) throw new Error(`${name}: ${errors[0]?.message}`);
    const operation = doc.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
    const validateUs = timePerOp(() => validate(schema, doc));
    for (const caller of callers) {
      const check = () => {
        const ev = new Evaluator(caller.principal);
        return analyzeScopes(model, ev, operation, selectOperation(doc).fragments, op.variables);
      };
      const a = check();
      const checkUs = timePerOp(() => check());
      let rewriteUs: number | undefined;
      if (a.denials.length > 0 && a.keptLeaf) {
        rewriteUs = timePerOp(() => {
          const x = check();
          rewriteDocument(schema, doc, operation, x, pickAliases(x));
        });
      }
      lines.push(
        `| ${name} | ${caller.name} | ${a.denials.length === 0 ? 'all granted' : `${a.denials.length} removed${a.keptLeaf ? '' : ' (refused)'}`} | ${checkUs.toFixed(2)} | ${rewriteUs === undefined ? '–' : rewriteUs.toFixed(2)} | ${validateUs.toFixed(2)} | ${(checkUs / validateUs).toFixed(3)} |`,
      );
    }
  }
  return lines;
}

async function listBench(): Promise<string[]> {
  const N = 20_000;
  const items = Array.from({ length: N }, (_, i) => ({ id: String(i), a: i, b: `b${i}`, c: i % 2 === 0, d: i * 0.5 }));
  const plain = makeExecutableSchema({
    typeDefs: 'type Query { items: [Item!]! } type Item { id: ID! a: Int b: String c: Boolean d: Float }',
    resolvers: { Query: { items: () => items } },
  });
  const scoped = makeExecutableSchema({
    typeDefs: [
      scopesTypeDefs,
      'type Query { items: [Item!]! } type Item @requiresScopes(scopes: [["items:read"]]) { id: ID! a: Int b: String c: Boolean d: Float @requiresScopes(scopes: [["items:d"]]) }',
    ],
    resolvers: { Query: { items: () => items } },
  });
  const bare = new ApolloServer({ schema: plain });
  const withScopes = new ApolloServer({ schema: scoped, plugins: [scopesPlugin()] });
  await bare.start();
  await withScopes.start();
  const query = '{ items { id a b c d } }';
  const queryNoD = '{ items { id a b c } }';
  const granted = createPrincipal({ id: 'c', kind: 'service', authMethod: 'jwt', scopes: ['items:read', 'items:d'] });
  const withoutD = createPrincipal({ id: 'c', kind: 'service', authMethod: 'jwt', scopes: ['items:read'] });
  function ctx(principal = granted) {
    const c = {};
    attachSecurityState(c, new SecurityState({ principal }));
    return c;
  }
  // CPU time (user + system) of the process per operation: less disturbed than wall time by the
  // other processes of a shared, loaded machine. Wall time is reported next to it.
  const wall = { bare: [] as number[], scoped: [] as number[], bare4: [] as number[], removed: [] as number[] };
  let lastWall = 0;
  async function once(server: ApolloServer, q: string, principal = granted): Promise<number> {
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    const r = await server.executeOperation({ query: q }, { contextValue: ctx(principal) });
    const cpu = process.cpuUsage(c);
    lastWall = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.body.kind !== 'single' || !r.body.singleResult.data) throw new Error('no data');
    return (cpu.user + cpu.system) / 1000;
  }
  const rounds = Number(process.env.ROUNDS ?? 30);
  const t = { bare: [] as number[], scoped: [] as number[], bare4: [] as number[], removed: [] as number[] };
  for (let i = 0; i < 5; i++) {
    await once(bare, query);
    await once(withScopes, query);
    await once(withScopes, query, withoutD);
  }
  for (let i = 0; i < rounds; i++) {
    // interleaved, so drift and GC hit every variant alike
    t.bare.push(await once(bare, query));
    wall.bare.push(lastWall);
    t.scoped.push(await once(withScopes, query));
    wall.scoped.push(lastWall);
    t.bare4.push(await once(bare, queryNoD));
    wall.bare4.push(lastWall);
    t.removed.push(await once(withScopes, query, withoutD));
    wall.removed.push(lastWall);
  }
  await bare.stop();
  await withScopes.stop();
  // The plugin's own work on this request, measured alone: one check of the document.
  const listModel = modelOf(scoped);
  const listDoc = parse(query);
  const listOp = listDoc.definitions[0] as OperationDefinitionNode;
  const checkUs = timePerOp(() =>
    analyzeScopes(listModel, new Evaluator(granted), listOp, selectOperation(listDoc).fragments, {}),
  );
  const min = (xs: number[]) => Math.min(...xs);
  const row = (label: string, k: keyof typeof t) => {
    const cpu = median(t[k]);
    const m = min(t[k]);
    const w = median(wall[k]);
    return `| ${label} | ${cpu.toFixed(1)} | ${(cpu / median(t.bare)).toFixed(3)} | ${m.toFixed(1)} | ${(m / min(t.bare)).toFixed(3)} | ${w.toFixed(1)} | ${(w / median(wall.bare)).toFixed(3)} |`;
  };
  return [
    `| variant (20,000 items × 5 fields, Apollo executeOperation, ${rounds} interleaved runs each) | CPU ms median | ratio | CPU ms min | ratio | wall ms median | ratio |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    row('bare: no directive, no plugin', 'bare'),
    row('`@requiresScopes` on `Item` and on `Item.d`, plugin on, caller has both scopes', 'scoped'),
    row('bare, 4 fields (`d` not asked)', 'bare4'),
    row('caller lacks `items:d`: `d` removed, 20,000 nulls put back (100 errors + 1 summary)', 'removed'),
    '',
    `The plugin's own work for the granted caller, measured alone: one check of \`${query}\` = ${checkUs.toFixed(2)} µs CPU, i.e. a ratio of ${(1 + checkUs / 1000 / median(t.bare)).toFixed(5)} to the bare median (resolvers are not wrapped, so execution is identical).`,
  ];
}

const out: string[] = [];
out.push(`Node ${process.version}, ${new Date().toISOString()}`, '');
out.push(...checkBench(), '');
out.push(...(await listBench()));
console.log(out.join('\n'));
