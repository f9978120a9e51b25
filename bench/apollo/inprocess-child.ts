// Child of inprocess.ts: builds one server of a checkout's bench/apollo/servers.ts and, on each
// message { ops }, runs that many small-query requests through Apollo's HTTP pipeline in this process
// (`executeHTTPGraphQLRequest` with the server's context function: everything but the socket), one at a
// time, and answers with the CPU microseconds per request.
// Usage (by inprocess.ts): node --import tsx bench/apollo/inprocess-child.ts <checkout> <mode>
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { HeaderMap } from '@apollo/server';

const [checkout, mode] = process.argv.slice(2) as [string, string];
const { buildServer } = (await import(pathToFileURL(`${checkout}/bench/apollo/servers.ts`).href)) as {
  buildServer(spec: string): Promise<{ server: any; context: (args: any) => Promise<any> }>;
};
const { server, context } = await buildServer(mode);
await server.start();
const query = '{ product(id: "prod-7") { id name price { amount currency } stock } }';

/** One request as the standalone integration makes it (a Node request on a socket from 127.0.0.1). */
async function once(): Promise<void> {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: '127.0.0.1' });
  const req = new IncomingMessage(socket);
  req.method = 'POST';
  req.url = '/';
  req.headers = { 'content-type': 'application/json', host: '127.0.0.1' };
  const res = new ServerResponse(req);
  const headers = new HeaderMap([['content-type', 'application/json']]);
  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: 'POST', headers, search: '', body: { query } },
    context: () => context({ req, res }),
  });
  if (response.body.kind !== 'complete' || !response.body.string.includes('"prod-7"')) {
    throw new Error(`unexpected response: ${JSON.stringify(response.body)}`);
  }
}

process.on('message', async (message: { ops: number }) => {
  const start = process.cpuUsage();
  for (let i = 0; i < message.ops; i++) await once();
  const used = process.cpuUsage(start);
  process.send!({ us: (used.user + used.system) / message.ops });
});
process.send!({ ready: true });
