#!/usr/bin/env node
/**
 * The packaging check (CI): packs every publishable package as `pnpm publish` would, installs the
 * tarballs into a fresh npm project outside the workspace (dependencies from the npm registry, as a
 * new user gets them), then
 *   1. checks each tarball's contents (no build info, no `source` export condition, a built `dist`),
 *   2. imports every package from ESM and `require()`s it from CommonJS (Node ≥ 20.19 `require(esm)`),
 *   3. serves one request through `rampart()` with schema directives (the installed graphql-tools),
 *   4. runs the installed `rampart --version`,
 *   5. typechecks an ESM and a CommonJS TypeScript consumer (`module: nodenext`), and a CommonJS one on
 *      the classic resolution (`module: commonjs`, `moduleResolution: node10`).
 * Usage: node scripts/check-packages.mjs [--keep]   (--keep leaves the temporary project for a look)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const PNPM = ['-y', 'pnpm@12.21.0'];

const packages = fs
  .readdirSync(path.join(root, 'packages'))
  .map((dir) => ({ dir: path.join(root, 'packages', dir) }))
  .filter(({ dir }) => fs.existsSync(path.join(dir, 'package.json')))
  .map(({ dir }) => ({ dir, manifest: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => !manifest.private);

function run(command, args, cwd, options = {}) {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  } catch (error) {
    process.stderr.write(`\n✗ ${command} ${args.join(' ')} (in ${path.relative(root, cwd) || '.'})\n`);
    process.stderr.write(`${error.stdout ?? ''}${error.stderr ?? ''}\n`);
    process.exit(1);
  }
}

function step(title) {
  process.stdout.write(`• ${title}\n`);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-packages-'));
const tarballs = path.join(work, 'tarballs');
const project = path.join(work, 'consumer');
fs.mkdirSync(tarballs);
fs.mkdirSync(project);

step(`building and packing ${packages.length} packages`);
run('npx', ['tsc', '-b'], root);
for (const { dir } of packages) run('npx', [...PNPM, 'pack', '--pack-destination', tarballs], dir);
const files = fs.readdirSync(tarballs).filter((f) => f.endsWith('.tgz'));
if (files.length !== packages.length) throw new Error(`expected ${packages.length} tarballs, got ${files.length}`);

step('checking tarball contents');
for (const file of files) {
  const listing = run('tar', ['-tzf', path.join(tarballs, file)], work).split('\n');
  const manifest = JSON.parse(run('tar', ['-xzOf', path.join(tarballs, file), 'package/package.json'], work));
  const problems = [];
  if (listing.some((entry) => entry.endsWith('.tsbuildinfo'))) problems.push('ships a .tsbuildinfo');
  if (!listing.includes('package/dist/index.js')) problems.push('has no dist/index.js');
  if (!listing.includes('package/dist/index.d.ts')) problems.push('has no dist/index.d.ts');
  if (JSON.stringify(manifest.exports).includes('"source"')) problems.push('exports a `source` condition');
  if (JSON.stringify(manifest).includes('workspace:')) problems.push('keeps a workspace: range');
  for (const field of ['repository', 'homepage', 'keywords', 'license', 'engines']) {
    if (manifest[field] === undefined) problems.push(`has no ${field}`);
  }
  if (problems.length > 0) {
    process.stderr.write(`✗ ${file}: ${problems.join('; ')}\n`);
    process.exit(1);
  }
}

step('installing the tarballs into a fresh npm project');
fs.writeFileSync(
  path.join(project, 'package.json'),
  JSON.stringify({ name: 'rampart-consumer', private: true, version: '0.0.0' }, null, 2),
);
const typescriptVersion = JSON.parse(
  fs.readFileSync(path.join(root, 'node_modules/typescript/package.json'), 'utf8'),
).version;
run(
  'npm',
  [
    'install',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    ...files.map((f) => path.join(tarballs, f)),
    'graphql@16',
    '@apollo/server@5',
    'graphql-ws@6',
    '@graphql-tools/schema@10',
    `typescript@${typescriptVersion}`,
    '@types/node@20',
  ],
  project,
);

const names = packages.map(({ manifest }) => manifest.name);

step('importing every package from ESM and requiring it from CommonJS');
fs.writeFileSync(
  path.join(project, 'esm.mjs'),
  `${names.map((n, i) => `import * as m${i} from '${n}';`).join('\n')}\n` +
    `for (const m of [${names.map((_, i) => `m${i}`).join(', ')}]) if (Object.keys(m).length === 0) throw new Error('empty module');\n`,
);
fs.writeFileSync(
  path.join(project, 'cjs.cjs'),
  `for (const n of ${JSON.stringify(names)}) { const m = require(n); if (Object.keys(m).length === 0) throw new Error(n); }\n`,
);
run('node', ['esm.mjs'], project);
run('node', ['cjs.cjs'], project);

step('serving one request through rampart() with schema directives');
fs.writeFileSync(
  path.join(project, 'serve.mjs'),
  `import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { rampart } from '@rampart/apollo';
const security = rampart({ limits: { depth: 5 }, scopes: {} });
const typeDefs = 'type Query { hello: String @cost(weight: 2) secret: String @requiresScopes(scopes: [["admin"]]) }';
const schema = security.transformSchema(
  makeExecutableSchema({ typeDefs: [security.typeDefs, typeDefs], resolvers: { Query: { hello: () => 'world', secret: () => 's' } } }),
);
const server = new ApolloServer({ schema, ...security.serverOptions, plugins: [...security.plugins] });
await server.start();
const contextValue = await security.context()({ req: { headers: {}, socket: { remoteAddress: '127.0.0.1' } } });
const ok = await server.executeOperation({ query: '{ hello }' }, { contextValue });
if (ok.body.singleResult.data?.hello !== 'world') throw new Error(JSON.stringify(ok.body));
const denied = await server.executeOperation({ query: '{ hello secret }' }, { contextValue: await security.context()({ req: { headers: {}, socket: { remoteAddress: '127.0.0.1' } } }) });
const codes = (denied.body.singleResult.errors ?? []).map((e) => e.extensions?.code);
if (!codes.includes('UNAUTHORIZED_FIELD_OR_TYPE')) throw new Error(JSON.stringify(denied.body));
await server.stop();
`,
);
run('node', ['serve.mjs'], project);

step('running the installed rampart command');
const version = run(path.join(project, 'node_modules/.bin/rampart'), ['--version'], project).trim();
const cli = packages.find(({ manifest }) => manifest.name === '@rampart/cli');
if (cli && !version.includes(cli.manifest.version)) throw new Error(`rampart --version printed "${version}"`);

step('typechecking ESM and CommonJS TypeScript consumers');
const imports = names.map((n, i) => `import * as m${i} from '${n}';`).join('\n');
const uses = `export const modules = [${names.map((_, i) => `m${i}`).join(', ')}];\n`;
fs.mkdirSync(path.join(project, 'ts'));
fs.writeFileSync(path.join(project, 'ts/esm.mts'), `${imports}\n${uses}`);
fs.writeFileSync(path.join(project, 'ts/cjs.cts'), `${imports}\n${uses}`);
fs.writeFileSync(
  path.join(project, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      strict: true,
      noEmit: true,
      types: ['node'],
      skipLibCheck: false,
    },
    include: ['ts'],
  }),
);
run(path.join(project, 'node_modules/.bin/tsc'), ['-p', '.'], project);
// a CommonJS project still on the classic resolution (`module: commonjs`, `moduleResolution: node10`)
fs.mkdirSync(path.join(project, 'legacy'));
fs.writeFileSync(path.join(project, 'legacy/index.ts'), `${imports}\n${uses}`);
fs.writeFileSync(
  path.join(project, 'tsconfig.legacy.json'),
  JSON.stringify({
    compilerOptions: {
      module: 'commonjs',
      moduleResolution: 'node10',
      target: 'es2022',
      strict: true,
      noEmit: true,
      types: ['node'],
    },
    include: ['legacy'],
  }),
);
run(path.join(project, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.legacy.json'], project);

if (keep) process.stdout.write(`kept ${work}\n`);
else fs.rmSync(work, { recursive: true, force: true });
process.stdout.write(`✓ ${names.length} packages pack, install, import (ESM and CommonJS), serve and typecheck\n`);
