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
    assert.equal(JSON.parse(r.stdout).operations[0].measures.cost, 4);
    const bad = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', bin, 'analyze'], {
      encoding: 'utf8',
    });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--schema <file\|glob> is required/);
  });
});
