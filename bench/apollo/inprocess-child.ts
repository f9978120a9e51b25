// Child of inprocess.ts: builds one server of a checkout's bench/apollo/servers.ts and, on each
// message { ops }, runs that many small-query requests through Apollo's HTTP pipeline in this process
// (`executeHTTPGraphQLRequest` with the server's context function: everything but the socket), one at a
// time, and answers with the CPU microseconds per request.
// Usage (by inprocess.ts): node --import tsx bench/apollo/inprocess-child.ts <checkout> <mode> [apollo|stack]
// `stack`: a server of the checkout's bench/stack/servers.ts (issue 16's whole suite), with the bench's
// bearer token on every request and one of its queries (QUERY, default small).
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { HeaderMap } from '@apollo/server';

const [checkout, mode, kind = 'apollo'] = process.argv.slice(2) as [string, string, string?];
const load = (path: string) => import(pathToFileURL(`${checkout}/bench/${path}`).href);
type Built = { server: any; context: (args: any) => Promise<any> };
let built: Built;
let query = '{ product(id: "prod-7") { id name price { amount currency } stock } }';
const requestHeaders: Record<string, string> = { 'content-type': 'application/json', host: '127.0.0.1' };
if (kind === 'stack') {
  const { prepareBenchToken } = await load('stack/token.ts');
  requestHeaders.authorization = `Bearer ${await prepareBenchToken()}`;
  const queryName = process.env.QUERY ?? 'small';
  query = (await load('stack/schema.ts')).benchQueries[queryName];
  if (!query) throw new Error(`unknown QUERY ${queryName}`);
  built = await (await load('stack/servers.ts')).buildStackServer(mode);
} else {
  built = await (await load('apollo/servers.ts')).buildServer(mode);
}
const { server, context } = built;
await server.start();

/** One request as the standalone integration makes it (a Node request on a socket from 127.0.0.1). */
async function once(): Promise<void> {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: '127.0.0.1' });
  const req = new IncomingMessage(socket);
  req.method = 'POST';
  req.url = '/';
  req.headers = { ...requestHeaders };
  const res = new ServerResponse(req);
  const headers = new HeaderMap(Object.entries(requestHeaders));
  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: 'POST', headers, search: '', body: { query } },
    context: () => context({ req, res }),
  });
  const body = response.body.kind === 'complete' ? response.body.string : '';
  if (!body.includes('"prod-') || body.includes('"errors"')) {
    throw new Error(`unexpected response: ${JSON.stringify(response.body)}`);
  }
}

process.on('SIGINT', () => process.exit(0));
process.on('message', async (message: { ops: number }) => {
  const start = process.cpuUsage();
  for (let i = 0; i < message.ops; i++) await once();
  const used = process.cpuUsage(start);
  process.send!({ us: (used.user + used.system) / message.ops });
});
process.send!({ ready: true });
