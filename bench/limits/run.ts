/**
 * Operation analysis benchmark: @rampart/limits' analyzeOperation versus graphql-depth-limit +
 * graphql-query-complexity (as validation rules, together) and graphql-armor's depth, alias,
 * directive and cost rules, on a realistic corpus (the shop's operations plus introspection) and on
 * the hostile corpus of issue 3 (each tool in a worker thread with a timeout, so hangs and crashes
 * are reported, not suffered). Also the linearity of our analysis in document size.
 *
 * Run: pnpm build && node --import tsx bench/limits/run.ts [--write]
 * (without the `source` condition, so @rampart/limits is the built package, as in production)
 * (--write also writes bench/results/limits.md.)
 */

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { analyzeLimits } from '@rampart/limits';
import { parse } from 'graphql';
import { hostileCorpus, realisticCorpus } from '../../packages/limits/test/corpus.ts';
import { shopSchema } from '../../packages/limits/test/fixtures.ts';
import { TOOLS, type ToolName, toolRunner } from './tools.ts';

const schema = shopSchema();

/** Mean µs per call: warm-up, then batches until `ms` elapsed; the median batch mean. */
function time(fn: () => void, ms = 400): number {
  for (let i = 0; i < 50; i++) fn();
  const batches: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end || batches.length < 5) {
    const t = performance.now();
    for (let i = 0; i < 20; i++) fn();
    batches.push(((performance.now() - t) / 20) * 1000);
  }
  batches.sort((a, b) => a - b);
  return batches[Math.floor(batches.length / 2)] as number;
}

const fmt = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);

const lines: string[] = [];
const out = (s = '') => {
  lines.push(s);
  console.log(s);
};

// 1. Realistic corpus.
out('## Realistic corpus (time per analysis, median of batch means)');
out();
out(
  `| operation | rampart analyzeOperation | depth-limit + query-complexity | ratio | graphql-armor (4 rules) | ratio |`,
);
out('|---|---|---|---|---|---|');
const totals: Record<ToolName, number> = { rampart: 0, 'depth-limit+query-complexity': 0, armor: 0 };
for (const op of realisticCorpus()) {
  const doc = parse(op.query);
  const row: Record<string, number> = {};
  for (const tool of TOOLS) {
    const run = toolRunner(tool, schema, op.variables);
    row[tool] = time(() => run(doc));
    totals[tool] += row[tool] as number;
  }
  const r = row.rampart as number;
  const p = row['depth-limit+query-complexity'] as number;
  const a = row.armor as number;
  out(`| ${op.name} | ${fmt(r)} | ${fmt(p)} | ${(p / r).toFixed(1)}x | ${fmt(a)} | ${(a / r).toFixed(1)}x |`);
}
const tr = totals.rampart;
out(
  `| **whole corpus** | **${fmt(tr)}** | **${fmt(totals['depth-limit+query-complexity'])}** | **${(totals['depth-limit+query-complexity'] / tr).toFixed(1)}x** | **${fmt(totals.armor)}** | **${(totals.armor / tr).toFixed(1)}x** |`,
);
out();

// 2. Hostile corpus, each tool in a worker with a timeout.
const TIMEOUT_MS = 10_000;
/** Runs one tool on one hostile case in a child process, killed (by its pid) after the timeout. */
function inChild(tool: ToolName, index: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, new URL('./hostile-worker.ts', import.meta.url).pathname, tool, String(index)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) process.kill(child.pid, 'SIGKILL');
    }, TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return resolve(`hang (> ${TIMEOUT_MS / 1000} s, killed)`);
      try {
        const m = JSON.parse(stdout.trim().split('\n').pop() ?? '') as {
          ok: boolean;
          ms?: number;
          warm?: number;
          error?: string;
          verdict?: string;
        };
        const warm = m.warm === undefined ? '' : ` / ${m.warm.toFixed(2)} ms`;
        resolve(m.ok ? `${(m.ms as number).toFixed(2)} ms${warm} (${m.verdict})` : `crash: ${m.error}`);
      } catch {
        const last =
          stderr
            .trim()
            .split('\n')
            .filter((l) => /Error/.test(l))
            .pop() ?? `exit ${code ?? signal}`;
        resolve(`crash: ${last.slice(0, 80)}`);
      }
    });
  });
}

out('## Hostile corpus (first run / median of 5 further runs, after a warm-up on a small document; parsing not timed)');
out();
out('| case | rampart | depth-limit + query-complexity | graphql-armor (4 rules) |');
out('|---|---|---|---|');
const hostile = hostileCorpus();
for (let i = 0; i < hostile.length; i++) {
  const cells: string[] = [];
  for (const tool of TOOLS) cells.push(await inChild(tool, i));
  out(`| ${hostile[i]?.name} | ${cells.join(' | ')} |`);
}
out();

// 3. Linearity of our analysis.
out('## Linearity of analyzeOperation (time per analysis as the document doubles)');
out();
out('| document | n | time | ratio to previous |');
out('|---|---|---|---|');
const shapes: [string, (n: number) => string][] = [
  [
    'linear fragment chain (n fragments)',
    (n) =>
      `{ catalog { categories { ...F0 } } } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Category { children { ...F${i + 1} } }`).join(' ')} fragment F${n} on Category { name }`,
  ],
  [
    'aliased sibling fields (n fields)',
    (n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`,
  ],
  [
    'list literal argument (n items)',
    (n) => `{ byIds(ids: [${Array.from({ length: n }, () => '"1"').join(',')}]) { id } }`,
  ],
];
for (const [name, make] of shapes) {
  let prev: number | undefined;
  for (const n of [2_500, 5_000, 10_000, 20_000, 40_000]) {
    const doc = parse(make(n), { maxTokens: 10_000_000 });
    const us = time(() => analyzeLimits(schema, doc), 300);
    out(`| ${name} | ${n} | ${fmt(us)} | ${prev ? `${(us / prev).toFixed(2)}x` : ''} |`);
    prev = us;
  }
}
out();

if (process.argv.includes('--write')) {
  const header = `# @rampart/limits benchmark

Command: \`pnpm build && node --import tsx bench/limits/run.ts --write\`
Date: ${new Date().toISOString()}; Node ${process.version}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; graphql 16, graphql-depth-limit 1.1.0, graphql-query-complexity 2.0.0, @escape.tech/graphql-armor 3.2.0.
The machine is shared and noisy: compare the ratios within one run, not absolute times across runs.

- rampart: \`analyzeOperation\` (depth, height, aliases, root fields, directives, introspection depth, Apollo and IBM cost) — the plugin's work on a document-cache miss; a hit is one LRU lookup.
- depth-limit + query-complexity: \`validate(schema, doc, [depthLimit(10), createComplexityRule({ simpleEstimator, fieldExtensionsEstimator })])\`, the usual pair.
- graphql-armor: \`validate(schema, doc, new ApolloArmor(...).protect().validationRules)\` — its maxDepth, maxAliases, maxDirectives and costLimit rules.
`;
  writeFileSync(new URL('../results/limits.md', import.meta.url), `${header}\n${lines.join('\n')}\n`);
}
