// Hostile documents against the shop on rampart(): HTTP status, error code, and the longest event-loop
// block while each is handled (monitorEventLoopDelay, 1 ms resolution), in-process over real HTTP.
// The server is warmed up with 20 ordinary queries; each document is measured on its first and third send.
// Usage: pnpm bench:apollo-hostile
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createShop } from '@rampart/example-shop/app';

export const hostileDocuments: Record<string, string> = {
  '5,000-level nested query': `{ ${'node(id: "x") { ... on Category { products { category { '.repeat(1250)}id${' } } } }'.repeat(1250)} }`,
  '10,000-alias query': `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: categories { id }`).join(' ')} }`,
  '30-level fragment DAG (each spreads the next twice)': `query Q { categories { ...F0 } }\n${Array.from(
    { length: 30 },
    (_, i) => `fragment F${i} on Category { ...F${i + 1} products { category { ...F${i + 1} } } }`,
  ).join('\n')}\nfragment F30 on Category { id }`,
  '10,000-fragment linear chain': `query Q { categories { ...F0 } }\n${Array.from(
    { length: 10_000 },
    (_, i) => `fragment F${i} on Category { ...F${i + 1} }`,
  ).join('\n')}\nfragment F10000 on Category { id }`,
};

const shop = await createShop();
const server = new ApolloServer(shop.apolloConfig);
const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' }, context: shop.context });
// warm up (JIT, first-request setup) with an ordinary query, so the figures are about the documents
for (let i = 0; i < 20; i++) {
  await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ categories { id name } }' }),
  });
}
console.log('| document | size | HTTP status | code | longest event-loop block, first send | third send |');
console.log('|---|---:|---:|---|---:|---:|');
async function send(query: string) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
  await new Promise((r) => setTimeout(r, 5));
  h.disable();
  return { status: res.status, code: body.errors?.[0]?.extensions?.code, blockMs: h.max / 1e6 };
}
for (const [name, query] of Object.entries(hostileDocuments)) {
  const first = await send(query);
  await send(query);
  const third = await send(query);
  const size = `${(query.length / 1024).toFixed(1)} KB`;
  console.log(
    `| ${name} | ${size} | ${third.status} | ${third.code} | ${first.blockMs.toFixed(1)} ms | ${third.blockMs.toFixed(1)} ms |`,
  );
}
await server.stop();
