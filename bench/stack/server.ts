// Child process of bench/stack: serves one mode of servers.ts and prints its URL.
// Usage: node --import tsx bench/stack/server.ts bare|bare:nocache|peers|rampart|rampart:noaudit|rampart:noauth
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildStackServer } from './servers.js';

const { server, context } = await buildStackServer(process.argv[2] ?? '');
const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' }, context });
process.stdout.write(`${url}\n`);
process.on('SIGTERM', () => server.stop().finally(() => process.exit(0)));
