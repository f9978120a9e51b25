/**
 * graphql-ws over a real `ws` WebSocketServer on port 0, guarded by `security.graphqlWs()`, and the
 * clients the tests use: graphql-ws's `createClient` with `ws` as its WebSocket, and a raw socket for
 * close codes and floods.
 */
import type { AddressInfo } from 'node:net';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { type GraphqlWsOptions, type Rampart, type RampartOptions, rampart } from '@rampart/apollo';
import { getSecurityState, type SecurityState } from '@rampart/core';
import type { GraphQLSchema } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';

export const wsTypeDefs = /* GraphQL */ `
  type Node { id: ID!, child: Node }
  type Tick {
    n: Int!
    "The principal as the security state says"
    me: String!
    "The principal as the user's context function saw it"
    user: String
    secret: String @authenticated
    node: Node
  }
  type Query { open: String }
  type Subscription {
    ticks(count: Int!): Tick!
    secretTicks(count: Int!): Int @requiresScopes(scopes: [["secret:read"]])
    "Never ends on its own"
    forever: Int
  }
`;

const node = (depth: number): Record<string, unknown> => ({ id: String(depth), child: () => node(depth + 1) });

async function* count(n: number, field: string, value: (i: number) => unknown) {
  for (let i = 0; i < n; i++) yield { [field]: value(i) };
}

/** Never yields: ends only when the client or the server stops it (as a pub/sub iterator does). */
function forever(): AsyncIterableIterator<unknown> {
  const done: IteratorResult<unknown> = { value: undefined, done: true };
  let wake: ((r: IteratorResult<unknown>) => void) | undefined;
  let finished = false;
  return {
    next: () => (finished ? Promise.resolve(done) : new Promise((resolve) => (wake = resolve))),
    return: () => {
      finished = true;
      wake?.(done);
      return Promise.resolve(done);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

export const wsResolvers = {
  Query: { open: () => 'open' },
  Subscription: {
    ticks: { subscribe: (_: unknown, args: { count: number }) => count(args.count, 'ticks', (n) => ({ n })) },
    secretTicks: { subscribe: (_: unknown, args: { count: number }) => count(args.count, 'secretTicks', (n) => n) },
    forever: { subscribe: () => forever() },
  },
  Tick: {
    me: (_: unknown, __: unknown, ctx: unknown) => getSecurityState(ctx)!.principal.id,
    user: (_: unknown, __: unknown, ctx: { user?: string }) => ctx.user ?? null,
    secret: () => 'secret',
    node: () => node(0),
  },
};

/** One guarded graphql-ws server. */
export interface WsApi {
  readonly security: Rampart;
  readonly schema: GraphQLSchema;
  readonly url: string;
  /** A graphql-ws client (`connectionParams` as the `connection_init` payload); closed by `close()`. */
  client(connectionParams?: Record<string, unknown>, headers?: Record<string, string>): Client;
  close(): Promise<void>;
}

/** The user's context function of these tests: the principal it was handed. */
export const wsUserContext: NonNullable<GraphqlWsOptions<{ user: string }>['context']> = (
  _ctx,
  _message,
  _args,
  state: SecurityState,
) => ({ user: `${state.principal.kind}:${state.principal.id}` });

/** Starts `useServer({ schema, ...security.graphqlWs(wsOptions) })` on 127.0.0.1, port 0. */
export async function startWsApi(options: RampartOptions, wsOptions: GraphqlWsOptions<object> = {}): Promise<WsApi> {
  const security = rampart({ logger: { warn() {}, error() {} }, ...options });
  const guarded = security.graphqlWs({ context: wsUserContext, ...wsOptions });
  const schema = security.transformSchema(
    makeExecutableSchema({ typeDefs: [security.typeDefs, wsTypeDefs], resolvers: wsResolvers }),
  );
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const server = useServer({ schema, ...guarded }, wss);
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/graphql`;
  const clients: Client[] = [];
  return {
    security,
    schema,
    url,
    client(connectionParams, headers) {
      const c = createClient({
        url,
        webSocketImpl: headers
          ? class extends WebSocket {
              constructor(address: string, protocols: string | string[]) {
                super(address, protocols, { headers });
              }
            }
          : WebSocket,
        ...(connectionParams ? { connectionParams } : {}),
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => {},
      });
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.dispose()));
      await server.dispose();
    },
  };
}

/** What one subscription produced: its events, and the error or close that ended it (if any). */
export interface Run {
  readonly results: any[];
  readonly error?: any;
}

/** Runs one subscription to its end (complete, error or close). */
export function run(client: Client, query: string, variables?: Record<string, unknown>): Promise<Run> {
  return new Promise((resolve) => {
    const results: any[] = [];
    client.subscribe(
      { query, ...(variables ? { variables } : {}) },
      {
        next: (r) => results.push(r),
        error: (error) => resolve({ results, error }),
        complete: () => resolve({ results }),
      },
    );
  });
}

/** A raw graphql-transport-ws socket: what it received, and how it closed. */
export interface RawSocket {
  readonly socket: WebSocket;
  readonly messages: any[];
  readonly closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** Resolves with the first received message `match` accepts. */
  next(match: (m: any) => boolean): Promise<any>;
}

/** Opens a raw socket and sends `connection_init` with `payload`. */
export async function rawSocket(url: string, payload?: unknown, headers?: Record<string, string>): Promise<RawSocket> {
  const socket = new WebSocket(url, 'graphql-transport-ws', headers ? { headers } : {});
  const messages: any[] = [];
  const waiters: { match: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  socket.on('message', (data) => {
    const m = JSON.parse(String(data));
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.match(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const send = (message: unknown) => socket.send(JSON.stringify(message));
  send({ type: 'connection_init', ...(payload !== undefined ? { payload } : {}) });
  return {
    socket,
    messages,
    closed,
    send,
    next: (match) => {
      const found = messages.find(match);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}
