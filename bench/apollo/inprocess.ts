// In-process A/B of the servers.ts modes on the shop's small query: the whole Apollo pipeline
// (executeHTTPGraphQLRequest, context function included), without sockets. Batches alternate between
// modes; the figure is the median µs per operation of each mode and the median of per-batch ratios.
// Usage: MODES=bare,preset BATCHES=40 OPS=4000 taskset -c 1 node --import tsx bench/apollo/inprocess.ts
import { HeaderMap } from '@apollo/server';
import { buildServer } from './servers.js';

const modes = (process.env.MODES ?? 'bare,preset').split(',');
const batches = Number(process.env.BATCHES ?? 40);
const ops = Number(process.env.OPS ?? 4000);
const query = '{ product(id: "prod-7") { id name price { amount currency } stock } }';

const runners: Record<string, () => Promise<unknown>> = {};
for (const m of modes) {
  const { server, context } = await buildServer(m);
  await server.start();
  const req = {
    headers: { 'content-type': 'application/json', host: 'localhost' },
    socket: { remoteAddress: '127.0.0.1' },
  };
  runners[m] = () =>
    server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: 'POST',
        headers: new HeaderMap([['content-type', 'application/json']]),
        search: '',
        body: { query },
      },
      context: () => context({ req }),
    });
  const r = (await runners[m]!()) as { status?: number; body: { kind: string; string?: string } };
  if (r.body.kind !== 'complete' || !r.body.string?.includes('"stock"')) throw new Error(`${m}: ${JSON.stringify(r)}`);
}

async function batch(run: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await run();
  return Number(process.hrtime.bigint() - t0) / 1000 / ops;
}

for (const m of modes) for (let i = 0; i < 5; i++) await batch(runners[m]!); // warm up
const times: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
for (let b = 0; b < batches; b++) {
  const order = b % 2 === 0 ? modes : [...modes].reverse();
  for (const m of order) times[m]!.push(await batch(runners[m]!));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const [ref, ...others] = modes as [string, ...string[]];
console.log(`${ref}: ${median(times[ref]!).toFixed(2)} µs/op`);
for (const m of others) {
  const ratios = times[m]!.map((t, i) => times[ref]![i]! / t);
  const diffs = times[m]!.map((t, i) => t - times[ref]![i]!);
  console.log(
    `${m}: ${median(times[m]!).toFixed(2)} µs/op, +${median(diffs).toFixed(2)} µs, throughput ratio ${median(ratios).toFixed(3)}`,
  );
}
process.exit(0);
