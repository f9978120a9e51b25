// Shared parts of the HTTP benchmarks (bench/apollo/http.ts, bench/stack/run.ts): servers as child
// processes (optionally pinned to CPU 1), autocannon loads, the server's CPU time and peak RSS from /proc,
// and the per-round ratios.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/** A server child process and its GraphQL endpoint. */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
}

/**
 * Starts `script` (a TypeScript file printing its URL on its first line of output) with `args` in a
 * child process, NODE_ENV=production. `pin`: on CPU 1 (run the load generator under `taskset -c 0`):
 * one core each for the load generator and the servers, so the scheduler does not add its own noise.
 * SERVER_NODE_ARGS: Node options put before the script (space-separated, e.g. `--single-threaded-gc`).
 */
export async function startServer(script: string, args: string[], pin: boolean): Promise<ServerProcess> {
  const nodeArgs = (process.env.SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const argv = [...nodeArgs, '--import', 'tsx', script, ...args];
  const child = spawn(pin ? 'taskset' : process.execPath, pin ? ['-c', '1', process.execPath, ...argv] : argv, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  // a server that exits before printing its URL (a configuration error) fails the run instead of hanging it
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${script} ${args.join(' ')} exited with ${code} before printing its URL (see its error above)`);
  });
  const [chunk] = (await Promise.race([once(child.stdout!, 'data'), exited])) as [Buffer];
  exited.catch(() => {});
  return { url: `${chunk.toString().trim().replace(/\/$/, '')}/graphql`, child };
}

/**
 * CPU time a process has run, all threads (Linux `schedstat`, nanoseconds); NaN where unavailable.
 * Requests per CPU-second is the server's work per request: unlike requests/s it does not move when
 * the scheduler gives a server more or less of the core (its GC threads, a neighbour's burst).
 */
export function cpuNs(pid: number | undefined): number {
  try {
    let ns = 0;
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    }
    return ns;
  } catch {
    return Number.NaN;
  }
}

/** Peak resident set size of a process since it started (`VmHWM`, MiB); NaN where unavailable. */
export function peakRssMiB(pid: number | undefined): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** One autocannon load: mean requests/s, total requests, p99 latency (ms). */
export interface LoadResult {
  rate: number;
  total: number;
  p99: number;
}

/** POSTs `query` to `url` for `seconds` over `connections` connections; any non-2xx or error throws. */
export async function load(
  url: string,
  query: string,
  seconds: number,
  connections: number,
  headers: Record<string, string> = {},
): Promise<LoadResult> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
    connections,
    duration: seconds,
    // a slow server under a shared core must not be counted as failing (autocannon's default is 10 s)
    timeout: 60,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rate: result.requests.average, total: result.requests.total, p99: result.latency.p99 };
}

/** Loads a server for `seconds` and returns its figures plus requests per CPU-second of the server. */
export async function measure(
  server: ServerProcess,
  query: string,
  seconds: number,
  connections: number,
  headers: Record<string, string> = {},
): Promise<LoadResult & { perCpu: number }> {
  const pid = server.child.pid;
  const before = cpuNs(pid);
  const result = await load(server.url, query, seconds, connections, headers);
  return { ...result, perCpu: result.total / ((cpuNs(pid) - before) / 1e9) };
}

/** The median (the upper one of an even count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Each round's ratio to the reference measured in the same round: `median | min–max` of those. Rounds
 * where either side completed nothing (a load shorter than one response) are left out; `n/a` if all are.
 */
export function ratioCells(xs: number[], refs: number[]): string {
  const ratios = xs
    .map((x, i) => x / refs[i]!)
    .filter((r) => Number.isFinite(r) && r > 0)
    .sort((a, b) => a - b);
  if (ratios.length === 0) return 'n/a | n/a';
  return `${median(ratios).toFixed(3)} | ${ratios[0]!.toFixed(2)}–${ratios.at(-1)!.toFixed(2)}`;
}
