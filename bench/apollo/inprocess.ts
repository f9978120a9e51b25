// CPU per request of the Apollo benchmark servers in-process (no socket, no load generator): each mode
// (a servers.ts mode, optionally `@<checkout>` to run another built checkout's) runs in its own child
// process (run the script under `taskset -c 1` to keep them on one core); rounds are interleaved (one child works at a time) and each
// figure is the median of the rounds in CPU µs per request (the small query; KIND=stack: QUERY), with its difference to the
// first mode. Steadier than the HTTP benchmark for comparing checkouts: CPU time does not depend on
// what else the machine runs as much as requests per second do.
// Usage: pnpm bench:apollo-inprocess  [MODES=bare,preset,preset@<checkout> ROUNDS=21 OPS=2000 KIND=apollo]
// KIND=stack: the servers of bench/stack (bare, peers, rampart, rampart:noaudit, …) with its token and one of
// its queries: QUERY=small (default), list100 or orders1000.
import { type ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';

const modes = (process.env.MODES ?? 'bare,preset').split(',');
const rounds = Number(process.env.ROUNDS ?? 21);
const ops = Number(process.env.OPS ?? 2000);
const here = resolve(new URL('../..', import.meta.url).pathname);
const child = new URL('./inprocess-child.ts', import.meta.url).pathname;

function start(spec: string): Promise<ChildProcess> {
  const at = spec.indexOf('@');
  const mode = at === -1 ? spec : spec.slice(0, at);
  const checkout = at === -1 ? here : resolve(process.env.INIT_CWD ?? process.cwd(), spec.slice(at + 1));
  const proc = fork(child, [checkout, mode, process.env.KIND ?? 'apollo'], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((ok, fail) => {
    proc.once('message', () => ok(proc));
    proc.once('exit', (code) => fail(new Error(`${spec} exited with ${code}`)));
  });
}

/** One round of `ops` requests in `proc`; fails when the child exits (a wrong answer ends it). */
function run(proc: ChildProcess): Promise<number> {
  return new Promise((ok, fail) => {
    const died = (code: number | null) => fail(new Error(`a server exited with ${code} (see its error above)`));
    proc.once('exit', died);
    proc.once('message', (m: { us: number }) => {
      proc.off('exit', died);
      ok(m.us);
    });
    proc.send({ ops });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const children: ChildProcess[] = [];
for (const m of modes) children.push(await start(m));
const figures = modes.map(() => [] as number[]);
try {
  for (const c of children) await run(c); // warm up
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [...children.keys()] : [...children.keys()].reverse();
    for (const i of order) figures[i]!.push(await run(children[i]!));
  }
} finally {
  for (const c of children) c.kill();
}
const ref = median(figures[0]!);
// paired: each round's figure over the first mode's in the same round (rounds run next to each other
// share the machine's state), so a slow stretch of the machine moves both sides of a ratio
const paired = (f: number[]) => median(f.map((x, r) => x / figures[0]![r]!));
console.log(
  '| mode | CPU µs per request (median) | range | − first mode (µs) | ratio to first | ratio to first, paired by round (range) |',
);
console.log('|---|---:|---:|---:|---:|---:|');
for (const [i, m] of modes.entries()) {
  const f = figures[i]!;
  const med = median(f);
  const ratios = f.map((x, r) => x / figures[0]![r]!);
  console.log(
    `| ${m} | ${med.toFixed(1)} | ${Math.min(...f).toFixed(1)}–${Math.max(...f).toFixed(1)} | ${(med - ref).toFixed(1)} | ${(med / ref).toFixed(3)} | ${paired(f).toFixed(3)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) |`,
  );
}
console.log(
  `\n(${rounds} interleaved rounds of ${ops} requests, one at a time${process.env.KIND === 'stack' ? `, query ${process.env.QUERY ?? 'small'}` : ''}; NODE_ENV=production)`,
);
