// Per-call cost of @rateLimit on a field inside a 1,000-item list, in-process (graphql execute, no HTTP):
//   bare               — no directive
//   rampart memory     — @rampart/rate-limit, MemoryStore (the wrapper stays synchronous)
//   rampart redis      — @rampart/rate-limit, RedisStore (one EVALSHA per call: 1,000 per request)
//   peer memory        — graphql-rate-limit-directive 2.0.6 + RateLimiterMemory (rate-limiter-flexible 5)
// Limits are high enough that every call is admitted. Each variant runs in its own child process (so the
// JIT sees one store only, as in production); rounds are interleaved; best (min) per variant.
// Usage: node --conditions=source --import tsx bench/rate-limit/list.ts  [ROUNDS=5 REPS=20]
import { execFileSync } from 'node:child_process';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { attachSecurityState, createPrincipal, SecurityState } from '@rampart/core';
import { rateLimitModule, redisStore } from '@rampart/rate-limit';
import { execute, type GraphQLSchema, parse } from 'graphql';
import { rateLimitDirective } from 'graphql-rate-limit-directive';
import { RateLimiterMemory } from 'rate-limiter-flexible';

const rounds = Number(process.env.ROUNDS ?? 5);
const reps = Number(process.env.REPS ?? 20);
const items = Array.from({ length: 1000 }, (_, i) => ({ id: i, price: i * 10 }));
const sdl = (directive: string) => `
  type Item { id: Int! price: Int ${directive} }
  type Query { items: [Item!]! }
`;
const resolvers = { Query: { items: () => items } };
const document = parse('{ items { id price } }');

const names = ['bare', 'rampart memory', 'rampart redis', 'peer memory'] as const;
const only = process.argv[2];

if (!only) {
  // parent: interleave child runs, print the table
  const best: Record<string, number> = {};
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const out = execFileSync(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', new URL(import.meta.url).pathname, name],
        {
          env: { ...process.env, NODE_ENV: 'production' },
        },
      );
      best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, Number(out.toString().trim()));
    }
  }
  const bare = best.bare!;
  console.log('| variant | ms per request (1,000 calls) | ratio to bare | overhead per call |');
  console.log('|---|---:|---:|---:|');
  for (const name of names) {
    const ms = best[name]!;
    console.log(`| ${name} | ${ms.toFixed(2)} | ${(ms / bare).toFixed(2)} | ${(ms - bare).toFixed(2)} µs |`);
  }
  console.log(
    `\n(${rounds} interleaved rounds, one child process per variant and round, ${reps} requests each after 10 warm-up requests; best per variant)`,
  );
  process.exit(0);
}

let schema: GraphQLSchema;
let close = async () => {};
if (only === 'bare') schema = makeExecutableSchema({ typeDefs: sdl(''), resolvers });
else if (only === 'rampart memory') {
  const m = rateLimitModule({});
  schema = m.transformSchema!(
    makeExecutableSchema({ typeDefs: [m.typeDefs!, sdl('@rateLimit(limit: 1000000000, duration: 60)')], resolvers }),
  );
} else if (only === 'rampart redis') {
  const store = redisStore(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  await store.ready();
  const m = rateLimitModule({ store, prefix: 'rampart:bench-list:' });
  schema = m.transformSchema!(
    makeExecutableSchema({ typeDefs: [m.typeDefs!, sdl('@rateLimit(limit: 1000000000, duration: 60)')], resolvers }),
  );
  close = async () => {
    const keys = await store.client.keys('rampart:bench-list:*');
    if (keys.length) await store.client.del(...keys);
    await store.close();
  };
} else {
  const { rateLimitDirectiveTypeDefs, rateLimitDirectiveTransformer } = rateLimitDirective({
    limiterClass: RateLimiterMemory,
    keyGenerator: (_args, _source, _a, ctx: any, info) => `${ctx.user}:${info.parentType.name}.${info.fieldName}`,
  });
  schema = rateLimitDirectiveTransformer(
    makeExecutableSchema({
      typeDefs: [rateLimitDirectiveTypeDefs, sdl('@rateLimit(limit: 1000000000, duration: 60)')],
      resolvers,
    }),
  );
}

const principal = createPrincipal({ id: 'bench', kind: 'user', authMethod: 'jwt' });
async function once(schema: GraphQLSchema): Promise<void> {
  const ctx: Record<string, unknown> = { user: 'bench' };
  attachSecurityState(ctx, new SecurityState({ principal }));
  const r = await execute({ schema, document, contextValue: ctx });
  if (r.errors) throw new Error(r.errors[0]!.message);
}
async function time(n: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i++) await once(schema);
  return (performance.now() - t) / n;
}
const n = reps;
await time(10); // warm up
const ms = await time(n);
await close();
process.stdout.write(`${ms}\n`);
process.exit(0);
