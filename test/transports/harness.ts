/**
 * One guarded API for every HTTP integration test: real JWTs signed with jose and served as a JWKS over
 * loopback, `rampart()` with authentication, scopes, limits, rate limits (memory store) and audit to a
 * real file. Each transport gets its own API (its own rate-limit store and audit file) and runs the same
 * checks through a `send` of its own.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApolloServerOptions, BaseContext } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { type Rampart, type RampartOptions, rampart } from '@rampart/apollo';
import { createDevKeys, createDpopProof, type DevKeys, mintToken } from '@rampart/auth';
import { getSecurityState, type SecurityState } from '@rampart/core';
import { importJWK, SignJWT } from 'jose';

export const issuer = 'https://issuer.transports.test';
export const audience = 'https://api.transports.test';
/** Operations each client may send per minute (the rate-limit check sends one more). */
export const OPERATION_LIMIT = 4;
export const DEPTH_LIMIT = 4;

const typeDefs = /* GraphQL */ `
  type Node { id: ID!, child: Node }
  type Query {
    "The principal as the security state says"
    me: String!
    "The principal as the user's context function saw it (its second argument)"
    user: String
    open: String
    secret: String @requiresScopes(scopes: [["secret:read"]])
    node: Node
  }
`;

const node = (depth: number): Record<string, unknown> => ({ id: String(depth), child: () => node(depth + 1) });

const resolvers = {
  Query: {
    me: (_: unknown, __: unknown, ctx: unknown) => getSecurityState(ctx)!.principal.id,
    user: (_: unknown, __: unknown, ctx: { user?: string }) => ctx.user ?? null,
    open: () => 'open',
    secret: () => 'secret',
    node: () => node(0),
  },
};

/** What the user's context function returns in these tests: the principal it was handed. */
export interface TestContext {
  user: string;
  transport: string;
}

/** The user's context as a test writes it: the principal comes from the state (second argument). */
export function userContext(transport: string) {
  return (state: SecurityState): TestContext => ({ user: `${state.principal.kind}:${state.principal.id}`, transport });
}

/** A JWKS endpoint on 127.0.0.1, port 0. */
export async function startJwks(keys: DevKeys): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [keys.publicJwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Everything one transport's tests share. */
export interface GuardedApi {
  readonly security: Rampart;
  /** Spread into `new ApolloServer(...)`. */
  readonly apolloConfig: ApolloServerOptions<BaseContext>;
  readonly auditPath: string;
  /** A real token for `sub`, with the given scopes. */
  token(sub: string, scopes?: string[]): Promise<string>;
  /** A real token for `sub` bound to the issuer's DPoP client key, and a proof maker for it. */
  boundToken(sub: string): Promise<{ token: string; proof(method: string, url: string): Promise<string> }>;
  /** The audit records written so far. */
  auditRecords(): Record<string, any>[];
  close(): Promise<void>;
}

/** Keys and JWKS shared by every API of a test file. */
export interface Issuer {
  readonly keys: DevKeys;
  /** A client's DPoP key pair (tokens bound to it need its proofs). */
  readonly client: DevKeys;
  readonly jwksUrl: string;
  close(): Promise<void>;
}

export async function startIssuer(): Promise<Issuer> {
  const keys = await createDevKeys({ alg: 'RS256' });
  const jwks = await startJwks(keys);
  const client = await createDevKeys({ alg: 'ES256' });
  return { keys, client, jwksUrl: jwks.url, close: jwks.close };
}

/** A real access token (RS256, `typ: at+jwt`) for `sub` with the given scopes, valid five minutes. */
export async function signToken(iss: Issuer, sub: string, scopes: string[] = []): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const key = await importJWK(iss.keys.privateJwk, iss.keys.alg);
  return new SignJWT({ scope: scopes.join(' ') })
    .setProtectedHeader({ alg: iss.keys.alg, kid: iss.keys.kid, typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(key);
}

/** The Rampart options every transport test uses (`auditPath`: the audit log file). */
export function testRampartOptions(iss: Issuer, auditPath: string): RampartOptions {
  return {
    authentication: {
      jwt: { issuer, audience, algorithms: ['RS256'], jwksUri: iss.jwksUrl, typ: 'at+jwt', dpop: 'allowed' },
    },
    limits: { depth: DEPTH_LIMIT },
    scopes: { mode: 'filter' },
    rateLimit: { operation: { limit: OPERATION_LIMIT, duration: 60 } },
    audit: { destination: auditPath },
  };
}

export function guardedApi(iss: Issuer, logger?: ApolloServerOptions<BaseContext>['logger']): GuardedApi {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-transports-'));
  const auditPath = join(dir, 'audit.log');
  const security = rampart(testRampartOptions(iss, auditPath));
  const schema = security.transformSchema(makeExecutableSchema({ typeDefs: [security.typeDefs, typeDefs], resolvers }));
  return {
    security,
    apolloConfig: { schema, ...security.serverOptions, plugins: security.plugins, ...(logger ? { logger } : {}) },
    auditPath,
    token: (sub, scopes = []) => signToken(iss, sub, scopes),
    async boundToken(sub) {
      const token = await mintToken(iss.keys, { issuer, audience, subject: sub, boundTo: iss.client.publicJwk });
      return { token, proof: (method, url) => createDpopProof(iss.client, { method, url, accessToken: token }) };
    },
    auditRecords() {
      let text = '';
      try {
        text = readFileSync(auditPath, 'utf8');
      } catch {}
      return text
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, any>);
    },
    async close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One HTTP answer, whatever carried it. */
export interface Answer {
  status: number;
  header(name: string): string | undefined;
  body: any;
}

/** Sends one GraphQL POST the way the transport under test receives it. */
export type Send = (body: unknown, headers?: Record<string, string>) => Promise<Answer>;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Valid token: the resolver and the user's context function both see the principal. */
export async function checkValidToken(api: GuardedApi, send: Send, transport: string): Promise<void> {
  const res = await send({ query: '{ me user }' }, bearer(await api.token('alice')));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body, { data: { me: 'alice', user: 'user:alice' } }, transport);
}

/** Junk token: 401 with the Bearer challenge. */
export async function checkJunkToken(send: Send): Promise<void> {
  const res = await send({ query: '{ me }' }, { authorization: 'Bearer not.a.jwt' });
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.equal(res.body.errors[0].extensions.code, 'UNAUTHENTICATED');
  assert.match(res.header('www-authenticate') ?? '', /^Bearer realm="graphql", error="invalid_token"/);
  assert.equal(res.body.data, undefined);
}

/** A `@requiresScopes` field without the scope: an error at its path, the rest of the data. */
export async function checkMissingScope(api: GuardedApi, send: Send): Promise<void> {
  const res = await send({ query: '{ open secret }' }, bearer(await api.token('bob', ['other'])));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body.data, { open: 'open', secret: null });
  assert.equal(res.body.errors.length, 1);
  assert.deepEqual(res.body.errors[0].path, ['secret']);
  assert.equal(res.body.errors[0].extensions.code, 'UNAUTHORIZED_FIELD_OR_TYPE');
  const granted = await send({ query: '{ open secret }' }, bearer(await api.token('bob', ['secret:read'])));
  assert.deepEqual(granted.body, { data: { open: 'open', secret: 'secret' } });
}

/** Depth over the limit: 400 MAX_DEPTH_LIMIT, nothing executed. */
export async function checkDepth(api: GuardedApi, send: Send): Promise<void> {
  const res = await send(
    { query: '{ node { child { child { child { child { id } } } } } }' },
    bearer(await api.token('carol')),
  );
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.errors[0].extensions.code, 'MAX_DEPTH_LIMIT');
  assert.equal(res.body.data, undefined);
}

/** The operation limit: the operation after the limit is refused with 429 RATE_LIMITED. */
export async function checkRateLimit(api: GuardedApi, send: Send): Promise<void> {
  const headers = bearer(await api.token('flooder'));
  for (let i = 0; i < OPERATION_LIMIT; i++) {
    const ok = await send({ query: '{ open }' }, headers);
    assert.equal(ok.status, 200, `operation ${i + 1}: ${JSON.stringify(ok.body)}`);
  }
  const refused = await send({ query: '{ open }' }, headers);
  assert.equal(refused.status, 429, JSON.stringify(refused.body));
  assert.equal(refused.body.errors[0].extensions.code, 'RATE_LIMITED');
}

/** One audit record per operation, in the real file, with the principal and the request id. */
export async function checkAudit(api: GuardedApi, send: Send): Promise<void> {
  const token = await api.token('auditor');
  const ids = ['audit-one', 'audit-two', 'audit-three'];
  for (const id of ids) {
    const res = await send({ query: '{ open }' }, { ...bearer(token), 'x-request-id': id });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  // audit records are group-committed at the end of the event-loop turn: let that turn end first
  await new Promise((resolve) => setImmediate(resolve));
  const records = api.auditRecords();
  for (const id of ids) {
    const mine = records.filter((r) => JSON.stringify(r).includes(`"${id}"`));
    assert.equal(mine.length, 1, `records for ${id}: ${JSON.stringify(mine)}`);
    assert.match(JSON.stringify(mine[0]), /"auditor"/);
  }
}

/**
 * DPoP through the transport: the method and URL the integration reports are the ones the proof
 * names (`url`: the URL the server sees); a replayed proof and a proof for another URL are refused.
 */
export async function checkDpop(api: GuardedApi, send: Send, url: string): Promise<void> {
  const { token, proof } = await api.boundToken('dpop-client');
  const headers = { authorization: `DPoP ${token}`, dpop: await proof('POST', url) };
  const ok = await send({ query: '{ me }' }, headers);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.deepEqual(ok.body, { data: { me: 'dpop-client' } });
  const replayed = await send({ query: '{ me }' }, headers);
  assert.equal(replayed.status, 401, JSON.stringify(replayed.body));
  assert.match(replayed.header('www-authenticate') ?? '', /DPoP algs="[^"]+", error="invalid_dpop_proof"/);
  const elsewhere = await send(
    { query: '{ me }' },
    { ...headers, dpop: await proof('POST', 'https://other.example/graphql') },
  );
  assert.equal(elsewhere.status, 401, JSON.stringify(elsewhere.body));
  const asBearer = await send({ query: '{ me }' }, { authorization: `Bearer ${token}` });
  assert.equal(asBearer.status, 401, JSON.stringify(asBearer.body));
}
