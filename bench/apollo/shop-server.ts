// Child process for the HTTP benchmarks: serves one of servers.ts's modes and prints its URL.
// Usage: node --import tsx bench/apollo/shop-server.ts bare|preset|rampart|preset:<variant>
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildServer } from './servers.js';

const { server, context } = await buildServer(process.argv[2] ?? '');
const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' }, context });
process.stdout.write(`${url}\n`);
process.on('SIGTERM', () => server.stop().finally(() => process.exit(0)));
