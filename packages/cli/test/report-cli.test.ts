import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { rampart, workspace } from './bin.js';
import { brief, HOSTILE_SDL, SHOP } from './report-fixtures.js';

const ws = workspace('rampart-report-cli-');
after(() => rmSync(ws.dir, { recursive: true, force: true }));
ws.file('hostile.graphql', HOSTILE_SDL);
ws.file('broken.graphql', 'type Query { a: Nope }\n');
ws.file('no-export.mjs', 'export const nothing = 1;\n');
ws.file('throws.mjs', 'throw new Error("boom");\n');
ws.file('foreign-rules.mjs', 'export default { rules: { Query: {} } };\n');
ws.file(
  'wrong-rules.mjs',
  `import { allow, shield } from ${JSON.stringify(new URL('../../auth/src/index.ts', import.meta.url).pathname)};
export default { rules: shield({ Nope: allow }) };
`,
);

const run = (args: string[]) => rampart(['report', ...args], ws.dir);

describe('rampart report: text and --out', () => {
  it('prints the summary, each finding with its fix, and every coordinate', () => {
    const r = run(['--schema', 'hostile.graphql']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    assert.deepEqual(lines.slice(0, 6), [
      'rampart report: 10 coordinates, 6 findings: 3 high, 2 medium, 1 low',
      'schema: hostile.graphql',
      '',
      'Findings',
      '  HIGH   Mutation.deleteUser  [unprotected-mutation]',
      '         mutation Mutation.deleteUser has no rule, scope, policy or @authenticated: anyone may call it',
    ]);
    assert.ok(lines.includes('Coordinates'));
    assert.ok(
      lines.some((l) => /^ {2}Query\.me +@authenticated$/.test(l)),
      r.out,
    );
    assert.ok(
      lines.some((l) => /^ {2}User\.email +public; @sensitive \(high\)$/.test(l)),
      r.out,
    );
  });
  it('--out writes the report to a file and prints the summary', () => {
    const r = run(['--schema', 'hostile.graphql', '--format', 'json', '--out', 'report.json']);
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out,
      'rampart report: 10 coordinates, 6 findings: 3 high, 2 medium, 1 low (written to report.json)\n',
    );
    assert.equal(JSON.parse(readFileSync(join(ws.dir, 'report.json'), 'utf8')).summary.high, 3);
  });
  it('--out into a folder that does not exist is a usage error (2)', () => {
    const r = run(['--schema', 'hostile.graphql', '--out', 'missing/dir/report.json']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^rampart report: cannot write --out missing\/dir\/report\.json: ENOENT/);
  });
});

describe('rampart report: --fail-on and exit codes', () => {
  it('exits 1 when a finding is at the threshold or worse, 0 otherwise', () => {
    assert.equal(run(['--schema', 'hostile.graphql', '--fail-on', 'high']).code, 1);
    assert.equal(run(['--schema', 'hostile.graphql', '--fail-on', 'low']).code, 1);
    const shop = run(['--schema', SHOP.schema, '--config', SHOP.config, '--fail-on', 'high']);
    assert.equal(shop.code, 0, shop.err);
    assert.equal(run(['--schema', SHOP.schema, '--config', SHOP.config, '--fail-on', 'low']).code, 1);
  });
  it('the shop with its options has no high finding; its rules are read', () => {
    const r = run(['--schema', SHOP.schema, '--config', SHOP.config, '--format', 'json']);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out);
    assert.equal(report.summary.high, 0);
    assert.deepEqual(report.findings.filter((f: any) => f.severity === 'medium').map(brief), [
      'medium Cart.items unbounded-list',
      'medium Order.items unbounded-list',
    ]);
    const email = report.coordinates.find((c: any) => c.coordinate === 'Customer.email');
    assert.deepEqual(email.rules, ['or(isCustomerThemself,isAdmin)']);
    assert.deepEqual(email.scopes, [[['profile'], ['customers:pii']]]);
  });
});

describe('rampart report: bad input (exit 2)', () => {
  const cases: [string, string[], RegExp][] = [
    ['no --schema', [], /--schema <file\|dir\|glob> is required/],
    [
      'an unknown format',
      ['--schema', 'hostile.graphql', '--format', 'pdf'],
      /--format is one of text, json, html, not "pdf"/,
    ],
    [
      'an unknown severity',
      ['--schema', 'hostile.graphql', '--fail-on', 'critical'],
      /--fail-on is one of high, medium, low/,
    ],
    ['a missing schema file', ['--schema', 'nope.graphql'], /cannot read schema file "nope\.graphql"/],
    ['an invalid schema', ['--schema', 'broken.graphql'], /invalid schema: broken\.graphql: Unknown type "Nope"/],
    ['a missing config', ['--schema', 'hostile.graphql', '--config', 'nope.mjs'], /cannot load --config nope\.mjs/],
    [
      'a config that throws',
      ['--schema', 'hostile.graphql', '--config', 'throws.mjs'],
      /cannot load --config throws\.mjs: boom/,
    ],
    [
      'a config without options',
      ['--schema', 'hostile.graphql', '--config', 'no-export.mjs'],
      /must export the options object/,
    ],
    [
      'rules that are not a shield',
      ['--schema', 'hostile.graphql', '--config', 'foreign-rules.mjs'],
      /"rules" must be the result of shield/,
    ],
    [
      'rules naming a missing type',
      ['--schema', 'hostile.graphql', '--config', 'wrong-rules.mjs'],
      /the rules do not fit the schema: .*"Nope" is not in the schema/,
    ],
    [
      'an unknown option',
      ['--schema', 'hostile.graphql', '--fial-on', 'high'],
      /unknown option "--fial-on" \(did you mean "--fail-on"\?\)/,
    ],
  ];
  for (const [name, args, message] of cases) {
    it(name, () => {
      const r = run(args);
      assert.equal(r.code, 2, r.out);
      assert.match(r.err, message);
      assert.equal(r.out, '');
    });
  }
  it('the report is written by --out only when the run succeeds', () => {
    run(['--schema', 'broken.graphql', '--out', 'never.json']);
    assert.throws(() => readFileSync(join(ws.dir, 'never.json')), /ENOENT/);
  });
});
