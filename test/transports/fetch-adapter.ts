/**
 * A tiny Fetch-style integration, as Next.js, edge and serverless adapters are: Node's request is turned
 * into a Fetch `Request`, which is all the context function gets (`contextArgs(request, peer)`); Apollo
 * runs through `executeHTTPGraphQLRequest`. Listens on 127.0.0.1, port 0.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApolloServer, type BaseContext, HeaderMap } from '@apollo/server';

/** A running adapter. */
export interface FetchAdapter {
  readonly url: string;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Node's request as a Fetch `Request` (its body already read, as the adapter needs it for Apollo). */
function toFetchRequest(req: IncomingMessage, body: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const method = req.method ?? 'GET';
  return new Request(`http://localhost${req.url ?? '/'}`, {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
  });
}

/**
 * Serves `server` with a context function called with whatever `contextArgs` builds from the Fetch
 * request (and the socket peer, which a real adapter may or may not know).
 */
export async function startFetchAdapter(
  server: ApolloServer<BaseContext>,
  context: (...args: any[]) => Promise<BaseContext>,
  contextArgs: (request: Request, peer: string | undefined) => unknown[],
): Promise<FetchAdapter> {
  const http: Server = createServer(async (req, res) => {
    const text = await readBody(req);
    const request = toFetchRequest(req, text);
    const headers = new HeaderMap();
    for (const [name, value] of request.headers) headers.set(name, value);
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: request.method, headers, search: new URL(request.url).search, body },
      context: () => context(...contextArgs(request, req.socket.remoteAddress)),
    });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') res.end(response.body.string);
    else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    close: () =>
      new Promise<void>((r) => {
        http.closeAllConnections();
        http.close(() => r());
      }),
  };
}
