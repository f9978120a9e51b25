// A CPU profile of one bench/stack server under load, summed by function: where a mode's time goes.
// Usage: pnpm bench:stack-profile  [MODE=rampart QUERY=small DURATION=20 TOP=40 KEEP=<folder>]
// KEEP: the .cpuprofile is left in that folder (for a closer look, e.g. in Chrome's DevTools).
// The server runs with `node --cpu-prof`; the load generator (autocannon, 10 connections) runs here. The
// table lists self time per function (file:line), as a share of the server's samples, and per package.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from '../lib/http-load.js';
import { benchQueries } from './schema.js';
import { prepareBenchToken } from './token.js';

const mode = process.env.MODE ?? 'rampart';
const query = benchQueries[process.env.QUERY ?? 'small']!;
const seconds = Number(process.env.DURATION ?? 20);
const top = Number(process.env.TOP ?? 40);
const headers = { authorization: `Bearer ${await prepareBenchToken()}` };

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const dir = process.env.KEEP ?? mkdtempSync(join(tmpdir(), 'rampart-profile-'));
const script = new URL('./server.ts', import.meta.url).pathname;
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', script, mode], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, NODE_ENV: 'production' },
});
const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
const url = `${chunk.toString().trim().replace(/\/$/, '')}/graphql`;
await load(url, query, 3, 10, headers); // warm up
const result = await load(url, query, seconds, 10, headers);
child.kill('SIGTERM');
await once(child, 'exit');

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const id of profile.samples) {
  const { functionName, url: source, lineNumber } = byId.get(id)!.callFrame;
  const short = source
    .replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '')
    .replace(/^.*\/packages\//, '@rampart/');
  const key = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + 1);
  const pkg = /^@rampart\/[^/]+/.exec(short)?.[0] ?? (/^(@[^/]+\/[^/]+|[^/(]+)\//.exec(short)?.[1] || functionName);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + 1);
}
const total = profile.samples.length;
const share = (n: number) => `${((100 * n) / total).toFixed(1)} %`;
console.log(`${mode}, ${process.env.QUERY ?? 'small'}: ${Math.round(result.rate)} req/s, ${total} samples\n`);
console.log('| package | self time |\n|---|---:|');
for (const [k, n] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`| ${k} | ${share(n)} |`);
console.log('\n| function | self time |\n|---|---:|');
for (const [k, n] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${k} | ${share(n)} |`);
