import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerOptions, type BaseContext } from '@apollo/server';
import { type StartStandaloneServerOptions, startStandaloneServer } from '@apollo/server/standalone';

/** A running test server. */
export interface TestServer<TContext extends BaseContext> {
  /** `http://127.0.0.1:<port>/` — Apollo's standalone server answers on every path. */
  readonly url: string;
  /** The GraphQL endpoint (`<url>graphql`). */
  readonly graphqlUrl: string;
  readonly server: ApolloServer<TContext>;
  /** Stops the server (runs `serverWillStop` hooks). */
  stop(): Promise<void>;
}

/** Starts an ApolloServer on 127.0.0.1, port 0, with `startStandaloneServer`. */
export async function startTestServer<TContext extends BaseContext = BaseContext>(
  config: ApolloServerOptions<TContext>,
  options: { context?: StartStandaloneServerOptions<TContext>['context'] } = {},
): Promise<TestServer<TContext>> {
  const server = new ApolloServer<TContext>(config);
  const start = startStandaloneServer as unknown as (
    s: ApolloServer<TContext>,
    o: Record<string, unknown>,
  ) => Promise<{ url: string }>;
  const { url } = await start(server, {
    listen: { port: 0, host: '127.0.0.1' },
    ...(options.context ? { context: options.context } : {}),
  });
  const base = url.endsWith('/') ? url : `${url}/`;
  return { url: base, graphqlUrl: `${base}graphql`, server, stop: () => server.stop() };
}

/** A parsed HTTP response. */
export interface GraphQLHttpResponse<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON body (or `undefined` when the body is not JSON; see `text`). */
  body: T;
  text: string;
}

/** Posts a GraphQL request (or a batch, when `body` is an array) and parses the answer. */
export async function postGraphQL<T = any>(
  url: string,
  body: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<GraphQLHttpResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await res.text();
  let parsed: T;
  try {
    parsed = JSON.parse(text) as T;
  } catch {
    parsed = undefined as T;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** The port of a listening `net.Server`. */
export function portOf(address: AddressInfo | string | null): number {
  if (address && typeof address === 'object') return address.port;
  throw new Error(`not listening on a TCP port: ${String(address)}`);
}
