/**
 * `security.context(fn)` across requests and shapes, over real sockets: one context object the user
 * returns for every request never carries (nor leaks) another request's state; a context call of a shape
 * Rampart does not know fails with a masked 500 and a logged `RampartConfigError`, never an anonymous 200.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { rampart } from '@rampart/apollo';
import { getSecurityState } from '@rampart/core';
import { startFetchAdapter } from './transports/fetch-adapter.js';
import { guardedApi, type Issuer, signToken, startIssuer, testRampartOptions } from './transports/harness.js';

let issuer: Issuer;
const dir = mkdtempSync(join(tmpdir(), 'rampart-context-'));
before(async () => {
  issuer = await startIssuer();
});
after(async () => {
  await issuer.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(url: string, query: string, headers: Record<string, string>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Resolves once `n` callers wait on it: every resolver is running before any reads its principal. */
function barrier(n: number): () => Promise<void> {
  let waiting = 0;
  let release!: () => void;
  const all = new Promise<void>((r) => {
    release = r;
  });
  return () => {
    if (++waiting === n) release();
    return all;
  };
}

describe('security.context: a context object shared by every request', () => {
  it('two concurrent requests with different tokens each see their own principal', async () => {
    const SHARED = { service: 'catalog' }; // one object for every request, as a user may well return
    const arrive = barrier(2);
    const security = rampart(testRampartOptions(issuer, join(dir, 'shared.log')));
    const typeDefs = 'type Query { me: String!, service: String!, sameObject: Boolean! }';
    const resolvers = {
      Query: {
        me: async (_: unknown, __: unknown, ctx: unknown) => {
          await arrive(); // both requests have built their context by now
          return getSecurityState(ctx)!.principal.id;
        },
        service: (_: unknown, __: unknown, ctx: typeof SHARED) => ctx.service,
        sameObject: (_: unknown, __: unknown, ctx: unknown) => ctx === SHARED,
      },
    };
    const schema = security.transformSchema(
      makeExecutableSchema({ typeDefs: [security.typeDefs, typeDefs], resolvers }),
    );
    const server = new ApolloServer<BaseContext>({ schema, ...security.serverOptions, plugins: security.plugins });
    const { url } = await startStandaloneServer(server, {
      listen: { port: 0, host: '127.0.0.1' },
      context: security.context(async () => SHARED),
    });
    try {
      const [alice, bob] = await Promise.all([
        post(url, '{ me service sameObject }', { authorization: `Bearer ${await signToken(issuer, 'alice')}` }),
        post(url, '{ me service sameObject }', { authorization: `Bearer ${await signToken(issuer, 'bob')}` }),
      ]);
      assert.deepEqual(alice.body, { data: { me: 'alice', service: 'catalog', sameObject: false } });
      assert.deepEqual(bob.body, { data: { me: 'bob', service: 'catalog', sameObject: false } });
      // the user's object was never written to: it keeps no request's state alive
      assert.deepEqual(Object.getOwnPropertySymbols(SHARED), []);
      assert.equal(getSecurityState(SHARED), undefined);
    } finally {
      await server.stop();
    }
  });

  it("a frozen context object is served (Rampart writes to its copy, not to the user's object)", async () => {
    const FROZEN = Object.freeze({ service: 'frozen' });
    const security = rampart({});
    const typeDefs = 'type Query { service: String!, who: String! }';
    const resolvers = {
      Query: {
        service: (_: unknown, __: unknown, ctx: typeof FROZEN) => ctx.service,
        who: (_: unknown, __: unknown, ctx: unknown) => getSecurityState(ctx)!.principal.kind,
      },
    };
    const schema = security.transformSchema(
      makeExecutableSchema({ typeDefs: [security.typeDefs, typeDefs], resolvers }),
    );
    const server = new ApolloServer<BaseContext>({ schema, ...security.serverOptions, plugins: security.plugins });
    const { url } = await startStandaloneServer(server, {
      listen: { port: 0, host: '127.0.0.1' },
      context: security.context(async () => FROZEN),
    });
    try {
      const res = await post(url, '{ service who }', {});
      assert.deepEqual(res.body, { data: { service: 'frozen', who: 'anonymous' } });
    } finally {
      await server.stop();
    }
  });
});

describe('security.context: a context call of a shape Rampart does not know', () => {
  it('fails with a masked 500 and a logged RampartConfigError, never an anonymous 200', async () => {
    const errors: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (message: string) => void errors.push(message) };
    const api = guardedApi(issuer, logger);
    const server = new ApolloServer<BaseContext>(api.apolloConfig);
    await server.start();
    let userCalls = 0;
    const context = api.security.context(async () => {
      userCalls++;
      return {};
    });
    // a Koa-style call, `{ ctx }`: neither headers nor a peer address where Rampart looks for them
    const adapter = await startFetchAdapter(server, context, (request) => [{ ctx: { request } }]);
    try {
      const token = await api.token('alice');
      const res = await post(adapter.url, '{ me }', { authorization: `Bearer ${token}` });
      assert.equal(res.status, 500);
      assert.equal(res.body.data, undefined);
      assert.equal(res.body.errors.length, 1);
      const [error] = res.body.errors;
      assert.equal(error.message, 'Internal server error');
      assert.equal(error.extensions.code, 'INTERNAL_SERVER_ERROR');
      assert.match(error.extensions.requestId, /^[0-9a-f-]{36}$/);
      assert.equal(JSON.stringify(res.body).includes('rampart.context'), false, 'the reason stays on the server');
      assert.equal(userCalls, 0);
      // the operator sees why, with the request id the client got
      assert.equal(errors.length, 1);
      assert.match(
        errors[0]!,
        new RegExp(`^\\[rampart\\] request ${error.extensions.requestId}: RampartConfigError: `),
      );
      assert.match(errors[0]!, /rampart\.context: cannot find the request's headers or peer address/);
      assert.match(errors[0]!, /the first an object with keys ctx/);
      assert.match(errors[0]!, /\(request, reply\) \(Fastify\)/);
      // and the audit log records the refusal
      const records = api.auditRecords().filter((r) => JSON.stringify(r).includes(error.extensions.requestId));
      assert.equal(records.length, 1);
      assert.match(JSON.stringify(records[0]), /graphql\.request\.rejected/);
    } finally {
      await adapter.close();
      await server.stop();
      await api.close();
    }
  });
});
