import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CommandRegistry, main, processIO } from '../src/index.js';
import { run } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const schema = file(
  'schema.graphql',
  `type Query { book(id: ID): Book, newest(limit: Int!): [Book] @listSize(slicingArguments: ["limit"]) }
   type Book { title: String, author: Author }
   type Author { name: String @cost(weight: 2) }`,
);
const query = file('q.graphql', 'query Newest($n: Int!) { newest(limit: $n) { title author { name } } }');
const two = file('two.graphql', 'query A { book { title } } query B { book { author { name } } }');

describe('rampart analyze', () => {
  it('prints the analysis as text', async () => {
    const r = await run(['analyze', '--schema', schema, '--query', query, '--variables', '{"n": 3}']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^operation: +Newest \(query\)$/m);
    assert.match(r.out, /^depth: +2$/m);
    assert.match(r.out, /^cost: +\d+$/m);
    assert.match(r.out, /^violations: +none$/m);
  });
  it('--json prints one object with every field', async () => {
    const vars = file('vars.json', '{"n": 4}');
    const r = await run(['analyze', '--schema', schema, '--query', query, '--variables', `@${vars}`, '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual(
      Object.keys(j).sort(),
      [
        'aliases',
        'coordinates',
        'cost',
        'depth',
        'directives',
        'fieldCost',
        'height',
        'introspectionDepth',
        'operationName',
        'operationType',
        'problems',
        'rootFields',
        'slicing',
        'variableDependent',
        'violations',
        'work',
      ].sort(),
    );
    // 4 books x (1 + author 1 + name 2) = 16
    assert.equal(j.cost, 16);
    assert.equal(j.depth, 2);
    assert.equal(j.operationName, 'Newest');
  });
  it('--operation-name picks one of several operations; without it, exit 1 naming them', async () => {
    const r = await run(['analyze', '--schema', schema, '--query', two, '--operation-name', 'B', '--json']);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).depth, 2);
    const bad = await run(['analyze', '--schema', schema, '--query', two]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /Must provide an operation name.*Operations in .*: A, B\./);
  });
  it('--limits and --fail-on-violation', async () => {
    const r = await run([
      'analyze',
      '--schema',
      schema,
      '--query',
      query,
      '--variables',
      '{"n": 3}',
      '--limits',
      '{"depth": 1}',
      '--fail-on-violation',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.out, /MAX_DEPTH_LIMIT \(depth\): Operation depth is 2, over the maximum of 1\./);
  });
  it('exit 1 with a clear message for unreadable or invalid input', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['analyze', '--schema', join(dir, 'nope.graphql'), '--query', query],
        /cannot read schema file ".*nope\.graphql": ENOENT/,
      ],
      [
        ['analyze', '--schema', file('bad.graphql', 'type Query {'), '--query', query],
        /invalid schema: .*bad\.graphql:1:13: Syntax Error/,
      ],
      [
        ['analyze', '--schema', schema, '--query', file('badq.graphql', '{ book { nope } }')],
        /invalid query:\n {2}.*badq\.graphql:1:10: Cannot query field "nope" on type "Book"/,
      ],
      [
        ['analyze', '--schema', schema, '--query', file('syn.graphql', '{ book {')],
        /invalid query: .*syn\.graphql:1:9: Syntax Error/,
      ],
      [['analyze', '--schema', schema, '--query', query, '--variables', '{n: 3}'], /variables is not valid JSON/],
      [['analyze', '--schema', schema, '--query', query, '--variables', '[1]'], /variables must be a JSON object/],
      [['analyze', '--schema', schema], /--query <file> is required/],
      [
        ['analyze', '--schema', schema, '--query', query, '--limits', '{"dept": 1}'],
        /invalid limits: limits\.dept: unknown option \(did you mean "depth"\?\)/,
      ],
      [['analyze', '--frobnicate'], /Unknown option '--frobnicate'/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      assert.equal(r.code, 1, argv.join(' '));
      assert.match(r.err, message);
      assert.equal(r.out, '');
    }
  });
});

describe('dispatch', () => {
  it('lists commands, prints usage, refuses unknown commands', async () => {
    const h = await run(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, /rampart analyze/);
    const u = await run(['analyze', '--help']);
    assert.match(u.out, /^Usage: rampart analyze --schema/);
    const x = await run(['frob']);
    assert.equal(x.code, 1);
    assert.match(x.err, /unknown command "frob"/);
  });
  it('is extended by registering commands with multi-word paths', async () => {
    const registry = new CommandRegistry().register({
      path: ['audit', 'verify'],
      summary: 'verify',
      usage: 'Usage: rampart audit verify <file>',
      run: (args, io) => {
        io.stdout(`verified ${args.join(',')}\n`);
        return 0;
      },
    });
    let out = '';
    const code = await main(['audit', 'verify', 'a.log'], registry, { ...processIO, stdout: (t) => (out += t) });
    assert.equal(code, 0);
    assert.equal(out, 'verified a.log\n');
  });
  it('the bin runs as a process', () => {
    const bin = new URL('../src/bin.ts', import.meta.url).pathname;
    const r = spawnSync(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        bin,
        'analyze',
        '--schema',
        schema,
        '--query',
        query,
        '--variables',
        '{"n":1}',
        '--json',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).cost, 4);
    const bad = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', bin, 'analyze'], {
      encoding: 'utf8',
    });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--schema <file> is required/);
  });
});
