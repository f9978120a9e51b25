/** Runs one tool on one hostile case (in a child process, so the parent can time it out). */
import { parse } from 'graphql';
import { hostileCorpus } from '../../packages/limits/test/corpus.ts';
import { shopSchema } from '../../packages/limits/test/fixtures.ts';
import { type ToolName, toolRunner } from './tools.ts';

const tool = process.argv[2] as ToolName;
const index = Number(process.argv[3]);
const send = (m: object) => process.stdout.write(`${JSON.stringify(m)}\n`);
const c = hostileCorpus()[index];
try {
  if (!c) throw new Error(`no case ${index}`);
  const schema = shopSchema();
  const doc = parse(c.query, { maxTokens: 10_000_000 });
  const run = toolRunner(tool, schema, c.variables);
  // Warm-up on a small valid document, then the hostile one: first (cold) run, then the median of 5.
  const small = parse('{ me { id } }');
  for (let i = 0; i < 50; i++) run(small);
  let t = performance.now();
  const verdict = run(doc);
  const cold = performance.now() - t;
  const warm: number[] = [];
  if (cold < 2000) {
    for (let i = 0; i < 5; i++) {
      t = performance.now();
      run(doc);
      warm.push(performance.now() - t);
    }
  }
  warm.sort((a, b) => a - b);
  send({ ok: true, ms: cold, warm: warm[Math.floor(warm.length / 2)], verdict });
} catch (e) {
  send({ ok: false, error: (e as Error).message?.slice(0, 80) ?? String(e) });
}
