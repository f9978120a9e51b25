import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { LIBRARY_OPERATIONS, LIBRARY_SDL, rampart, workspace } from './bin.js';

const ws = workspace('rampart-analyze-out-');
after(() => rmSync(ws.dir, { recursive: true, force: true }));
for (const [name, text] of Object.entries({ ...LIBRARY_SDL, ...LIBRARY_OPERATIONS })) ws.file(name, text);

const base = ['analyze', '--schema', 'schema', 'ops'];
const COST_MESSAGE = 'Operation estimated cost is 400, over the maximum of 100.';

function run(args: string[]) {
  return rampart([...base, ...args], ws.dir);
}

function report(args: string[], code = 0): any {
  const r = run([...args, '--json']);
  assert.equal(r.code, code, r.err);
  return JSON.parse(r.out);
}

describe('rampart analyze: variables', () => {
  it('--variable-bounds by name gives the worst case; a coordinate bound wins over a name', () => {
    const byName = report(['--variable-bounds', 'first<=100']).operations[0];
    assert.deepEqual(
      [byName.status, byName.assumedVariables, byName.measures.cost, byName.measures.fieldCost],
      ['ok', { n: 100 }, 400, 301],
    );
    const byCoordinate = report(['--variable-bounds', 'first<=100,Query.books(first:)<=7']).operations[0];
    // 7 books x (Book 1 + Author 1 + name 2); IBM: 1 call + 7 x (author 1 + name 2)
    assert.deepEqual(
      [byCoordinate.assumedVariables, byCoordinate.measures.cost, byCoordinate.measures.fieldCost],
      [{ n: 7 }, 28, 22],
    );
    const given = report(['--variable-bounds', 'first<=100', '--variables', '{"n": 2}']).operations[0];
    assert.deepEqual([given.assumedVariables, given.measures.cost], [{}, 8]);
  });
  it('without a value or a bound, a slicing variable is unbounded (not the default list size)', () => {
    const r = report([]);
    const [list, one] = r.operations;
    assert.equal(list.status, 'unbounded');
    assert.deepEqual(list.unbounded, ['Query.books(first:)']);
    assert.equal(list.measures.cost, null);
    assert.equal(list.measures.fieldCost, null);
    assert.equal(one.status, 'ok');
    assert.deepEqual(r.summary, { operations: 2, ok: 1, violation: 0, unbounded: 1, invalid: 0, maxCost: 4 });
  });
});

describe('rampart analyze: limits and exit codes', () => {
  it('--fail-on-violation exits 2 on a violation or an unbounded operation; without it, 0', () => {
    const over = ['--variable-bounds', 'first<=100', '--max-cost', '100'];
    const r = report(over);
    assert.equal(r.operations[0].status, 'violation');
    assert.deepEqual(r.operations[0].violations, [
      { rule: 'cost', code: 'COST_ESTIMATED_TOO_EXPENSIVE', measured: 400, max: 100, message: COST_MESSAGE },
    ]);
    assert.equal(run([...over, '--fail-on-violation']).code, 2);
    assert.equal(run(['--fail-on-violation']).code, 2);
    assert.equal(run(['--variable-bounds', 'first<=100', '--fail-on-violation']).code, 0);
  });
  it('--config reads the limits of a Rampart options module (.mjs, .ts); flags win over it', () => {
    ws.file('rampart.config.mjs', 'export default { limits: { depth: 1, cost: { max: 10 } } };\n');
    ws.file(
      'rampart.config.ts',
      'const options: { limits: { depth: number } } = { limits: { depth: 1 } };\nexport default options;\n',
    );
    const mjs = report(['--variable-bounds', 'first<=1', '--config', 'rampart.config.mjs']);
    assert.deepEqual(
      mjs.operations.map((o: { violations: { rule: string }[] }) => o.violations.map((v) => v.rule)),
      [['depth'], ['depth']],
    );
    const overridden = report(['--variable-bounds', 'first<=5', '--config', 'rampart.config.mjs', '--max-depth', '5']);
    assert.deepEqual(
      overridden.operations[0].violations.map((v: { rule: string }) => v.rule),
      ['cost'],
    );
    const ts = report(['--variable-bounds', 'first<=1', '--config', 'rampart.config.ts']);
    assert.equal(ts.operations[0].violations[0].code, 'MAX_DEPTH_LIMIT');
    const missing = run(['--config', 'nope.mjs']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot load --config nope\.mjs/);
  });
  it('--baseline: the operations whose cost or requirements grew, exit 3', () => {
    const bounds = ['--variable-bounds', 'first<=5'];
    ws.file('baseline.json', run([...bounds, '--json']).out);
    ws.file(
      'schema2/query.graphql',
      LIBRARY_SDL['schema/query.graphql'].replace(
        'requireOneSlicingArgument: false)',
        'requireOneSlicingArgument: false) @authenticated',
      ),
    );
    ws.file(
      'schema2/types.graphql',
      LIBRARY_SDL['schema/types.graphql'].replace('@cost(weight: 2)', '@cost(weight: 5)'),
    );
    const same = run([...bounds, '--baseline', 'baseline.json']);
    assert.equal(same.code, 0, same.err);
    assert.match(same.out, /baseline baseline\.json: nothing grew/);
    const r = rampart(
      ['analyze', '--schema', 'schema2', 'ops', ...bounds, '--baseline', 'baseline.json', '--json'],
      ws.dir,
    );
    assert.equal(r.code, 3, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.summary.grew, 2);
    assert.deepEqual(
      out.baseline.grew.map((g: { key: string; message: string }) => [g.key, g.message]),
      [
        ['ops/books.graphql#List', 'cost grew from 20 to 35'],
        ['ops/books.graphql#List', 'fieldCost grew from 16 to 31'],
        ['ops/books.graphql#List', 'new requirements: authenticated'],
        ['ops/books.graphql#One', 'cost grew from 4 to 7'],
        ['ops/books.graphql#One', 'fieldCost grew from 4 to 7'],
      ],
    );
  });
});

describe('rampart analyze: output formats', () => {
  const over = ['--variable-bounds', 'first<=100', '--max-cost', '100'];
  it('table (default): a row per operation, findings and requirements under it, a summary', () => {
    const r = run(over);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    assert.equal(lines[0], 'status     operation  depth  height  aliases  roots  directives  tokens  cost  fieldCost');
    assert.equal(lines[1], 'violation  List           2       4        0      1           0      32   400        301');
    assert.equal(lines[3], `  COST_ESTIMATED_TOO_EXPENSIVE: ${COST_MESSAGE}`);
    assert.ok(lines.includes('  requires: authenticated'));
    assert.ok(lines.includes('2 operations: 1 ok, 1 over a limit, 0 unbounded, 0 invalid; largest cost 400'));
  });
  it('--explain: the cost each field adds', () => {
    const r = report(['--operation-name', 'One', '--explain']);
    assert.deepEqual(r.operations[0].explain, [
      { path: 'book', coordinate: 'Query.book', cost: 4, fieldCost: 4 },
      { path: '...BookFields.title', coordinate: 'Book.title', cost: 0, fieldCost: 0 },
      { path: '...BookFields.author', coordinate: 'Book.author', cost: 3, fieldCost: 3 },
      { path: '...BookFields.author.name', coordinate: 'Author.name', cost: 2, fieldCost: 2 },
    ]);
  });
  it('JUnit XML: a test case per operation, a failure per finding', () => {
    const r = run([...over, '--format', 'junit']);
    assert.equal(r.code, 0, r.err);
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(r.out);
    const suite = xml.testsuites.testsuite;
    assert.deepEqual([suite.tests, suite.failures, suite.errors], ['2', '1', '0']);
    assert.deepEqual(suite.testcase[0].failure, {
      type: 'COST_ESTIMATED_TOO_EXPENSIVE',
      message: COST_MESSAGE,
      '#text': COST_MESSAGE,
    });
    assert.deepEqual(suite.testcase[1], { classname: 'ops/books.graphql', name: 'One' });
  });
  it('SARIF 2.1.0: a result per finding, located in the operation file', () => {
    const r = run(['--format', 'sarif']);
    assert.equal(r.code, 0, r.err);
    const sarif = JSON.parse(r.out);
    assert.equal(sarif.version, '2.1.0');
    const run0 = sarif.runs[0];
    assert.equal(run0.tool.driver.name, 'rampart analyze');
    assert.deepEqual(
      run0.tool.driver.rules.map((x: { id: string }) => x.id),
      ['UNBOUNDED_SLICING'],
    );
    assert.equal(run0.results.length, 1);
    assert.deepEqual(run0.results[0].locations[0].physicalLocation, {
      artifactLocation: { uri: 'ops/books.graphql' },
      region: { startLine: 1, startColumn: 1 },
    });
    assert.equal(run0.results[0].ruleId, 'UNBOUNDED_SLICING');
    assert.equal(run0.results[0].level, 'error');
    assert.deepEqual(run0.results[0].partialFingerprints, { operation: 'ops/books.graphql#List' });
  });
});
