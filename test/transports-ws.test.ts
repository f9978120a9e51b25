/**
 * Subscriptions over graphql-ws (real `ws` WebSocketServer on port 0, graphql-ws's `useServer` and
 * `createClient`) guarded by `security.graphqlWs()`: authentication of the connection (close
 * 4401/4403), the checks of every `subscribe` (limits, scopes, rate limits, audit) as `error` messages
 * with Rampart's codes and never `extensions.http`, the modules' operation handles, the
 * per-connection caps and the token's expiry.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { auditModule } from '@rampart/audit';
import { createDpopProof, mintToken } from '@rampart/auth';
import { ErrorCode, type OperationEnd, type RampartModule, rampartError } from '@rampart/core';
import { limitsModule } from '@rampart/limits';
import { rateLimitModule } from '@rampart/rate-limit';
import { scopesModule } from '@rampart/scopes';
import { parse } from 'graphql';
import {
  audience,
  type Issuer,
  issuer as issuerName,
  OPERATION_LIMIT,
  signToken,
  startIssuer,
  testRampartOptions,
} from './transports/harness.js';
import { rawSocket, run, startWsApi, type WsApi } from './transports/ws.js';

/** Skips a test until the package's `onOperation` is there (merged from its branch). */
const pending = (name: string, module: RampartModule) =>
  typeof module.onOperation === 'function' ? false : `${name} has no onOperation yet`;
const scopesPending = pending('@rampart/scopes', scopesModule({}));
const limitsPending = pending('@rampart/limits', limitsModule({}));
const rateLimitPending = pending('@rampart/rate-limit', rateLimitModule({}));
const auditPending = pending('@rampart/audit', auditModule({ destination: 'stdout' }));

/** Waits (polling every 10 ms, at most 2 s) until `done()`. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(done(), 'timed out');
}

/** Every error sent over the socket: Rampart's code, never `extensions.http`. */
function assertNoHttp(errors: readonly any[]): void {
  for (const e of errors) assert.equal(Object.hasOwn(e.extensions ?? {}, 'http'), false, JSON.stringify(e));
}

/** The errors of a subscription refused with an `error` message. */
function refusal(r: { results: any[]; error?: any }): any[] {
  assert.equal(r.results.length, 0, JSON.stringify(r.results));
  assert.ok(Array.isArray(r.error), `expected an error message, got ${JSON.stringify(r.error)}`);
  assertNoHttp(r.error);
  return r.error;
}

/** Operation handles seen by the probe module. */
const ended: OperationEnd[] = [];

/**
 * A module of the test's own: refuses `subscription Refused`, and for `subscription Probed` returns a
 * handle whose document drops `secret`, whose `shapeResult` puts it back as null with an error (a
 * request-scoped one, so it carries `extensions.http` the transport must strip), and whose `end` notes
 * how the subscription ended.
 */
const probeModule: RampartModule = {
  name: 'probe',
  onOperation(_state, input) {
    if (input.operationName === 'Refused') {
      throw rampartError(ErrorCode.FORBIDDEN, 'Refused by the probe', { details: { probe: { why: 'test' } } });
    }
    if (input.operationName === 'Watched') return { end: (e) => void ended.push(e) };
    if (input.operationName !== 'Probed') return undefined;
    return {
      document: parse('subscription Probed { ticks(count: 2) { n } }'),
      shapeResult: (result) => ({
        data: { ticks: { ...(result.data?.ticks as object), secret: null } },
        errors: [rampartError(ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE, 'secret removed', { status: 403 })],
      }),
      end: (e) => {
        ended.push(e);
      },
    };
  },
};

let issuer: Issuer;
let dir: string;
let api: WsApi;
let caps: WsApi;
/** The subscription cap alone: a message budget no test here reaches, so no test waits for a second to pass. */
let subs: WsApi;
let skew = 0;
const clock = { now: () => Date.now() + skew };
const warnings: string[] = [];

before(async () => {
  issuer = await startIssuer();
  dir = mkdtempSync(join(tmpdir(), 'rampart-ws-'));
  api = await startWsApi({ ...testRampartOptions(issuer, join(dir, 'audit.log')), modules: [probeModule], clock });
  caps = await startWsApi(
    { authentication: testRampartOptions(issuer, '').authentication, clock },
    { maxMessagesPerSecond: 10 },
  );
  subs = await startWsApi(
    { authentication: testRampartOptions(issuer, '').authentication, clock },
    { maxMessagesPerSecond: 1000 },
  );
});
after(async () => {
  await api.close();
  await caps.close();
  await subs.close();
  await issuer.close();
  rmSync(dir, { recursive: true, force: true });
});

const token = (sub: string, scopes: string[] = []) => signToken(issuer, sub, scopes);
const auditRecords = (): Record<string, any>[] =>
  readFileSync(join(dir, 'audit.log'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l));

describe('graphql-ws: the connection', () => {
  it('a valid token in connection_init: the resolver and the user context see the principal', async () => {
    const client = api.client({ authorization: `Bearer ${await token('alice')}` });
    const r = await run(client, 'subscription { ticks(count: 2) { n me user } }');
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.deepEqual(r.results, [
      { data: { ticks: { n: 0, me: 'alice', user: 'user:alice' } } },
      { data: { ticks: { n: 1, me: 'alice', user: 'user:alice' } } },
    ]);
  });

  it('the upgrade request’s Authorization header, and the payload wins over it', async () => {
    const header = { authorization: `Bearer ${await token('header-user')}` };
    const fromHeader = await run(api.client(undefined, header), 'subscription { ticks(count: 1) { me } }');
    assert.deepEqual(fromHeader.results, [{ data: { ticks: { me: 'header-user' } } }]);
    const both = api.client({ Authorization: `Bearer ${await token('payload-user')}` }, header);
    const fromPayload = await run(both, 'subscription { ticks(count: 1) { me } }');
    assert.deepEqual(fromPayload.results, [{ data: { ticks: { me: 'payload-user' } } }]);
  });

  it('DPoP: a bound token with a proof of the upgrade request (GET, its URL); the same proof again: 4401', async () => {
    const bound = await mintToken(issuer.keys, {
      issuer: issuerName,
      audience,
      subject: 'dpop-client',
      boundTo: issuer.client.publicJwk,
    });
    const dpop = await createDpopProof(issuer.client, { method: 'GET', url: api.url, accessToken: bound });
    const params = { authorization: `DPoP ${bound}`, dpop };
    const r = await run(api.client(params), 'subscription { ticks(count: 1) { me } }');
    assert.deepEqual(r.results, [{ data: { ticks: { me: 'dpop-client' } } }], JSON.stringify(r.error));
    const replayed = await rawSocket(api.url, params);
    assert.deepEqual(await replayed.closed, { code: 4401, reason: 'Unauthorized' });
    const asBearer = await rawSocket(api.url, { authorization: `Bearer ${bound}` });
    assert.deepEqual(await asBearer.closed, { code: 4401, reason: 'Unauthorized' });
  });

  it('a junk token: closed with 4401 and a short reason', async () => {
    const raw = await rawSocket(api.url, { authorization: 'Bearer not.a.jwt' });
    assert.deepEqual(await raw.closed, { code: 4401, reason: 'Unauthorized' });
    assert.equal(raw.messages.length, 0, 'no connection_ack');
  });

  it('a denied address (X-Forwarded-For through a trusted proxy): closed with 4403', async () => {
    const ip = await startWsApi({
      ipFilter: { trustedProxies: ['127.0.0.1'], deny: ['203.0.113.0/24'] },
    });
    try {
      const denied = await rawSocket(ip.url, {}, { 'x-forwarded-for': '203.0.113.7' });
      assert.deepEqual(await denied.closed, { code: 4403, reason: 'Forbidden' });
      const allowed = await run(
        ip.client({}, { 'x-forwarded-for': '198.51.100.1' }),
        'subscription { ticks(count: 1) { n } }',
      );
      assert.deepEqual(allowed.results, [{ data: { ticks: { n: 0 } } }]);
    } finally {
      await ip.close();
    }
  });
});

describe('graphql-ws: every subscribe', () => {
  it('a module that refuses: an error message with its code and details, no extensions.http', async () => {
    const client = api.client({ authorization: `Bearer ${await token('refused')}` });
    const errors = refusal(await run(client, 'subscription Refused { ticks(count: 1) { n } }'));
    assert.deepEqual(errors, [
      { message: 'Refused by the probe', extensions: { code: 'FORBIDDEN', probe: { why: 'test' } } },
    ]);
  });

  it("a module's handle: its document runs, its shapeResult shapes every event, its end runs once", async () => {
    ended.length = 0;
    const client = api.client({ authorization: `Bearer ${await token('probed')}` });
    const r = await run(client, 'subscription Probed { ticks(count: 2) { n secret } }');
    assert.equal(r.error, undefined);
    assert.equal(r.results.length, 2);
    r.results.forEach((event, i) => {
      assert.deepEqual(event.data, { ticks: { n: i, secret: null } });
      assert.deepEqual(event.errors, [
        { message: 'secret removed', extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } },
      ]);
    });
    assert.equal(ended.length, 1);
    assert.equal(ended[0]!.outcome, 'completed');
    assert.equal(ended[0]!.results, 2);
  });

  it('a subscription the client stops, or whose socket closes, ends once, as stopped', async () => {
    ended.length = 0;
    const raw = await rawSocket(api.url, { authorization: `Bearer ${await token('stopper')}` });
    await raw.next((m) => m.type === 'connection_ack');
    // `forever` under the probe's name: its document is replaced by two ticks, so ask for one event first
    raw.send({ id: 's1', type: 'subscribe', payload: { query: 'subscription Watched { forever }' } });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(ended.length, 0);
    raw.send({ id: 's1', type: 'complete' });
    await until(() => ended.length > 0);
    assert.deepEqual(ended, [{ outcome: 'stopped', results: 0, errors: undefined }]);
    // and one closed by the socket's end
    raw.send({ id: 's2', type: 'subscribe', payload: { query: 'subscription Watched { forever }' } });
    await new Promise((r) => setTimeout(r, 100));
    raw.socket.close();
    await until(() => ended.length > 1);
    assert.equal(ended[1]!.outcome, 'stopped');
  });

  it('a document nested deeper than hardening.maxNesting: MAX_DEPTH_LIMIT before parsing', async () => {
    const client = api.client({ authorization: `Bearer ${await token('nester')}` });
    const deep = `subscription { ticks(count: 1) { n } ${'{'.repeat(250)} }`;
    const errors = refusal(await run(client, deep));
    assert.equal(errors[0].extensions.code, 'MAX_DEPTH_LIMIT');
  });

  it('an invalid document: GRAPHQL_VALIDATION_FAILED, without suggestions', async () => {
    const client = api.client({ authorization: `Bearer ${await token('typo')}` });
    const errors = refusal(await run(client, 'subscription { tick(count: 1) { n } }'));
    assert.equal(errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.doesNotMatch(errors[0].message, /Did you mean/);
  });

  it('a @requiresScopes subscription field without the scope: refused, no data for it', {
    skip: scopesPending,
  }, async () => {
    const client = api.client({ authorization: `Bearer ${await token('no-scope', ['other'])}` });
    // its only root field removed, nothing is left to run: the whole subscription is refused
    const errors = refusal(await run(client, 'subscription { secretTicks(count: 2) }'));
    assert.deepEqual(errors, [
      {
        message: 'The operation uses fields or arguments the caller is not authorized to use',
        extensions: { code: 'FORBIDDEN' },
      },
    ]);
    const granted = api.client({ authorization: `Bearer ${await token('scoped', ['secret:read'])}` });
    assert.deepEqual((await run(granted, 'subscription { secretTicks(count: 1) }')).results, [
      { data: { secretTicks: 0 } },
    ]);
  });

  it('a nested @authenticated field for an anonymous caller: null with UNAUTHORIZED_FIELD_OR_TYPE per event', {
    skip: scopesPending,
  }, async () => {
    const r = await run(api.client({}), 'subscription { ticks(count: 2) { n secret } }');
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(r.results.length, 2);
    r.results.forEach((event, i) => {
      assert.deepEqual(event.data, { ticks: { n: i, secret: null } });
      assert.equal(event.errors.length, 1);
      assert.equal(event.errors[0].extensions.code, 'UNAUTHORIZED_FIELD_OR_TYPE');
      assertNoHttp(event.errors);
    });
  });

  it('depth over the limit: MAX_DEPTH_LIMIT, nothing executed', { skip: limitsPending }, async () => {
    const client = api.client({ authorization: `Bearer ${await token('deep')}` });
    const errors = refusal(
      await run(client, 'subscription { ticks(count: 1) { node { child { child { child { id } } } } } }'),
    );
    assert.equal(errors[0].extensions.code, 'MAX_DEPTH_LIMIT');
  });

  it('the operation rate limit: the subscribe after the limit is RATE_LIMITED', {
    skip: rateLimitPending,
  }, async () => {
    const client = api.client({ authorization: `Bearer ${await token('flooder')}` });
    for (let i = 0; i < OPERATION_LIMIT; i++) {
      const ok = await run(client, 'subscription { ticks(count: 1) { n } }');
      assert.equal(ok.error, undefined, `subscription ${i + 1}: ${JSON.stringify(ok.error)}`);
    }
    const errors = refusal(await run(client, 'subscription { ticks(count: 1) { n } }'));
    assert.equal(errors[0].extensions.code, 'RATE_LIMITED');
  });

  it('one audit record for the start and one for the end of each subscription', { skip: auditPending }, async () => {
    const client = api.client({ authorization: `Bearer ${await token('auditor')}` });
    for (let i = 0; i < 2; i++) await run(client, 'subscription Audited { ticks(count: 2) { n } }');
    await new Promise((r) => setTimeout(r, 200)); // the audit writer flushes asynchronously
    const mine = auditRecords().filter((r) => JSON.stringify(r).includes('"auditor"'));
    const actions = mine.map((r) => JSON.stringify(r).match(/"graphql\.subscription\.(start|end|rejected)"/)?.[1]);
    assert.deepEqual(actions, ['start', 'end', 'start', 'end'], JSON.stringify(mine, null, 1));
    // one request id per subscription, shared by its start and end records
    const ids = mine.map((r) => r.http?.request?.id);
    assert.equal(typeof ids[0], 'string');
    assert.equal(ids[0], ids[1]);
    assert.equal(ids[2], ids[3]);
    assert.notEqual(ids[0], ids[2]);
    assert.match(JSON.stringify(mine[1]), /"events":2/);
  });

  it('a refused subscription is audited once, as rejected', { skip: auditPending }, async () => {
    const client = api.client({ authorization: `Bearer ${await token('refused-auditee')}` });
    refusal(await run(client, 'subscription Refused { ticks(count: 1) { n } }'));
    await new Promise((r) => setTimeout(r, 200));
    const mine = auditRecords().filter((r) => JSON.stringify(r).includes('"refused-auditee"'));
    assert.equal(mine.length, 1, JSON.stringify(mine, null, 1));
    assert.match(JSON.stringify(mine[0]), /"graphql\.subscription\.rejected"/);
    assert.match(JSON.stringify(mine[0]), /"FORBIDDEN"/);
  });
});

describe('graphql-ws: per-connection caps', () => {
  it('the 21st active subscription on one connection is refused with RATE_LIMITED', async () => {
    const raw = await rawSocket(subs.url, { authorization: `Bearer ${await token('many')}` });
    await raw.next((m) => m.type === 'connection_ack');
    for (let i = 1; i <= 21; i++) {
      raw.send({ id: `s${i}`, type: 'subscribe', payload: { query: 'subscription { forever }' } });
    }
    const error = await raw.next((m) => m.type === 'error');
    assert.equal(error.id, 's21');
    assert.equal(error.payload[0].extensions.code, 'RATE_LIMITED');
    assertNoHttp(error.payload);
    // a stopped subscription frees its place
    raw.send({ id: 's1', type: 'complete' });
    await new Promise((r) => setTimeout(r, 50));
    raw.send({ id: 's22', type: 'subscribe', payload: { query: 'subscription { forever }' } });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(raw.messages.filter((m) => m.type === 'error').length, 1, JSON.stringify(raw.messages));
    raw.socket.close();
  });

  it('a flood of messages: slowed down, then closed with 4429', async () => {
    const raw = await rawSocket(caps.url, { authorization: `Bearer ${await token('flood')}` });
    await raw.next((m) => m.type === 'connection_ack');
    const pongs = () => raw.messages.filter((m) => m.type === 'pong').length;
    // over the budget (10 per second): answered, but only once the next second starts
    for (let i = 0; i < 15; i++) raw.send({ type: 'ping' });
    await until(() => pongs() >= 10);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(pongs(), 10, 'the five over the budget wait');
    await until(() => pongs() === 15);
    // over twice the budget within one second: closed
    for (let i = 0; i < 25; i++) raw.send({ type: 'ping' });
    assert.deepEqual(await raw.closed, { code: 4429, reason: 'Too many messages' });
    assert.equal(pongs(), 25, 'the first ten of the flood were answered at once');
  });
});

describe('graphql-ws: token expiry', () => {
  it('a subscribe after the token expired (by the injected clock): closed with 4401', async () => {
    const raw = await rawSocket(caps.url, { authorization: `Bearer ${await token('expiring')}` });
    await raw.next((m) => m.type === 'connection_ack');
    skew = 301_000; // the tokens live 300 s
    try {
      raw.send({ id: 'late', type: 'subscribe', payload: { query: 'subscription { ticks(count: 1) { n } }' } });
      assert.deepEqual(await raw.closed, { code: 4401, reason: 'Token expired' });
    } finally {
      skew = 0;
    }
  });

  it('a token that expires during a subscription ends the connection with 4401 at expiry', async () => {
    // the server's clock 298 s ahead: the token (300 s) has one to two seconds left, the one real wait here
    skew = 298_000;
    try {
      const raw = await rawSocket(caps.url, { authorization: `Bearer ${await token('short-lived')}` });
      await raw.next((m) => m.type === 'connection_ack');
      raw.send({ id: 'long', type: 'subscribe', payload: { query: 'subscription { forever }' } });
      const started = Date.now();
      assert.deepEqual(await raw.closed, { code: 4401, reason: 'Token expired' });
      assert.ok(Date.now() - started < 2500);
    } finally {
      skew = 0;
    }
  });
});

describe('graphql-ws: the startup warning', () => {
  it('transformSchema warns once about Subscription fields that reach Rampart directives', async () => {
    const { rampart } = await import('@rampart/apollo');
    const { makeExecutableSchema } = await import('@graphql-tools/schema');
    const { wsTypeDefs, wsResolvers } = await import('./transports/ws.js');
    const warn = (m: string) => warnings.push(m);
    const security = rampart({ logger: { warn, error() {} } });
    const schema = () => makeExecutableSchema({ typeDefs: [security.typeDefs, wsTypeDefs], resolvers: wsResolvers });
    security.transformSchema(schema());
    security.transformSchema(schema());
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /Subscription\.ticks, Subscription\.secretTicks/);
    assert.match(warnings[0]!, /security\.graphqlWs\(\)/);
    const guarded = rampart({ logger: { warn, error() {} } });
    guarded.graphqlWs();
    guarded.transformSchema(makeExecutableSchema({ typeDefs: [guarded.typeDefs, wsTypeDefs], resolvers: wsResolvers }));
    assert.equal(warnings.length, 1);
  });
});
