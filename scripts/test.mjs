#!/usr/bin/env node
// Runs every test file of the workspace with Node's own test runner (through tsx, against the
// TypeScript sources via the "source" export condition). Node 20's --test takes no globs, so the
// files are found here. Usage: node scripts/test.mjs [--coverage] [path-filter ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const coverage = args.includes('--coverage');
const filters = args.filter((a) => !a.startsWith('--'));
const roots = ['packages', 'examples', 'test'];
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.test\.ts$/.test(name)) files.push(relative(root, p));
  }
}
for (const r of roots) {
  try {
    walk(join(root, r));
  } catch {}
}
const selected = files.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (selected.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const nodeArgs = [
  '--conditions=source',
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
];
if (coverage) nodeArgs.push('--experimental-test-coverage');
const r = spawnSync(process.execPath, [...nodeArgs, ...selected], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test' },
});
process.exit(r.status ?? 1);
