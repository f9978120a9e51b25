import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { rampart, workspace } from './bin.js';
import { brief, HOSTILE_OPTIONS, HOSTILE_SDL, RULED_OPTIONS } from './report-fixtures.js';

const ws = workspace('rampart-report-');
after(() => rmSync(ws.dir, { recursive: true, force: true }));
ws.file('schema/hostile.graphql', HOSTILE_SDL);
ws.file('hostile.mjs', HOSTILE_OPTIONS);
ws.file('ruled.mjs', RULED_OPTIONS);

function report(args: string[], code = 0): any {
  const r = rampart(['report', '--schema', 'schema', '--format', 'json', ...args], ws.dir);
  assert.equal(r.code, code, r.err);
  return JSON.parse(r.out);
}

const HOSTILE_FINDINGS = [
  'high Mutation.deleteUser unprotected-mutation',
  'high Mutation.login login-without-rate-limit',
  'high User.email unprotected-pii',
  'medium Mutation.login(password:) pii-not-sensitive',
  'medium Query.tags unbounded-list',
  'low User.manager recursive-type',
];

describe('rampart report: findings', () => {
  it('lists each finding class of the hostile schema once, worst first, with a message and a fix', () => {
    const r = report([]);
    assert.deepEqual(r.findings.map(brief), HOSTILE_FINDINGS);
    assert.deepEqual(r.summary, { coordinates: 10, findings: 6, high: 3, medium: 2, low: 1 });
    for (const f of r.findings) assert.ok(f.message.length > 0 && f.fix.length > 0, f.rule);
    assert.equal(r.tool.name, 'rampart report');
    assert.deepEqual(r.sources, { schema: ['schema/hostile.graphql'] });
  });
  it('lists every coordinate with what protects it (type-level and field-level)', () => {
    const r = report([]);
    assert.deepEqual(
      r.coordinates.map((c: any) => c.coordinate),
      [
        'Mutation.deleteUser',
        'Mutation.deleteUser(id:)',
        'Mutation.login',
        'Mutation.login(password:)',
        'Mutation.login(username:)',
        'Query.me',
        'Query.tags',
        'User.email',
        'User.id',
        'User.manager',
      ],
    );
    const email = r.coordinates.find((c: any) => c.coordinate === 'User.email');
    assert.deepEqual([email.sensitive, email.authenticated, email.worst], [true, false, 'high']);
    assert.equal(email.description, 'Contact <script>alert(1)</script> & more');
    const me = r.coordinates.find((c: any) => c.coordinate === 'Query.me');
    assert.deepEqual([me.authenticated, me.rules, me.scopes], [true, [], []]);
  });
  it('--config: introspection on and the depth limit off are high', () => {
    const r = report(['--config', 'hostile.mjs']);
    assert.deepEqual(r.findings.map(brief), [
      'high config introspection-enabled',
      ...HOSTILE_FINDINGS.slice(0, 3),
      'high User.manager recursive-type',
      ...HOSTILE_FINDINGS.slice(3, 5),
    ]);
    assert.equal(r.sources.config, 'hostile.mjs');
  });
  it('--config: shield rules, brute-force guards and depth overrides protect', () => {
    const r = report(['--config', 'ruled.mjs']);
    assert.deepEqual(r.findings.map(brief), [
      'high User.email unprotected-pii',
      'medium Mutation.login(password:) pii-not-sensitive',
      'medium Query.tags unbounded-list',
    ]);
    const del = r.coordinates.find((c: any) => c.coordinate === 'Mutation.deleteUser');
    assert.deepEqual(del.rules, ['isAdmin']);
    const login = r.coordinates.find((c: any) => c.coordinate === 'Mutation.login');
    assert.deepEqual(login.rateLimits, ['brute-force guard']);
    const manager = r.coordinates.find((c: any) => c.coordinate === 'User.manager');
    assert.equal(manager.depthOverride, 3);
  });
});
