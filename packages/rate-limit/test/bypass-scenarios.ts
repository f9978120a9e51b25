/**
 * Issue 12 scenarios, run against the memory store (bypass.test.ts) and Redis (bypass-redis.test.ts):
 * refusal before parsing (operation limit, cost budget, invalid documents charged), the per-identifier
 * pacing of the brute-force guard across many addresses, and address keys (IPv6 spellings and /64).
 */
import assert from 'node:assert/strict';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { postGraphQL } from '@rampart/testing';
import type { RateLimitOptions } from '../src/index.js';
import { type Harness, startHarness, TestClock } from './helpers.js';

/** Options every scenario starts from (the store and its key prefix). */
export type BaseOptions = () => Promise<Partial<RateLimitOptions>>;

/** Records every document Apollo parses (parsingDidStart); `count` counts those of {@link invalidDocument}. */
export function parseCounter(): { plugin: ApolloServerPlugin<BaseContext>; sources: string[]; readonly count: number } {
  const sources: string[] = [];
  return {
    sources,
    get count() {
      return sources.filter((s) => /x\d+: hello$/.test(s)).length;
    },
    plugin: {
      async requestDidStart() {
        return {
          async parsingDidStart(rc) {
            sources.push(rc.source ?? '');
          },
        };
      },
    } as ApolloServerPlugin<BaseContext>,
  };
}

/** A large document that fails to parse at its very end (unique per `i`, so never a cache hit). */
export function invalidDocument(i: number): string {
  return `{ ${Array.from({ length: 300 }, (_, k) => `a${k}: hello`).join(' ')} x${i}: hello`;
}

async function track(harnesses: Harness[], h: Promise<Harness>): Promise<Harness> {
  const started = await h;
  harnesses.push(started);
  return started;
}

/** A client at its operation limit sending invalid documents: 429 before parsing, with headers. */
export async function operationLimitBeforeParsing(base: BaseOptions, harnesses: Harness[], onHttpRequest: boolean) {
  const clock = new TestClock(Date.UTC(2026, 0, 15, 12, 0, 0));
  const parsed = parseCounter();
  const h = await track(
    harnesses,
    startHarness(
      { ...(await base()), operation: { limit: 3, duration: 60 } },
      { clock, plugins: [parsed.plugin], onHttpRequest },
    ),
  );
  const flood = { headers: { 'x-user': `flood-${onHttpRequest}` } };
  assert.equal((await postGraphQL(h.url, { query: '{ hello }' }, flood)).status, 200);
  assert.equal((await postGraphQL(h.url, { query: '{ nope }' }, flood)).status, 400); // validation: a call
  assert.equal((await postGraphQL(h.url, { query: invalidDocument(0) }, flood)).status, 400); // syntax: a call
  const before = parsed.count;
  assert.equal(before, 1);
  for (let i = 1; i <= 5; i++) {
    const r = await postGraphQL(h.url, { query: invalidDocument(i) }, flood);
    assert.equal(r.status, 429);
    assert.equal(r.body.errors[0].extensions.code, 'RATE_LIMITED');
    assert.equal(r.headers.get('retry-after'), '60');
    assert.equal(r.headers.get('ratelimit-policy'), '"operation";q=3;w=60');
    assert.equal(r.headers.get('ratelimit'), '"operation";r=0;t=60');
  }
  // a persisted-query hash and an operation name change nothing
  const pq = await postGraphQL(
    h.url,
    {
      query: invalidDocument(6),
      operationName: 'Op',
      extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } },
    },
    flood,
  );
  assert.equal(pq.status, 429);
  assert.equal(pq.body.errors[0].extensions.code, 'RATE_LIMITED');
  assert.equal(parsed.count, before, 'no refused document was parsed');
  for (let i = 1; i <= 6; i++) assert.ok(!parsed.sources.includes(invalidDocument(i)));
  assert.equal((await postGraphQL(h.url, { query: '{ hello }' }, { headers: { 'x-user': 'other' } })).status, 200);
  clock.advance(60_000);
  assert.equal((await postGraphQL(h.url, { query: '{ hello }' }, flood)).status, 200, 'the next window admits');
}

/** A client sending only invalid documents is limited too: by calls, and by the budget. */
export async function onlyInvalidDocuments(base: BaseOptions, harnesses: Harness[]) {
  const clock = new TestClock(Date.UTC(2026, 0, 15, 12, 0, 30));
  const parsed = parseCounter();
  const byCalls = await track(
    harnesses,
    startHarness({ ...(await base()), operation: { limit: 3, duration: 60 } }, { clock, plugins: [parsed.plugin] }),
  );
  const u = { headers: { 'x-user': 'junk' } };
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++)
    statuses.push((await postGraphQL(byCalls.url, { query: invalidDocument(100 + i) }, u)).status);
  assert.deepEqual(statuses, [400, 400, 400, 429, 429, 429]);
  assert.equal(parsed.count, 3);

  // the budget: every invalid document costs invalidDocumentCost (default 1)
  const budget = await track(
    harnesses,
    startHarness(
      { ...(await base()), costBudget: { maximumAvailable: 3, restoreRate: 0.01 } },
      { clock, plugins: [parsed.plugin] },
    ),
  );
  const before = parsed.count;
  const codes: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await postGraphQL(budget.url, { query: invalidDocument(200 + i) }, u);
    codes.push(`${r.status} ${r.body.errors[0].extensions.code}`);
    if (r.status === 429) assert.equal(r.headers.get('retry-after'), '100'); // 1 unit at 0.01/s
  }
  assert.deepEqual(codes, [
    '400 GRAPHQL_PARSE_FAILED',
    '400 GRAPHQL_PARSE_FAILED',
    '400 GRAPHQL_PARSE_FAILED',
    '429 THROTTLED',
    '429 THROTTLED',
  ]);
  assert.equal(parsed.count - before, 3);

  // a configured cost: 2 per invalid document out of 4
  const costly = await track(
    harnesses,
    startHarness(
      { ...(await base()), costBudget: { maximumAvailable: 4, restoreRate: 0.01, invalidDocumentCost: 2 } },
      { clock },
    ),
  );
  const s: number[] = [];
  for (let i = 0; i < 3; i++) s.push((await postGraphQL(costly.url, { query: invalidDocument(300 + i) }, u)).status);
  assert.deepEqual(s, [400, 400, 429]);
}

/** 25 failed attempts at one e-mail from 25 addresses: at most 10 (here 5) reach the resolver. */
export async function guessingFromManyAddresses(base: BaseOptions, harnesses: Harness[]) {
  const clock = new TestClock();
  const h = await track(
    harnesses,
    startHarness(
      { ...(await base()), bruteForce: [{ field: 'Mutation.login', identifierArgument: 'email' }] },
      { clock },
    ),
  );
  const login = (email: string, password: string, ip: string) =>
    postGraphQL(
      h.url,
      { query: `mutation { login(email: "${email}", password: "${password}") { ok } }` },
      { headers: { 'x-test-ip': ip } },
    );
  const all = await Promise.all(
    Array.from({ length: 25 }, (_, i) =>
      login(i % 2 ? 'Victim@Shop.test' : 'victim@shop.test', 'guess', `203.0.113.${i}`),
    ),
  );
  assert.ok(h.counters.login <= 10, `${h.counters.login} attempts evaluated`);
  assert.equal(h.counters.login, 5); // identifierBurst
  const refused = all.filter((r) => r.body.errors?.[0]?.extensions.code === 'RATE_LIMITED');
  assert.equal(refused.length, 20);
  assert.equal(refused[0]!.status, 200, 'a field error: no status change');
  assert.equal(refused[0]!.body.errors[0].extensions.retryAfter, 1);
  // paced, not locked: one more attempt a second later; one more at once is refused
  clock.advance(1000);
  await login('victim@shop.test', 'guess', '198.51.100.1');
  assert.equal(h.counters.login, 6);
  const next = await login('victim@shop.test', 'guess', '198.51.100.2');
  assert.equal(next.body.errors[0].extensions.code, 'RATE_LIMITED');
  assert.equal(h.counters.login, 6);
  // never locked out: after the longest delay (60 s) the owner gets in, and that resets the pacing
  clock.advance(60_000);
  const owner = await login('victim@shop.test', 'right', '192.0.2.10');
  assert.deepEqual(owner.body.data, { login: { ok: true } });
  for (let i = 0; i < 5; i++) await login('victim@shop.test', 'guess', `192.0.2.${20 + i}`);
  assert.equal(h.counters.login, 7 + 5);
  // another identifier is not affected
  assert.deepEqual((await login('other@shop.test', 'right', '203.0.113.1')).body.data, { login: { ok: true } });
}

/** Every spelling of an address, and every address of one /64, is one client. */
export async function addressKeys(base: BaseOptions, harnesses: Harness[]) {
  const clock = new TestClock();
  const h = await track(
    harnesses,
    startHarness({ ...(await base()), operation: { limit: 1, duration: 60 } }, { clock }),
  );
  const from = async (ip: string) =>
    (await postGraphQL(h.url, { query: '{ hello }' }, { headers: { 'x-test-ip': ip } })).status;
  assert.equal(await from('2001:db8::1'), 200);
  assert.equal(await from('2001:0DB8:0000:0000:0000:0000:0000:0001'), 429, 'another spelling');
  assert.equal(await from('[2001:db8::1]:8443'), 429, 'with brackets and a port');
  assert.equal(await from('2001:db8::abcd:1'), 429, 'the same /64');
  assert.equal(await from('2001:db8:0:1::1'), 200, 'another /64');
  assert.equal(await from('::ffff:192.0.2.7'), 200);
  assert.equal(await from('192.0.2.7'), 429, 'IPv4-mapped IPv6 is the IPv4 address');

  const perAddress = await track(
    harnesses,
    startHarness({ ...(await base()), ipv6Prefix: 128, operation: { limit: 1, duration: 60 } }, { clock }),
  );
  const at = async (ip: string) =>
    (await postGraphQL(perAddress.url, { query: '{ hello }' }, { headers: { 'x-test-ip': ip } })).status;
  assert.equal(await at('2001:db8::1'), 200);
  assert.equal(await at('2001:db8::2'), 200, 'ipv6Prefix 128: per address');
  assert.equal(await at('2001:DB8:0::2'), 429, 'still one key per spelling');
}
