// The whole suite over HTTP (issue 16): bare Apollo, bare Apollo without its cache-control plugin, the peer
// stack (graphql-armor + graphql-depth-limit + graphql-shield on graphql-middleware +
// graphql-rate-limit-directive + a pino audit plugin + jose) and Rampart with everything on, on the same
// schema, data and bearer token (sent on every request; RS256 by default, see token.ts), on three queries.
// Every server runs in its own child process; by default all are loaded in the same seconds (CONCURRENT=1)
// and pinned to CPU 1 (PIN=1; this load generator then pins itself to CPU 0), so the machine's drift
// hits every server alike. Ratios are taken per round against bare Apollo in the same round.
// Usage: pnpm bench:stack  [ROUNDS=3 DURATION=5 CONNECTIONS=10 QUERIES=small,list100,orders1000
//                           MODES=bare,bare:nocache,peers,rampart PIN=1 CONCURRENT=1 TOKEN_ALG=RS256
//                           ORDERS_DURATION=<3 × DURATION> ORDERS_CONNECTIONS=<CONNECTIONS>]
// More modes: rampart:noaudit, rampart:noauth, rampart:chained, rampart:nowrite, rampart:sync, rampart:nodeadline (see servers.ts).
// `<mode>@<checkout>` runs another built checkout's server of that mode (an A/B in one run).
// The first mode is the reference. SERVER_NODE_ARGS: Node options for every server (e.g. --single-threaded-gc).
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { load, measure, median, peakRssMiB, ratioCells, type ServerProcess, startServer } from '../lib/http-load.js';
import { benchQueries } from './schema.js';
import { prepareBenchToken, TOKEN_ALG } from './token.js';

const rounds = Number(process.env.ROUNDS ?? 3);
const duration = Number(process.env.DURATION ?? 5);
// the 1,000-order list: each response takes a large share of a second on a shared core, so its loads
// run ORDERS_DURATION seconds (default 3 × DURATION) for enough completed responses per round
const durationOf = (q: string) => (q === 'orders1000' ? Number(process.env.ORDERS_DURATION ?? duration * 3) : duration);
const connections = Number(process.env.CONNECTIONS ?? 10);
// ORDERS_CONNECTIONS: fewer responses in flight on the 1,000-order list (default CONNECTIONS)
const connectionsOf = (q: string) =>
  q === 'orders1000' ? Number(process.env.ORDERS_CONNECTIONS ?? connections) : connections;
const pin = (process.env.PIN ?? '1') === '1';
const concurrent = (process.env.CONCURRENT ?? '1') === '1';
const queryNames = (process.env.QUERIES ?? 'small,list100,orders1000').split(',');
const modes = (process.env.MODES ?? 'bare,bare:nocache,peers,rampart').split(',');
for (const q of queryNames) if (!benchQueries[q]) throw new Error(`unknown query ${q}`);

const labels: Record<string, string> = {
  bare: 'bare Apollo',
  'bare:nocache': 'bare Apollo, no cache-control plugin',
  peers: 'peer stack',
  rampart: 'Rampart, everything on',
  'rampart:noaudit': 'Rampart without audit',
  'rampart:noauth': 'Rampart without authentication',
  'rampart:chained': 'Rampart, chained audit (the shop)',
  'rampart:nowrite': 'Rampart, audit records not written',
  'rampart:sync': "Rampart, audit durability 'sync'",
  'rampart:nodeadline': 'Rampart without audit and execution deadline',
};
const label = (spec: string) => {
  const at = spec.indexOf('@');
  const m = at === -1 ? spec : spec.slice(0, at);
  return `${labels[m] ?? m}${at === -1 ? '' : ` (${spec.slice(at + 1)})`}`;
};

// PIN=1: this load generator (all its threads) on CPU 0, the servers on CPU 1
if (pin) execFileSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });

const headers = { authorization: `Bearer ${await prepareBenchToken()}` };
const script = new URL('./server.ts', import.meta.url).pathname;

/** The server script and mode of a mode spec: this checkout's, or `<mode>@<checkout>`, another built checkout's. */
function serverOf(spec: string): { script: string; mode: string } {
  const at = spec.indexOf('@');
  if (at === -1) return { script, mode: spec };
  const checkout = resolve(process.env.INIT_CWD ?? process.cwd(), spec.slice(at + 1));
  return { script: `${checkout}/bench/stack/server.ts`, mode: spec.slice(0, at) };
}

/**
 * Sends each query once to every server: each must answer without errors and with the same data as
 * the reference, so that every server does the same work.
 */
async function checkSameAnswers(servers: Record<string, ServerProcess>): Promise<void> {
  for (const q of queryNames) {
    const bodies: Record<string, string> = {};
    for (const m of modes) {
      const res = await fetch(servers[m]!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: benchQueries[q] }),
      });
      const body = (await res.json()) as { data?: unknown; errors?: unknown };
      if (res.status !== 200 || body.errors)
        throw new Error(`${m} on ${q}: ${res.status} ${JSON.stringify(body.errors)}`);
      bodies[m] = JSON.stringify(body.data);
    }
    for (const m of modes) if (bodies[m] !== bodies[modes[0]!]) throw new Error(`${m} answers ${q} differently`);
  }
}

/** Per query and mode: requests/s, requests per CPU-second and p99 (ms) of each round; peak RSS after the phase. */
interface Figures {
  rate: number[];
  perCpu: number[];
  p99: number[];
  rssMiB: number;
}

const servers: Record<string, ServerProcess> = {};
const figures: Record<string, Record<string, Figures>> = {};
try {
  for (const m of modes) {
    const server = serverOf(m);
    servers[m] = await startServer(server.script, [server.mode], pin);
  }
  await checkSameAnswers(servers);
  for (const q of queryNames) {
    const query = benchQueries[q]!;
    figures[q] = Object.fromEntries(modes.map((m) => [m, { rate: [], perCpu: [], p99: [], rssMiB: Number.NaN }]));
    await Promise.all(modes.map((m) => load(servers[m]!.url, query, 1, connectionsOf(q), headers))); // warm up
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? modes : [...modes].reverse();
      const results = concurrent
        ? await Promise.all(order.map((m) => measure(servers[m]!, query, durationOf(q), connectionsOf(q), headers)))
        : await order.reduce(
            async (acc, m) => [
              ...(await acc),
              await measure(servers[m]!, query, durationOf(q), connectionsOf(q), headers),
            ],
            Promise.resolve([] as Awaited<ReturnType<typeof measure>>[]),
          );
      for (const [i, m] of order.entries()) {
        const f = figures[q]![m]!;
        f.rate.push(results[i]!.rate);
        f.perCpu.push(results[i]!.perCpu);
        // no response completed: no latency to report (and a warning below)
        f.p99.push(results[i]!.total > 0 ? results[i]!.p99 : Number.NaN);
      }
    }
    for (const m of modes) figures[q]![m]!.rssMiB = peakRssMiB(servers[m]!.child.pid);
  }
} finally {
  for (const s of Object.values(servers)) s.child.kill('SIGTERM');
}
printTables();

function printTables(): void {
  const [ref, ...others] = modes as [string, ...string[]];
  const cell = (xs: number[], refs: number[]) => {
    const [med, range] = ratioCells(xs, refs).split(' | ');
    return `${med} (${range})`;
  };
  const head = (first: string, cols: string[]) =>
    console.log(
      `| query | ${first}${cols.map((m) => ` | ${label(m)}`).join('')} |\n|---|${'---:|'.repeat(cols.length + 1)}`,
    );
  console.log(`\nRequests/s as a ratio of ${label(ref)}'s in the same round: median (range of rounds)\n`);
  head(`${label(ref)} req/s`, others);
  for (const q of queryNames) {
    const f = figures[q]!;
    console.log(
      `| ${q} | ${median(f[ref]!.rate).toFixed(0)} | ${others.map((m) => cell(f[m]!.rate, f[ref]!.rate)).join(' | ')} |`,
    );
  }
  console.log(`\nRequests per CPU-second of the server, as a ratio of ${label(ref)}'s: median (range of rounds)\n`);
  head(`${label(ref)} req/CPU-s`, others);
  for (const q of queryNames) {
    const f = figures[q]!;
    console.log(
      `| ${q} | ${median(f[ref]!.perCpu).toFixed(0)} | ${others.map((m) => cell(f[m]!.perCpu, f[ref]!.perCpu)).join(' | ')} |`,
    );
  }
  if (modes.includes('peers') && modes.includes('rampart')) {
    console.log('\nRampart, everything on, against the peer stack (requests/s, same round): median (range)\n');
    console.log(`| query | Rampart ÷ peer stack |\n|---|---:|`);
    for (const q of queryNames) console.log(`| ${q} | ${cell(figures[q]!.rampart!.rate, figures[q]!.peers!.rate)} |`);
  }
  const p99 = (xs: number[]) => {
    const done = xs.filter((x) => !Number.isNaN(x));
    return done.length ? median(done).toFixed(1) : 'n/a';
  };
  console.log('\np99 latency, ms (median of rounds)\n');
  head(label(ref), others);
  for (const q of queryNames) {
    console.log(`| ${q} | ${modes.map((m) => p99(figures[q]![m]!.p99)).join(' | ')} |`);
  }
  console.log('\nPeak RSS of the server after each phase, MiB (VmHWM: the peak since it started)\n');
  head(label(ref), others);
  for (const q of queryNames) {
    console.log(`| after ${q} | ${modes.map((m) => figures[q]![m]!.rssMiB.toFixed(0)).join(' | ')} |`);
  }
  for (const q of queryNames) {
    const starved = modes.filter((m) => figures[q]![m]!.rate.some((r) => r === 0));
    if (starved.length)
      console.log(
        `\nWARNING: on ${q}, ${starved.map(label).join(', ')} completed no request in a round: raise DURATION.`,
      );
  }
  console.log(
    `\n(${rounds} ${concurrent ? 'concurrent' : 'interleaved'} rounds of ${duration} s (orders1000: ${durationOf('orders1000')} s), ${connections} connections per server (orders1000: ${connectionsOf('orders1000')}); NODE_ENV=production; every request with the same ${TOKEN_ALG} bearer token${pin ? '; servers pinned to CPU 1, load generator to CPU 0' : ''}; per CPU-second: requests per second of the server's CPU time, all threads)`,
  );
}
