// Instructions per request (valgrind's callgrind: counts, not seconds, so the figure does not move
// with the load of the shared machine). For each mode, requests.ts runs twice under callgrind, with
// N and 2N requests; (I(2N) − I(N)) / N is the cost of one request, server and client (the client's
// share is the same for every mode). Requires valgrind and compiled packages (`npx tsc -b`).
// Usage: node --import tsx apollo/instructions.ts  [MODES=bare,preset N=2000]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const modes = (process.env.MODES ?? 'bare,preset').split(',');
const n = Number(process.env.N ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'rampart-callgrind-'));
const script = new URL('./requests.ts', import.meta.url).pathname;

function instructions(mode: string, count: number): number {
  const out = join(dir, `${mode.replace(/[^a-z0-9]/gi, '_')}-${count}.out`);
  execFileSync(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${out}`,
      process.execPath,
      '--import',
      'tsx',
      script,
      mode,
      String(count),
    ],
    { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  const m = /^summary:\s+(\d+)/m.exec(readFileSync(out, 'utf8')) ?? /^totals:\s+(\d+)/m.exec(readFileSync(out, 'utf8'));
  if (!m) throw new Error(`no total in ${out}`);
  return Number(m[1]);
}

const perRequest: Record<string, number> = {};
for (const mode of modes) perRequest[mode] = (instructions(mode, 2 * n) - instructions(mode, n)) / n;
const ref = perRequest[modes[0]!]!;
console.log(`| server | instructions per request | vs ${modes[0]} |`);
console.log('|---|---:|---:|');
for (const mode of modes) {
  const x = perRequest[mode]!;
  console.log(`| ${mode} | ${Math.round(x).toLocaleString('en')} | ${(x / ref).toFixed(3)} |`);
}
console.log(`\n(callgrind, ${n} and ${2 * n} requests per mode, NODE_ENV=production)`);
