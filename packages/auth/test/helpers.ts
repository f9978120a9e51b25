import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getSecurityState } from '@rampart/core';
import type { JWK } from 'jose';

/** A JWKS served over HTTP on 127.0.0.1 (port 0), counting fetches; its keys and behaviour can change. */
export interface JwksServer {
  readonly url: string;
  readonly hits: () => number;
  keys: JWK[];
  mode: 'ok' | 'hang' | 'error';
  close(): Promise<void>;
}

/** Serves `keys` on 127.0.0.1 at `port` (0: any free port; give the previous one to restart a stopped server). */
export async function startJwksServer(keys: JWK[], port = 0): Promise<JwksServer> {
  let hits = 0;
  const sockets = new Set<import('node:net').Socket>();
  const state: { keys: JWK[]; mode: JwksServer['mode'] } = { keys, mode: 'ok' };
  const server: Server = createServer((_req, res) => {
    hits++;
    if (state.mode === 'hang') return; // never answers
    if (state.mode === 'error') {
      res.writeHead(500).end('boom');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/.well-known/jwks.json`,
    hits: () => hits,
    get keys() {
      return state.keys;
    },
    set keys(k) {
      state.keys = k;
    },
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A schema that shows the principal. */
export const principalTypeDefs = /* GraphQL */ `
  type Principal { id: String!, kind: String!, scopes: [String!]!, roles: [String!]!, clientId: String, ip: String, authMethod: String! }
  type Query { me: Principal! }
`;

export const principalResolvers = {
  Query: {
    me: (_: unknown, __: unknown, ctx: unknown) => {
      const p = getSecurityState(ctx)!.principal;
      return { ...p, scopes: [...p.scopes], roles: [...p.roles] };
    },
  },
};

export const ME = { query: '{ me { id kind scopes roles clientId ip authMethod } }' };

export function b64url(x: unknown): string {
  return Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
}
