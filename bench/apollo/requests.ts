// Serves one benchmark server (servers.ts) in this process and sends it N small-query requests over
// real HTTP (keep-alive, 4 in flight) from this same process, then exits. Run under callgrind by
// instructions.ts: the instruction count does not depend on what else the shared machine is doing.
// Usage: node --import tsx bench/apollo/requests.ts <mode> <N>
import { Agent, request } from 'node:http';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildServer } from './servers.js';

const [mode = 'bare', n = '1000'] = process.argv.slice(2);
const { server, context } = await buildServer(mode);
const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' }, context });
const body = JSON.stringify({ query: '{ product(id: "prod-7") { id name price { amount currency } stock } }' });
const agent = new Agent({ keepAlive: true, maxSockets: 4 });
const target = new URL('/graphql', url);

function post(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let left = Number(n);
await Promise.all(
  Array.from({ length: 4 }, async () => {
    while (left-- > 0) await post();
  }),
);
agent.destroy();
await server.stop();
