import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { processIO } from '../src/cli.js';
import { main } from '../src/main.js';
import { CommandRegistry } from '../src/registry.js';
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
  it('exit 2 for usage errors: unknown option (with the nearest one), missing value, missing option', async () => {
    const cases: [string[], RegExp][] = [
      [['analyze', '--frobnicate'], /unknown option "--frobnicate"\n\nUsage: rampart analyze/],
      [['analyze', '--shema', schema, '--query', query], /unknown option "--shema" \(did you mean "--schema"\?\)/],
      [['analyze', '--json=x', '--qurey=q.graphql'], /unknown option "--qurey" \(did you mean "--query"\?\)/],
      [['analyze', '--schema', schema, '--query'], /option --query needs a value/],
      [['analyze', '--schema', '--query', query], /option --schema needs a value/],
      [['analyze', '--schema', schema], /--query <file> is required/],
      [['analyze', '--schema', schema, '--query', query, 'extra'], /Unexpected argument 'extra'/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, message);
      assert.equal(r.out, '');
    }
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
      [
        ['analyze', '--schema', schema, '--query', query, '--limits', '{"dept": 1}'],
        /invalid limits: limits\.dept: unknown option \(did you mean "depth"\?\)/,
      ],
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
    assert.equal(x.code, 2);
    assert.match(x.err, /unknown command "frob"\n\nUsage: rampart <command>/);
    const none = await run([]);
    assert.equal(none.code, 2);
    assert.match(none.err, /^Usage: rampart <command>/);
  });
  it('suggests the nearest command or option: exit 2', async () => {
    const typo = await run(['analyse', '--schema', schema]);
    assert.equal(typo.code, 2);
    assert.match(typo.err, /^rampart: unknown command "analyse" \(did you mean "rampart analyze"\?\)/);
    const partial = await run(['audit', '--key', 'k']);
    assert.equal(partial.code, 2);
    assert.match(partial.err, /unknown command "audit" \(did you mean "rampart audit verify"\?\)/);
    const misspelt = await run(['audit', 'verfy', 'a.log']);
    assert.match(misspelt.err, /unknown command "audit verfy a\.log" \(did you mean "rampart audit verify"\?\)/);
    const flag = await run(['--verison']);
    assert.equal(flag.code, 2);
    assert.match(flag.err, /^rampart: unknown option "--verison" \(did you mean "--version"\?\)/);
    assert.equal(flag.out, '');
  });
  it('--version and -v print the version of @rampart/cli', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    for (const flag of ['--version', '-v']) {
      const r = await run([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.out, `${manifest.version}\n`);
    }
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
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--schema <file> is required/);
  });
});
