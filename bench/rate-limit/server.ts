// A small store API for the rate-limit benchmarks, in its own process. Mode (argv[2]):
//   bare    — no rate limiting
//   memory  — operation limit + cost budget + monthly quota on a MemoryStore (limits high enough to admit
//             all), the package's defaults otherwise (no RateLimit headers or extensions.cost on admitted responses)
//   memory-informative — memory, with the RateLimit headers and extensions.cost on every response
//   redis   — the same three policies on a RedisStore (REDIS_URL or 127.0.0.1:6379, prefix rampart:bench:)
//   burn    — like noop, but the plugin spends BURN_US (default 3) µs of CPU per operation
//   noop    — the rate-limit schema, and a plugin with the same hooks doing nothing (the floor)
//   memory-noheaders / memory-noext — memory-informative without the headers / without the extension
// A mode may end in `@<path>`: the rate-limit package is then loaded from that module (to compare a
// previous version of the sources side by side), e.g. `memory@/tmp/rate-limit-before/src/index.ts`.
// Prints the URL on stdout once listening.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { attachSecurityState, createPrincipal, SecurityState } from '@rampart/core';
import type { RateLimitOptions } from '@rampart/rate-limit';

// `<mode>#<n>` runs another copy of a mode (e.g. `bare#2`: how far two identical servers differ)
const [mode = 'bare', impl] = (process.argv[2] ?? 'bare').replace(/#\d+$/, '').split('@');
const { rateLimitModule, redisStore } = (await import(
  impl ?? '@rampart/rate-limit'
)) as typeof import('@rampart/rate-limit');
const typeDefs = /* GraphQL */ `
  type Price { amount: Int! currency: String! }
  type Product { id: ID! name: String! price: Price! stock: Int! }
  type Query { product(id: ID!): Product products(first: Int!): [Product!]! }
`;
const products = Array.from({ length: 1000 }, (_, i) => ({
  id: `prod-${i}`,
  name: `Product ${i}`,
  price: { amount: 100 + i, currency: 'EUR' },
  stock: i % 17,
}));
const resolvers = {
  Query: {
    product: (_: unknown, a: { id: string }) => products.find((p) => p.id === a.id) ?? null,
    products: (_: unknown, a: { first: number }) => products.slice(0, a.first),
  },
};
const policies: Partial<RateLimitOptions> = {
  prefix: 'rampart:bench:',
  operation: { limit: 1_000_000_000, duration: 60 },
  costBudget: { maximumAvailable: 1_000_000_000, restoreRate: 1_000_000 },
  quotas: [{ name: 'monthly', period: 'month', limit: 1_000_000_000 }],
};
let schema = makeExecutableSchema({ typeDefs, resolvers });
const plugins = [];
if (mode !== 'bare') {
  const informative = mode === 'memory-informative' || mode === 'memory-noheaders' || mode === 'memory-noext';
  const mod = rateLimitModule({
    ...policies,
    ...(informative && mode !== 'memory-noheaders' ? { headers: true } : {}),
    ...(informative && mode !== 'memory-noext'
      ? { costBudget: { ...policies.costBudget!, exposeExtension: true } }
      : {}),
    ...(mode === 'redis' ? { store: redisStore(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') } : {}),
  });
  schema = mod.transformSchema!(makeExecutableSchema({ typeDefs: [mod.typeDefs!, typeDefs], resolvers }));
  plugins.push(...mod.plugins!);
}
if (mode === 'burn') {
  // a plugin that only spends BURN_US µs of CPU per operation (calibrates what a few µs cost over HTTP)
  const us = Number(process.env.BURN_US ?? 3);
  plugins.length = 0;
  plugins.push({
    async requestDidStart() {
      return {
        async didResolveOperation() {
          const end = performance.now() + us / 1000;
          while (performance.now() < end);
        },
        async willSendResponse() {},
      };
    },
  });
}
if (mode === 'noop') {
  // the floor: a plugin with the same two hooks that does nothing (what any such plugin costs in Apollo)
  plugins.length = 0;
  plugins.push({
    async requestDidStart() {
      return { async didResolveOperation() {}, async willSendResponse() {} };
    },
  });
}
const server = new ApolloServer({ schema, plugins });
const { url } = await startStandaloneServer(server, {
  listen: { port: 0, host: '127.0.0.1' },
  // what rampart().context does: a principal per request (here an API client by header)
  context: async ({ req }) => {
    const ctx = {};
    const id = String(req.headers['x-client'] ?? 'bench');
    attachSecurityState(
      ctx,
      new SecurityState({
        principal: createPrincipal({
          id,
          kind: 'service',
          clientId: id,
          authMethod: 'api-key',
          ip: req.socket.remoteAddress,
        }),
      }),
    );
    return ctx;
  },
});
process.stdout.write(`${url}\n`);
// exit cleanly on SIGTERM, so `node --cpu-prof` writes its profile
process.on('SIGTERM', () => process.exit(0));
