// graphql-ws benchmark: the server-side cost of a `subscribe` message and of each subscription event,
// graphql-ws alone versus graphql-ws + `security.graphqlWs()` with shield rules, scopes and audit (to a
// real file). graphql-ws's own server (`makeServer`) is driven through an in-memory socket, so the
// figures are the server's work only (no network, no client in the same process).
// Usage: pnpm bench:apollo-ws  [ROUNDS=5 SUBSCRIBES=2000 EVENTS=20000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { rampart } from '@rampart/apollo';
import { hashApiKey, rule, shield } from '@rampart/auth';
import type { GraphQLSchema } from 'graphql';
import { makeServer, type ServerOptions } from 'graphql-ws';

const rounds = Number(process.env.ROUNDS ?? 5);
const subscribes = Number(process.env.SUBSCRIBES ?? 2000);
const events = Number(process.env.EVENTS ?? 20_000);

const typeDefs = /* GraphQL */ `
  type Price { amount: Float!, currency: String! }
  type Tick { n: Int!, name: String!, price: Price!, stock: Int! }
  type Query { ok: Boolean }
  type Subscription { ticks(count: Int!): Tick! @requiresScopes(scopes: [["ticks:read"]]) }
`;

async function* ticks(count: number) {
  for (let n = 0; n < count; n++)
    yield { ticks: { n, name: `tick ${n}`, price: { amount: n / 10, currency: 'EUR' }, stock: n } };
}
const resolvers = { Subscription: { ticks: { subscribe: (_: unknown, a: { count: number }) => ticks(a.count) } } };

const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-ws-'));
const API_KEY = 'bench-key-0123456789abcdefghijklmnopqrstuvwxyz';

/** The Rampart server: an API key with the scope, a shield rule on Tick.price, audit to a file. */
async function guarded(): Promise<{ schema: GraphQLSchema; options: Partial<ServerOptions> }> {
  const security = rampart({
    authentication: {
      apiKeys: { keys: [{ clientId: 'bench', hash: hashApiKey(API_KEY), scopes: ['ticks:read'] }] },
    },
    rules: shield({ Tick: { price: rule('priced')(() => true) } }),
    audit: { destination: join(dir, 'audit.log') },
    logger: { warn() {}, error: (m) => console.error(m) },
  });
  // one connection sends every subscribe of the run: the per-connection message budget is lifted
  const options = security.graphqlWs({ maxMessagesPerSecond: 1_000_000 });
  const schema = security.transformSchema(makeExecutableSchema({ typeDefs: [security.typeDefs, typeDefs], resolvers }));
  return { schema, options: options as Partial<ServerOptions> };
}

function bare(): { schema: GraphQLSchema; options: Partial<ServerOptions> } {
  const plain = typeDefs.replace(' @requiresScopes(scopes: [["ticks:read"]])', '');
  return { schema: makeExecutableSchema({ typeDefs: plain, resolvers }), options: {} };
}

/** One connection to `makeServer` over an in-memory socket, acknowledged. */
async function connect(server: { schema: GraphQLSchema; options: Partial<ServerOptions> }) {
  const made = makeServer({ schema: server.schema, ...server.options } as ServerOptions);
  let handler: ((data: string) => Promise<void>) | undefined;
  const waiting = new Map<string, () => void>();
  let nexts = 0;
  const socket = {
    protocol: 'graphql-transport-ws',
    send(data: string) {
      // only `complete` messages matter here: they end a subscription
      if (data.includes('"type":"complete"')) {
        const id = JSON.parse(data).id as string;
        waiting.get(id)?.();
        waiting.delete(id);
      } else if (data.includes('"type":"error"') || data.includes('"errors"')) throw new Error(data);
      else if (data.includes('"type":"next"')) nexts++;
    },
    close(code?: number, reason?: string) {
      throw new Error(`closed ${code} ${reason}`);
    },
    onMessage(cb: (data: string) => Promise<void>) {
      handler = cb;
    },
  };
  const extra = { socket, request: { headers: { 'x-api-key': API_KEY }, socket: { remoteAddress: '127.0.0.1' } } };
  made.opened(socket, extra);
  await handler!(JSON.stringify({ type: 'connection_init', payload: {} }));
  let next = 0;
  /** Runs one subscription to its end; checks every event reached the client. */
  return async (query: string, expected: number): Promise<void> => {
    const id = String(next++);
    const done = new Promise<void>((resolve) => waiting.set(id, resolve));
    nexts = 0;
    await handler!(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
    await done;
    if (nexts !== expected) throw new Error(`expected ${expected} events, got ${nexts}`);
  };
}

const QUERY = (count: number) => `subscription { ticks(count: ${count}) { n name price { amount currency } stock } }`;

/** µs per subscribe (a subscription of one event), and µs per event (one subscription of `events`). */
async function measure(server: { schema: GraphQLSchema; options: Partial<ServerOptions> }) {
  const subscribe = await connect(server);
  const one = QUERY(1);
  // the subscription cap (20 active) is never reached: each runs to its end before the next
  let t = performance.now();
  for (let i = 0; i < subscribes; i++) await subscribe(one, 1);
  const perSubscribe = ((performance.now() - t) * 1000) / subscribes;
  const many = QUERY(events);
  t = performance.now();
  await subscribe(many, events);
  const perEvent = ((performance.now() - t) * 1000) / events;
  return { perSubscribe, perEvent };
}

const servers = { bare: bare(), rampart: await guarded() };
// warm-up
for (const s of Object.values(servers)) await measure(s);
const samples: Record<string, { perSubscribe: number[]; perEvent: number[] }> = {
  bare: { perSubscribe: [], perEvent: [] },
  rampart: { perSubscribe: [], perEvent: [] },
};
for (let r = 0; r < rounds; r++) {
  // interleaved, the order swapped every round: drift on a shared machine hits both alike
  const order = Object.entries(servers);
  if (r % 2 === 1) order.reverse();
  for (const [name, s] of order) {
    const m = await measure(s);
    samples[name]!.perSubscribe.push(m.perSubscribe);
    samples[name]!.perEvent.push(m.perEvent);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Each round's ratio (Rampart / alone, measured in the same round), then their median and range. */
const ratios = (key: 'perSubscribe' | 'perEvent') => {
  const rs = samples.rampart![key].map((x, i) => x / samples.bare![key][i]!).sort((a, b) => a - b);
  return `${median(rs).toFixed(2)}x (rounds ${rs[0]!.toFixed(2)}–${rs.at(-1)!.toFixed(2)})`;
};
const b = { s: median(samples.bare!.perSubscribe), e: median(samples.bare!.perEvent) };
const g = { s: median(samples.rampart!.perSubscribe), e: median(samples.rampart!.perEvent) };
console.log(`graphql-ws ${rounds} rounds (medians), ${subscribes} subscribes, ${events} events per round`);
console.log('| server | µs per subscribe (1 event) | µs per event |');
console.log('|---|---:|---:|');
console.log(`| graphql-ws alone | ${b.s.toFixed(1)} | ${b.e.toFixed(2)} |`);
console.log(`| graphql-ws + security.graphqlWs() (rules, scopes, audit) | ${g.s.toFixed(1)} | ${g.e.toFixed(2)} |`);
console.log(`| ratio, median of the rounds' ratios | ${ratios('perSubscribe')} | ${ratios('perEvent')} |`);
rmSync(dir, { recursive: true, force: true });
