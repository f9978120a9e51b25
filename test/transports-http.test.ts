/**
 * Rampart behind each HTTP integration of Apollo Server 5, with the real packages over real sockets
 * (port 0): standalone, Express 5 (`@as-integrations/express5`), Fastify 5 (`@as-integrations/fastify`)
 * and a Fetch-style adapter (a `Request` is all the context function gets). Every one must authenticate,
 * filter scopes, enforce limits and rate limits and audit exactly as the others.
 */

import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { expressMiddleware } from '@as-integrations/express5';
import fastifyApollo, { type ApolloFastifyContextFunction } from '@as-integrations/fastify';
import type { SecurityState } from '@rampart/core';
import express from 'express';
import Fastify from 'fastify';
import { startFetchAdapter } from './transports/fetch-adapter.js';
import {
  type Answer,
  checkAudit,
  checkDepth,
  checkDpop,
  checkJunkToken,
  checkMissingScope,
  checkRateLimit,
  checkValidToken,
  type GuardedApi,
  guardedApi,
  type Issuer,
  type Send,
  startIssuer,
  type TestContext,
  userContext,
} from './transports/harness.js';

let issuer: Issuer;
before(async () => {
  issuer = await startIssuer();
});
after(async () => {
  await issuer.close();
});

/** POSTs JSON to `url` with Node's fetch. */
function httpSend(url: string): Send {
  return async (body, headers = {}) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: res.status, header: (name) => res.headers.get(name) ?? undefined, body: parsed } as Answer;
  };
}

/** The same checks for every transport; `start` serves the API and returns its URL and a stop. */
/** A started transport: its URL, the URL its server sees (DPoP proofs name it) when another, its stop. */
interface Started {
  url: string;
  dpopUrl?: string;
  stop(): Promise<void>;
}

function describeTransport(name: string, start: (api: GuardedApi) => Promise<Started>) {
  describe(`${name}: Rampart guards the transport`, () => {
    let api: GuardedApi;
    let stop: () => Promise<void>;
    let send: Send;
    let url: string;
    before(async () => {
      api = guardedApi(issuer);
      const started = await start(api);
      stop = started.stop;
      url = started.dpopUrl ?? started.url;
      send = httpSend(started.url);
    });
    after(async () => {
      await stop();
      await api.close();
    });
    it('valid token: the principal reaches resolvers and the user context function', () =>
      checkValidToken(api, send, name));
    it('junk token: 401 with WWW-Authenticate', () => checkJunkToken(send));
    it("DPoP: the proof names the integration's method and URL; replay and another URL refused", () =>
      checkDpop(api, send, url));
    it('@requiresScopes without the scope: error at the path, the rest of the data', () =>
      checkMissingScope(api, send));
    it('depth over the limit: 400 MAX_DEPTH_LIMIT', () => checkDepth(api, send));
    it('operation rate limit: 429 RATE_LIMITED', () => checkRateLimit(api, send));
    it('one audit record per operation in the audit file', () => checkAudit(api, send));
  });
}

describeTransport('standalone (startStandaloneServer)', async (api) => {
  const server = new ApolloServer<BaseContext>(api.apolloConfig);
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: api.security.context(async ({ req }, state) => {
      void req.headers; // the integration's own argument, typed
      return userContext('standalone')(state);
    }),
  });
  return { url, stop: () => server.stop() };
});

describeTransport('Express 5 (@as-integrations/express5)', async (api) => {
  const server = new ApolloServer<BaseContext>(api.apolloConfig);
  await server.start();
  const app = express();
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(server, {
      context: api.security.context(async ({ req, res }, state) => {
        void [req.ip, res.locals]; // Express's own objects, typed
        return userContext('express5')(state);
      }),
    }),
  );
  const http = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => http.once('listening', () => r()));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    stop: async () => {
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
      await server.stop();
    },
  };
});

describeTransport('Fastify 5 (@as-integrations/fastify)', async (api) => {
  // with a context type of its own, as Fastify's integration documents it (BaseContext takes no context)
  const server = new ApolloServer<TestContext>(api.apolloConfig);
  await server.start();
  const app = Fastify();
  // Fastify calls context(request, reply): the user's function gets both, then the state. Typed as
  // Fastify's integration documents it (its overloaded `register` gives no type to infer from).
  const context: ApolloFastifyContextFunction<TestContext> = api.security.context(async (request, reply, state) => {
    void [request.ip, reply.statusCode]; // Fastify's own objects, typed
    return userContext('fastify')(state);
  });
  await app.register(fastifyApollo(server), { context });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `${url}/graphql`,
    stop: async () => {
      await app.close();
      await server.stop();
    },
  };
});

describeTransport('Fetch-style adapter ({ request: Request })', async (api) => {
  const server = new ApolloServer<BaseContext>(api.apolloConfig);
  await server.start();
  // not in a typed position (no integration's type to infer from): the arguments are annotated
  const context = api.security.context(async ({ request }: { request: Request }, state: SecurityState) => {
    void request.url; // the Fetch Request, typed
    return userContext('fetch')(state);
  });
  const adapter = await startFetchAdapter(server, context, (request) => [{ request }]);
  return {
    url: adapter.url,
    // the adapter builds its Fetch Request on http://localhost
    dpopUrl: `http://localhost${new URL(adapter.url).pathname}`,
    stop: async () => {
      await adapter.close();
      await server.stop();
    },
  };
});
