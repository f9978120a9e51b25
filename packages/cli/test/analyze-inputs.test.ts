import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { buildSchema, introspectionFromSchema } from 'graphql';
import { LIBRARY_OPERATIONS, LIBRARY_SDL, rampart, workspace } from './bin.js';

const ws = workspace('rampart-analyze-in-');
after(() => rmSync(ws.dir, { recursive: true, force: true }));
for (const [name, text] of Object.entries({ ...LIBRARY_SDL, ...LIBRARY_OPERATIONS })) ws.file(name, text);
const shopSchema = new URL('../../../examples/shop/src/schema.graphql', import.meta.url).pathname;

interface Op {
  key: string;
  id?: string;
  name: string | null;
  status: string;
  measures: { cost: number | null; fieldCost: number | null; depth: number };
}

function json(
  args: string[],
  input?: string,
): { code: number | null; report: { operations: Op[]; schema: Record<string, unknown> } } {
  const r = rampart(['analyze', ...args, '--json'], ws.dir, input);
  assert.equal(r.err, '', r.err);
  return { code: r.code, report: JSON.parse(r.out) };
}

const summary = (ops: Op[]) => ops.map((o) => [o.key, o.status, o.measures.cost]);

describe('rampart analyze: operation inputs', () => {
  it('GraphQL files, a directory and a glob; fragments shared across files; several operations per document', () => {
    const bounds = ['--variable-bounds', 'first<=5'];
    // A directory gives its .graphql/.gql files: not JSON files, not node_modules.
    ws.file('ops/package.json', '{ "name": "app" }');
    ws.file('ops/node_modules/dep/broken.graphql', 'query {');
    const byDir = json(['--schema', 'schema', 'ops', ...bounds]);
    assert.equal(byDir.code, 0);
    assert.deepEqual(summary(byDir.report.operations), [
      ['ops/books.graphql#List', 'ok', 20],
      ['ops/books.graphql#One', 'ok', 4],
    ]);
    const byGlob = json(['--schema', 'schema/*.graphql', 'ops/*.graphql', ...bounds]);
    assert.deepEqual(summary(byGlob.report.operations), summary(byDir.report.operations));
    const byFiles = json([
      '--schema',
      'schema/query.graphql',
      '--schema',
      'schema/types.graphql',
      '--query',
      'ops/books.graphql',
      'ops/fragments.graphql',
      ...bounds,
    ]);
    assert.deepEqual(summary(byFiles.report.operations), summary(byDir.report.operations));
  });
  it('standard input (-): a GraphQL document or a manifest', () => {
    const r = json(['--schema', 'schema', '-'], 'query S { search(text: "x", limit: 2) { title } }');
    assert.deepEqual(summary(r.report.operations), [['-#S', 'ok', 6]]);
    const m = json(['--schema', 'schema', '-'], JSON.stringify({ h1: '{ book(id: 1) { title } }' }));
    assert.deepEqual(summary(m.report.operations), [['h1', 'ok', 1]]);
  });
  it("Apollo's persisted query manifest: one operation per entry, keyed by id", () => {
    ws.file(
      'manifest.json',
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [
          { id: 'a1', name: 'Top', type: 'query', body: 'query Top { books(first: 2) { title } }' },
          { id: 'b2', name: 'Deep', type: 'query', body: 'query Deep { book(id: 1) { author { name } } }' },
        ],
      }),
    );
    const r = json(['--schema', 'schema', 'manifest.json']);
    assert.deepEqual(summary(r.report.operations), [
      ['a1', 'ok', 2],
      ['b2', 'ok', 4],
    ]);
    assert.deepEqual(
      r.report.operations.map((o) => [o.id, o.name]),
      [
        ['a1', 'Top'],
        ['b2', 'Deep'],
      ],
    );
  });
  it('a persisted documents map (GraphQL Code Generator, Relay): one operation per hash, hash#Name when several', () => {
    ws.file(
      'persisted-documents.json',
      JSON.stringify({
        sha1: '{ books(first: 3) { title } }',
        sha2: 'query A { secret } query B { book(id: 2) { title } }',
      }),
    );
    const r = json(['--schema', 'schema', 'persisted-documents.json']);
    assert.deepEqual(summary(r.report.operations), [
      ['sha1', 'ok', 3],
      ['sha2#A', 'ok', 0],
      ['sha2#B', 'ok', 1],
    ]);
  });
});

describe('rampart analyze: schema inputs', () => {
  it("the shop's schema with its Rampart directives (@requiresScopes, @rateLimit, @audit, @sensitive, @listSize, @cost)", () => {
    const r = rampart(
      ['analyze', '--schema', shopSchema, '-', '--json'],
      ws.dir,
      'query S { search(text: "a", first: 4) { ... on Customer { email } } me { name } }',
    );
    assert.equal(r.code, 0, r.err);
    const [op] = JSON.parse(r.out).operations;
    assert.equal(op.status, 'ok');
    // depth as graphql-depth-limit counts it; 25 tokens (commas are not tokens); cost 4 x 5 (search) + 1 (me)
    assert.deepEqual(op.measures, {
      depth: 1,
      height: 4,
      aliases: 0,
      rootFields: 2,
      directives: 0,
      introspectionDepth: 0,
      tokens: 25,
      cost: 21,
      fieldCost: 6,
    });
    assert.equal(op.requirements.authenticated, true);
    assert.deepEqual(op.requirements.scopes, [[['profile'], ['customers:pii']]]);
    assert.deepEqual(op.rateLimits, [{ coordinate: 'Query.search', limit: 30, duration: 60 }]);
  });
  it('federation subgraph SDL: @link, @key, @cost renamed through @link(import:), an orphan `extend type Query`', () => {
    ws.file(
      'subgraph.graphql',
      `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", { name: "@cost", as: "@myCost" }, "@listSize"])
extend type Query { top: Product @myCost(weight: 7) products(first: Int): [Product] @listSize(slicingArguments: ["first"]) }
type Product @key(fields: "id") { id: ID! name: String @shareable }
`,
    );
    const r = json(['--schema', 'subgraph.graphql', '-'], '{ top { name } products(first: 3) { id } }');
    assert.deepEqual(r.report.schema, {
      files: ['subgraph.graphql'],
      ignoredDirectives: ['key', 'link', 'shareable'],
      renamedDirectives: { myCost: 'cost' },
    });
    // top: @myCost(weight: 7) read as @cost; products: 3 x Product (1)
    assert.deepEqual([r.report.operations[0]?.measures.cost, r.report.operations[0]?.measures.fieldCost], [10, 8]);
  });
  it('an introspection result (JSON)', () => {
    const schema = buildSchema('type Query { items(first: Int): [Item] } type Item { id: ID }');
    ws.file('introspection.json', JSON.stringify({ data: introspectionFromSchema(schema) }));
    const r = json(['--schema', 'introspection.json', '-'], '{ items(first: 6) { id } }');
    assert.deepEqual(summary(r.report.operations), [['-#(anonymous)', 'ok', 6]]);
  });
});

describe('rampart analyze: bad input', () => {
  it('exit 2 with a clear message: missing files, unparsable schema or document, unknown flag, bad bounds', () => {
    ws.file('broken.graphql', 'type Query {');
    ws.file('broken-op.graphql', '{ books(first: 1) {');
    const cases: [string[], RegExp][] = [
      [['--schema', 'nope.graphql', 'ops'], /cannot read schema file "nope\.graphql": ENOENT/],
      [['--schema', 'schema', 'missing.graphql'], /cannot read operations file "missing\.graphql": ENOENT/],
      [['--schema', 'schema', 'none/*.graphql'], /no operations file matches "none\/\*\.graphql"/],
      [
        ['--schema', 'broken.graphql', 'ops'],
        /invalid schema: broken\.graphql:1:13: Syntax Error: Expected Name, found <EOF>\./,
      ],
      [
        ['--schema', 'schema', 'broken-op.graphql'],
        /invalid operation document: broken-op\.graphql:1:20: Syntax Error/,
      ],
      [
        ['--schema', 'schema', 'ops', '--fail-on-violaton'],
        /unknown option "--fail-on-violaton" \(did you mean "--fail-on-violation"\?\)/,
      ],
      [['--schema', 'schema', 'ops', '--variable-bounds', 'first=10'], /invalid --variable-bounds entry "first=10"/],
      [['ops'], /--schema <file\|glob> is required/],
      [['--schema', 'schema'], /no operations: give files, directories, globs or -/],
    ];
    for (const [args, message] of cases) {
      const r = rampart(['analyze', ...args], ws.dir);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, message);
      assert.equal(r.out, '');
    }
  });
  it('an operation that does not validate: status invalid, exit 1, the others still analysed', () => {
    ws.file('invalid/ops.graphql', 'query Bad { books(first: 1) { nope } } query Good { books(first: 1) { title } }');
    const r = rampart(['analyze', '--schema', 'schema', 'invalid', '--json'], ws.dir);
    assert.equal(r.code, 1);
    const ops = JSON.parse(r.out).operations;
    assert.deepEqual(
      ops.map((o: Op) => o.status),
      ['invalid', 'ok'],
    );
    assert.deepEqual(ops[0].errors, ['invalid/ops.graphql:1:31: Cannot query field "nope" on type "Book".']);
  });
});
