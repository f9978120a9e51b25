import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { RampartConfigError } from '@rampart/core';
import { postGraphQL } from '@rampart/testing';
import { calendarWindow } from '../src/calendar.js';
import { rateLimitHeaders } from '../src/headers.js';
import { MemoryStore, RateLimiter } from '../src/index.js';
import { resolveRateLimitOptions } from '../src/options.js';
import { type Harness, startHarness, TestClock } from './helpers.js';

const q = (query: string, variables?: Record<string, unknown>) => ({ query, variables });

// The Store contract (all-or-nothing, buckets, upTo, blocks, adjust, delete) is store-contract.test.ts;
// here what only the memory store does: keys expire by the passed clock, bounded size, sweeping.
describe('MemoryStore', () => {
  test('counter: the window expires by the passed clock', () => {
    const s = new MemoryStore({ sweepIntervalMs: 0 });
    const a = { type: 'counter', key: 'a', limit: 2, cost: 1, ttlMs: 1000 } as const;
    s.applySync([a], 0);
    assert.equal(s.applySync([a], 20).results[0]!.value, 2);
    assert.equal(s.applySync([a], 999).allowed, false);
    assert.deepEqual(s.applySync([a], 1000).results[0], { allowed: true, value: 1, resetMs: 1000 }); // expired at t=1000
  });

  test('counter with block: blocked for blockMs by the passed clock, past the window', () => {
    const s = new MemoryStore({ sweepIntervalMs: 0 });
    const op = { type: 'counter', key: 'x', limit: 2, cost: 1, ttlMs: 1000, blockMs: 60_000 } as const;
    s.applySync([op], 0);
    s.applySync([op], 0);
    assert.equal(s.applySync([op], 500).results[0]!.resetMs, 60_000);
    assert.equal(s.applySync([op], 30_000).allowed, false); // still blocked after the window
    assert.equal(s.applySync([op], 60_500).allowed, true);
  });

  test('bounded: never more than maxKeys; least recently used evicted first', () => {
    const s = new MemoryStore({ maxKeys: 1000, sweepIntervalMs: 0 });
    const op = (key: string) => ({ type: 'counter', key, limit: 1000, cost: 1, ttlMs: 60_000 }) as const;
    s.applySync([op('keep')], 0);
    for (let i = 0; i < 5000; i++) {
      s.applySync([op(`k${i}`)], 1);
      if (i % 100 === 0) s.applySync([op('keep')], 1); // touched: stays
    }
    assert.equal(s.size, 1000);
    assert.equal(s.applySync([op('keep')], 2).results[0]!.value, 52);
    assert.equal(s.applySync([op('k0')], 2).results[0]!.value, 1); // evicted, counts from 1
  });

  test('sweep drops expired keys', () => {
    const s = new MemoryStore({ sweepIntervalMs: 0 });
    for (let i = 0; i < 100; i++) s.applySync([{ type: 'counter', key: `k${i}`, limit: 5, cost: 1, ttlMs: 10 }], 0);
    assert.equal(s.size, 100);
    assert.equal(s.sweep(11), 100);
    assert.equal(s.size, 0);
  });
});

describe('calendar windows (UTC)', () => {
  test('month rollover 31 → 1 and December → January', () => {
    const dec31 = Date.UTC(2026, 11, 31, 23, 59, 59, 999);
    const w = calendarWindow(dec31, 'month');
    assert.equal(w.id, '2026-12');
    assert.equal(w.end, Date.UTC(2027, 0, 1));
    assert.equal(calendarWindow(w.end, 'month').id, '2027-01');
    assert.equal(calendarWindow(dec31, 'day').id, '2026-12-31');
    assert.equal(calendarWindow(dec31 + 1, 'day').id, '2027-01-01');
    assert.equal(calendarWindow(Date.UTC(2027, 0, 31, 12), 'month').end, Date.UTC(2027, 1, 1));
    assert.equal(calendarWindow(Date.UTC(2028, 1, 29, 12), 'day').id, '2028-02-29');
  });
});

describe('options', () => {
  test('unknown and bad options fail at startup naming the option', () => {
    assert.throws(
      () => resolveRateLimitOptions({ stor: new MemoryStore() } as never),
      (e: unknown) => {
        assert.ok(e instanceof RampartConfigError);
        assert.equal(e.option, 'rateLimit.stor');
        assert.match(e.message, /did you mean "store"/);
        return true;
      },
    );
    assert.throws(
      () => resolveRateLimitOptions({ onStoreError: 'ignore' as never }),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'rateLimit.onStoreError',
    );
    assert.throws(
      () => resolveRateLimitOptions({ costBudget: { maximumAvailable: 100 } as never }),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'rateLimit.costBudget.restoreRate',
    );
    assert.throws(
      () => resolveRateLimitOptions({ throttle: { mode: 'delay', maxDelay: 5 } as never }),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'rateLimit.throttle.maxDelay',
    );
    assert.throws(
      () => resolveRateLimitOptions({ bruteForce: [{ field: 'login' }] }),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'rateLimit.bruteForce[0].field',
    );
  });

  test('headers follow the IETF draft syntax', () => {
    assert.deepEqual(
      rateLimitHeaders([{ name: 'op"x', quota: 50, windowSeconds: 60, remaining: 3.7, resetSeconds: 12.2 }]),
      { 'ratelimit-policy': '"op\\"x";q=50;w=60', ratelimit: '"op\\"x";r=3;t=13' },
    );
  });
});

describe('operation-level policies over HTTP (memory store)', () => {
  const harnesses: Harness[] = [];
  after(async () => {
    for (const h of harnesses) await h.stop();
  });
  const start = async (...a: Parameters<typeof startHarness>) => {
    const h = await startHarness(...a);
    harnesses.push(h);
    return h;
  };

  test('operation limit: 429, integer Retry-After, RateLimit headers, decisions, window boundary', async () => {
    const clock = new TestClock(Date.UTC(2026, 0, 15, 12, 0, 50));
    const h = await start({ operation: { limit: 3, duration: 60 } }, { clock });
    const alice = { headers: { 'x-user': 'alice' } };
    for (let i = 0; i < 3; i++) {
      const r = await postGraphQL(h.url, q('{ hello }'), alice);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('ratelimit-policy'), '"operation";q=3;w=60');
      assert.equal(r.headers.get('ratelimit'), `"operation";r=${2 - i};t=10`);
    }
    const r = await postGraphQL(h.url, q('{ hello }'), alice);
    assert.equal(r.status, 429);
    assert.equal(r.body.errors[0].extensions.code, 'RATE_LIMITED');
    assert.equal(r.body.errors[0].extensions.retryAfter, 10);
    assert.equal(r.headers.get('retry-after'), '10');
    assert.equal(r.headers.get('ratelimit'), '"operation";r=0;t=10');
    assert.equal(r.body.data, undefined);
    const ev = h.states.at(-1)!.events.filter((e) => e.source === 'rate-limit');
    assert.deepEqual(
      ev.map((e) => [e.outcome, e.code, e.rule, e.details]),
      [['limited', 'RATE_LIMITED', 'operation', { limit: 3, remaining: 0, resetMs: 10_000 }]],
    );
    // another client is counted apart
    assert.equal((await postGraphQL(h.url, q('{ hello }'), { headers: { 'x-user': 'bob' } })).status, 200);
    // the next window (aligned to the minute) admits again
    clock.advance(10_000);
    assert.equal((await postGraphQL(h.url, q('{ hello }'), alice)).status, 200);
  });

  test('anonymous principals are keyed by IP, not one global key', async () => {
    const h = await start({ operation: { limit: 1, duration: 60 } }, { clock: new TestClock() });
    assert.equal((await postGraphQL(h.url, q('{ hello }'), { headers: { 'x-test-ip': '203.0.113.1' } })).status, 200);
    assert.equal((await postGraphQL(h.url, q('{ hello }'), { headers: { 'x-test-ip': '203.0.113.1' } })).status, 429);
    assert.equal((await postGraphQL(h.url, q('{ hello }'), { headers: { 'x-test-ip': '203.0.113.2' } })).status, 200);
  });

  test('cost budget: charge estimate, refund to actual, restore over time, THROTTLED with nothing executed', async () => {
    const clock = new TestClock();
    const h = await start({ costBudget: { maximumAvailable: 100, restoreRate: 10 } }, { clock });
    const call = (est: number, act: number) =>
      postGraphQL(h.url, q('{ search(term: "x") }'), {
        headers: { 'x-client': 'shop', 'x-estimated-cost': String(est), 'x-actual-cost': String(act) },
      });
    let r = await call(60, 20); // charge 60, refund 40 → 80 left
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.extensions.cost, {
      requestedQueryCost: 60,
      actualQueryCost: 20,
      throttleStatus: { maximumAvailable: 100, currentlyAvailable: 80, restoreRate: 10 },
    });
    r = await call(70, 70); // 10 left
    assert.equal(r.body.extensions.cost.throttleStatus.currentlyAvailable, 10);
    const before = h.counters.search;
    r = await call(30, 30);
    assert.equal(r.status, 429);
    assert.equal(r.body.errors[0].extensions.code, 'THROTTLED');
    assert.equal(r.headers.get('retry-after'), '2'); // 20 more units at 10/s
    assert.match(r.headers.get('ratelimit') ?? '', /^"cost-budget";r=10;t=2$/);
    assert.equal(h.counters.search, before, 'nothing executed');
    assert.equal(r.body.extensions.cost.requestedQueryCost, 30);
    clock.advance(2000); // leaky-bucket restore: 20 units back
    r = await call(30, 30);
    assert.equal(r.status, 200);
    assert.equal(r.body.extensions.cost.throttleStatus.currentlyAvailable, 0);
    // with nothing left, the next request is refused before its document is parsed (its cost unknown)
    r = await call(5, 5);
    assert.equal(r.status, 429);
    assert.equal(r.body.errors[0].extensions.code, 'THROTTLED');
    assert.equal(r.headers.get('retry-after'), '1'); // 1 unit (invalidDocumentCost) at 10/s
    assert.equal(h.counters.search, before + 1);
    // a query that can never fit says so
    clock.advance(60_000);
    r = await call(150, 150);
    assert.equal(r.status, 429);
    assert.match(r.body.errors[0].message, /exceeds the maximum available cost of 100/);
  });

  test('an operation another plugin refuses after our charge is refunded (budget and quota), nothing executed', async () => {
    const { GraphQLError } = await import('graphql');
    const clock = new TestClock();
    const rejecting = {
      async requestDidStart(rc: any) {
        const reject = rc.request.http?.headers.get('x-reject') === '1';
        return {
          async didResolveOperation() {
            if (reject)
              throw new GraphQLError('too expensive', {
                extensions: { code: 'COST_ESTIMATED_TOO_EXPENSIVE', http: { status: 400 } },
              });
          },
        };
      },
    };
    const h = await start(
      { costBudget: { maximumAvailable: 100, restoreRate: 1 }, quotas: [{ name: 'daily', period: 'day', limit: 2 }] },
      { clock, plugins: [rejecting as never] },
    );
    const call = (reject: boolean) =>
      postGraphQL(h.url, q('{ hello }'), {
        headers: { 'x-user': 'refund', 'x-estimated-cost': '60', ...(reject ? { 'x-reject': '1' } : {}) },
      });
    for (let i = 0; i < 3; i++) assert.equal((await call(true)).status, 400);
    const ok = await call(false);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.extensions.cost.throttleStatus.currentlyAvailable, 40, 'the refused calls were refunded');
    assert.equal((await call(false)).status, 429); // 40 < 60
  });

  test('cost budget without @rampart/limits charges the fixed cost', async () => {
    const h = await start(
      { costBudget: { maximumAvailable: 10, restoreRate: 1, fixedCost: 4 } },
      { clock: new TestClock() },
    );
    const codes = [];
    for (let i = 0; i < 3; i++)
      codes.push((await postGraphQL(h.url, q('{ hello }'), { headers: { 'x-user': 'u' } })).status);
    assert.deepEqual(codes, [200, 200, 429]);
  });

  test('monthly quota: QUOTA_EXCEEDED, resets at the UTC month boundary (Dec → Jan), only for matching principals', async () => {
    const clock = new TestClock(Date.UTC(2026, 11, 31, 23, 59, 0));
    const h = await start(
      { quotas: [{ name: 'partner-monthly', period: 'month', limit: 2, appliesTo: (p) => p.clientId === 'partner' }] },
      { clock },
    );
    const partner = { headers: { 'x-client': 'partner' } };
    assert.equal((await postGraphQL(h.url, q('{ hello }'), partner)).status, 200);
    const ok = await postGraphQL(h.url, q('{ hello }'), partner);
    assert.equal(ok.headers.get('ratelimit-policy'), '"partner-monthly";q=2;w=2678400');
    const r = await postGraphQL(h.url, q('{ hello }'), partner);
    assert.equal(r.status, 429);
    assert.equal(r.body.errors[0].extensions.code, 'QUOTA_EXCEEDED');
    assert.equal(r.headers.get('retry-after'), '60');
    for (let i = 0; i < 5; i++)
      assert.equal((await postGraphQL(h.url, q('{ hello }'), { headers: { 'x-client': 'other' } })).status, 200);
    clock.set(Date.UTC(2027, 0, 1, 0, 0, 0));
    assert.equal((await postGraphQL(h.url, q('{ hello }'), partner)).status, 200);
  });

  test('daily quota counted in cost; a quota refusal charges nothing but the call (counted before parsing)', async () => {
    const clock = new TestClock(Date.UTC(2026, 2, 31, 23, 0, 0));
    const h = await start(
      {
        operation: { limit: 100, duration: 60 },
        costBudget: { maximumAvailable: 1000, restoreRate: 1 },
        quotas: [{ name: 'daily-cost', period: 'day', limit: 50, unit: 'cost' }],
      },
      { clock },
    );
    const call = (est: number, act: number) =>
      postGraphQL(h.url, q('{ hello }'), {
        headers: { 'x-user': 'u', 'x-estimated-cost': String(est), 'x-actual-cost': String(act) },
      });
    assert.equal((await call(40, 10)).status, 200); // quota 10 after refund
    const r = await call(45, 45); // 10 + 45 > 50
    assert.equal(r.status, 429);
    assert.equal(r.body.errors[0].extensions.code, 'QUOTA_EXCEEDED');
    const ok = await call(40, 40);
    assert.equal(ok.status, 200);
    // budget saw 40 then 10 refunded, then 40: 1000 - 10 - 40 = 950, nothing from the refused call;
    // the refused call is still a call (the operation limit is charged before parsing)
    assert.equal(ok.body.extensions.cost.throttleStatus.currentlyAvailable, 950);
    assert.match(
      ok.headers.get('ratelimit') ?? '',
      /"operation";r=97;t=\d+, "cost-budget";r=950;t=\d+, "daily-cost";r=0;t=3600/,
    );
    clock.set(Date.UTC(2026, 3, 1, 0, 0, 0)); // 31 March → 1 April
    assert.equal((await call(45, 45)).status, 200);
  });

  test('delay mode: waits for the window instead of failing, bounded by maxDelayMs', async () => {
    const clock = new TestClock(Date.UTC(2026, 0, 15, 12, 0, 59, 500));
    const h = await start(
      { operation: { limit: 1, duration: 60 }, throttle: { mode: 'delay', maxDelayMs: 1000 }, sleep: clock.sleep },
      { clock },
    );
    const u = { headers: { 'x-user': 'slow' } };
    assert.equal((await postGraphQL(h.url, q('{ hello }'), u)).status, 200);
    const r = await postGraphQL(h.url, q('{ hello }'), u);
    assert.equal(r.status, 200, 'slowed down, not refused');
    assert.deepEqual(clock.slept, [500]);
    // now 12:01:00 with the slot used: the next window is 60 s away, more than maxDelayMs
    const refused = await postGraphQL(h.url, q('{ hello }'), u);
    assert.equal(refused.status, 429);
    assert.deepEqual(clock.slept, [500]);
    assert.match(refused.body.errors[0].message, /after the longest allowed wait/);
  });

  test('delay mode applies only to the principals throttle.appliesTo selects; the others get 429 at once', async () => {
    const clock = new TestClock(Date.UTC(2026, 0, 15, 12, 0, 59, 500));
    const h = await start(
      {
        operation: { limit: 1, duration: 60 },
        throttle: { mode: 'delay', maxDelayMs: 1000, appliesTo: (p) => p.clientId === 'storefront' },
        sleep: clock.sleep,
      },
      { clock },
    );
    const storefront = { headers: { 'x-client': 'storefront' } };
    const partner = { headers: { 'x-client': 'partner' } };
    assert.equal((await postGraphQL(h.url, q('{ hello }'), partner)).status, 200);
    const refused = await postGraphQL(h.url, q('{ hello }'), partner);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.errors[0].extensions.code, 'RATE_LIMITED');
    assert.deepEqual(clock.slept, [], 'the partner is not slowed down');
    assert.equal((await postGraphQL(h.url, q('{ hello }'), storefront)).status, 200);
    assert.equal((await postGraphQL(h.url, q('{ hello }'), storefront)).status, 200, 'slowed down, not refused');
    assert.deepEqual(clock.slept, [500]);
    assert.throws(
      () => resolveRateLimitOptions({ throttle: { mode: 'delay', appliesTo: 'storefront' } as never }),
      /rateLimit\.throttle\.appliesTo/,
    );
  });

  test('delay mode with a cost budget waits for the bucket to refill', async () => {
    const clock = new TestClock();
    const h = await start(
      {
        costBudget: { maximumAvailable: 10, restoreRate: 10 },
        throttle: { mode: 'delay', maxDelayMs: 2000 },
        sleep: clock.sleep,
      },
      { clock },
    );
    const call = () => postGraphQL(h.url, q('{ hello }'), { headers: { 'x-user': 'u', 'x-estimated-cost': '10' } });
    assert.equal((await call()).status, 200);
    assert.equal((await call()).status, 200);
    // before parsing it waits for the first unit (100 ms), after the estimate for the other 9
    assert.deepEqual(clock.slept, [100, 900]);
  });

  test('delay mode queue is bounded per client', async () => {
    const limiter = new RateLimiter({
      operation: { limit: 1, duration: 60 },
      throttle: { mode: 'delay', maxDelayMs: 60_000, maxQueue: 2 },
      sleep: () => new Promise((r) => setTimeout(r, 50)), // real short waits; the clock does not move
    });
    const { SecurityState, createPrincipal } = await import('@rampart/core');
    const clock = new TestClock(Date.UTC(2026, 0, 1, 0, 0, 59, 990));
    const st = () =>
      new SecurityState({ principal: createPrincipal({ id: 'q', kind: 'user', authMethod: 'jwt' }), clock });
    assert.equal((await limiter.decideOperation(st())).error, undefined);
    const waiting = [limiter.decideOperation(st()), limiter.decideOperation(st())];
    const third = await limiter.decideOperation(st()); // queue full: refused at once
    assert.equal(third.error?.extensions.code, 'RATE_LIMITED');
    clock.advance(10); // the window turns: one waiter gets the slot; the other would now wait past maxDelayMs
    const res = await Promise.all(waiting);
    assert.deepEqual(res.map((d) => (d.error ? 'refused' : 'admitted')).sort(), ['admitted', 'refused'].sort());
    await limiter.close();
  });
});

describe('@rateLimit fields over HTTP (memory store)', () => {
  let h: Harness;
  const clock = new TestClock(Date.UTC(2026, 0, 15, 12, 0, 0));
  test('setup', async () => {
    h = await startHarness({}, { clock });
  });
  after(() => h?.stop());

  test('charged per resolver call; aliases count separately; field error, no status change', async () => {
    const u = { headers: { 'x-user': 'fields' } };
    const r = await postGraphQL(
      h.url,
      q('{ hello a: search(term: "a") b: search(term: "b") c: search(term: "c") d: search(term: "d") }'),
      u,
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.data.hello, 'world');
    assert.deepEqual([r.body.data.a, r.body.data.b, r.body.data.c], [['a'], ['b'], ['c']]);
    assert.equal(r.body.data.d, null);
    assert.equal(r.body.errors.length, 1);
    assert.deepEqual(r.body.errors[0].path, ['d']);
    assert.equal(r.body.errors[0].extensions.code, 'RATE_LIMITED');
    assert.equal(r.body.errors[0].extensions.http, undefined);
    assert.equal(r.body.errors[0].extensions.retryAfter, 60);
    assert.equal(h.counters.search, 3);
    const events = h.states.at(-1)!.events.filter((e) => e.source === 'rate-limit');
    assert.deepEqual(
      events.map((e) => [e.outcome, e.coordinate, e.rule, e.path, e.details]),
      [
        ['limited', 'Query.search', 'Query.search:3/60s', 'd', { limit: 3, remaining: 0, resetMs: 60_000 }],
        [
          'allowed',
          'Query.search',
          'Query.search:3/60s',
          undefined,
          { limit: 3, remaining: 0, resetMs: 60_000, calls: 3 },
        ],
      ],
    );
    // another user has an own counter
    assert.deepEqual(
      (await postGraphQL(h.url, q('{ search(term: "z") }'), { headers: { 'x-user': 'other' } })).body.data,
      {
        search: ['z'],
      },
    );
  });

  test('several limits on one field (2/min and 5/day), all-or-nothing', async () => {
    const u = { headers: { 'x-user': 'multi' } };
    const codes: Array<string | null> = [];
    for (let m = 0; m < 4; m++) {
      const r = await postGraphQL(h.url, q('{ a: twice b: twice c: twice }'), u);
      for (const k of ['a', 'b', 'c']) codes.push(r.body.data[k] === 2 ? 'ok' : null);
      clock.advance(60_000);
    }
    // minute 1: 2 ok; minute 2: 2 ok (4/day); minute 3: 1 ok (5/day); minute 4: none
    assert.deepEqual(codes, ['ok', 'ok', null, 'ok', 'ok', null, 'ok', null, null, null, null, null]);
  });

  test('key from arguments: by "args.email" counts per address across clients', async () => {
    const r1 = await postGraphQL(h.url, q('{ a: reset(email: "x@y.z") b: reset(email: "x@y.z") }'), {
      headers: { 'x-user': 'p1' },
    });
    assert.deepEqual(r1.body.data, { a: true, b: true });
    const r2 = await postGraphQL(h.url, q('{ a: reset(email: "x@y.z") b: reset(email: "other@y.z") }'), {
      headers: { 'x-user': 'p2' },
    });
    assert.deepEqual(r2.body.data, { a: null, b: true });
    assert.equal(r2.body.errors[0].extensions.code, 'RATE_LIMITED');
  });

  test('object-level default applies to fields without their own @rateLimit; the field own one wins', async () => {
    const u = { headers: { 'x-user': 'obj' } };
    const r = await postGraphQL(h.url, q('{ me { a: id b: id c: id n1: name n2: name n3: name } }'), u);
    assert.equal(r.body.data.me.a, '1');
    assert.equal(r.body.data.me.b, '1');
    assert.equal(r.body.data.me.c, null);
    assert.deepEqual([r.body.data.me.n1, r.body.data.me.n2, r.body.data.me.n3], ['Ann', 'Ann', 'Ann']);
  });

  test('inside a list: one charge per item, the rest are field errors with partial data', async () => {
    const before = h.counters.price;
    const r = await postGraphQL(h.url, q('{ items(n: 150) { id price } }'), { headers: { 'x-user': 'list' } });
    assert.equal(r.status, 200);
    assert.equal(h.counters.price - before, 100);
    assert.equal(r.body.data.items.filter((i: { price: number | null }) => i.price !== null).length, 100);
    assert.equal(r.body.errors.length, 50);
  });

  test('only declaring fields are wrapped; undeclared fields keep their resolver', async () => {
    const { makeExecutableSchema } = await import('@graphql-tools/schema');
    const { rateLimitModule } = await import('../src/index.js');
    const { baseTypeDefs, baseResolvers } = await import('./helpers.js');
    const mod = rateLimitModule({});
    const resolvers = baseResolvers({ search: 0, login: 0, price: 0 });
    const schema = makeExecutableSchema({ typeDefs: [mod.typeDefs!, baseTypeDefs], resolvers });
    const out = mod.transformSchema!(schema);
    const qt = out.getQueryType()!.getFields();
    const before = schema.getQueryType()!.getFields();
    assert.equal(qt.hello!.resolve, before.hello!.resolve);
    assert.notEqual(qt.search!.resolve, before.search!.resolve);
    assert.equal((out.getType('Item') as any).getFields().id.resolve, undefined);
  });

  test('a @rateLimit on an interface field applies to every implementation (graphql-js does not inherit it)', async () => {
    const { makeExecutableSchema } = await import('@graphql-tools/schema');
    const { rateLimitModule } = await import('../src/index.js');
    const { attachSecurityState, createPrincipal, SecurityState } = await import('@rampart/core');
    const { execute, parse } = await import('graphql');
    const mod = rateLimitModule({});
    const schema = mod.transformSchema!(
      makeExecutableSchema({
        typeDefs: [
          mod.typeDefs!,
          `interface Node { secret: String @rateLimit(limit: 1, duration: 60) }
           type A implements Node { secret: String }
           type Query { a: A }`,
        ],
        resolvers: { Query: { a: () => ({ secret: 's' }) } },
      }),
    );
    const ctx = {};
    attachSecurityState(
      ctx,
      new SecurityState({ principal: createPrincipal({ id: 'i', kind: 'user', authMethod: 'jwt' }) }),
    );
    const r = await execute({ schema, document: parse('{ a { x: secret y: secret } }'), contextValue: ctx });
    assert.deepEqual(JSON.parse(JSON.stringify(r.data)), { a: { x: 's', y: null } });
    assert.equal(r.errors?.[0]?.extensions.code, 'RATE_LIMITED');
  });

  test('bad directive arguments fail at startup naming the field', async () => {
    const { makeExecutableSchema } = await import('@graphql-tools/schema');
    const { rateLimitModule } = await import('../src/index.js');
    const mod = rateLimitModule({});
    const schema = makeExecutableSchema({
      typeDefs: [mod.typeDefs!, 'type Query { x: Int @rateLimit(limit: 0, duration: 5) }'],
    });
    assert.throws(() => mod.transformSchema!(schema), /@rateLimit on Query.x: limit must be an integer/);
    const bf = rateLimitModule({ bruteForce: [{ field: 'Mutation.signIn' }] });
    assert.throws(
      () => bf.transformSchema!(makeExecutableSchema({ typeDefs: [bf.typeDefs!, 'type Query { x: Int }'] })),
      /Mutation.signIn is not in the schema/,
    );
  });
});

describe('brute-force guard (memory store)', () => {
  let h: Harness;
  const clock = new TestClock();
  test('setup', async () => {
    h = await startHarness(
      {
        bruteForce: [
          {
            field: 'Mutation.login',
            identifierArgument: 'email',
            maxFailures: 5,
            maxFailuresPerIp: 20,
            windowSeconds: 900,
            blockSeconds: 600,
          },
        ],
      },
      { clock },
    );
  });
  after(() => h?.stop());

  const batch = (n: number, email: string, password: string) =>
    `mutation { ${Array.from({ length: n }, (_, i) => `a${i}: login(email: "${email}", password: "${password}") { ok }`).join(' ')} }`;

  test('100 aliased login attempts: counted one by one, the excess never runs', async () => {
    const ip = { headers: { 'x-test-ip': '198.51.100.7' } };
    const r = await postGraphQL(h.url, q(batch(100, 'victim@shop.test', 'guess')), ip);
    assert.equal(r.status, 200);
    assert.equal(h.counters.login, 5);
    const limited = r.body.errors.filter((e: any) => e.extensions.code === 'RATE_LIMITED');
    assert.equal(limited.length, 95);
    assert.equal(limited[0].extensions.retryAfter, 600);
    assert.equal(limited[0].extensions.http, undefined);
    // blocked: even the right password is not tried for this identifier from this IP
    const again = await postGraphQL(h.url, q(batch(1, 'victim@shop.test', 'right')), ip);
    assert.equal(again.body.errors[0].extensions.code, 'RATE_LIMITED');
    assert.equal(h.counters.login, 5);
    const ev = h.states.at(-1)!.events.find((e) => e.outcome === 'limited')!;
    assert.equal(ev.rule, 'brute-force:Mutation.login');
    assert.equal(ev.coordinate, 'Mutation.login');
    // after the block, it may try again
    clock.advance(600_001);
    const ok = await postGraphQL(h.url, q(batch(1, 'victim@shop.test', 'right')), ip);
    assert.deepEqual(ok.body.data, { a0: { ok: true } });
  });

  test('success resets the identifier count; thrown errors count as failures; per-IP limit across identifiers', async () => {
    const ip = { headers: { 'x-test-ip': '198.51.100.8' } };
    const start = h.counters.login;
    await postGraphQL(h.url, q(batch(4, 'a@shop.test', 'guess')), ip);
    await postGraphQL(h.url, q(batch(1, 'a@shop.test', 'right')), ip); // reset
    const r = await postGraphQL(h.url, q(batch(4, 'a@shop.test', 'throw')), ip);
    assert.equal(r.body.errors.filter((e: any) => e.extensions.code === 'RATE_LIMITED').length, 0);
    assert.equal(h.counters.login - start, 9);
    // per IP: 20 failures in total (8 so far) whatever the identifier
    const spray = await postGraphQL(
      h.url,
      q(
        `mutation { ${Array.from({ length: 20 }, (_, i) => `a${i}: login(email: "u${i}@shop.test", password: "x") { ok }`).join(' ')} }`,
      ),
      ip,
    );
    assert.equal(h.counters.login - start, 9 + 12);
    assert.equal(spray.body.errors.filter((e: any) => e.extensions.code === 'RATE_LIMITED').length, 8);
  });
});

describe('rateLimitPlugin alone', () => {
  test('works without rampart().context (state created by the plugin) and warns about the shared ip:unknown key', async () => {
    const { startTestServer } = await import('@rampart/testing');
    const { rateLimitPlugin } = await import('../src/index.js');
    const warnings: string[] = [];
    const clock = new TestClock();
    const s = await startTestServer({
      typeDefs: 'type Query { hello: String }',
      resolvers: { Query: { hello: () => 'x' } },
      plugins: [rateLimitPlugin({ operation: { limit: 2, duration: 60 }, clock, warn: (m) => warnings.push(m) })],
    });
    try {
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await postGraphQL(s.graphqlUrl, { query: '{ hello }' })).status);
      assert.deepEqual(codes, [200, 200, 429]);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /ip:unknown/);
    } finally {
      await s.stop();
    }
  });

  test('defaults: admitted responses carry no RateLimit headers and no extensions.cost; a 429 carries them', async () => {
    const { startTestServer } = await import('@rampart/testing');
    const { rateLimitPlugin } = await import('../src/index.js');
    const clock = new TestClock();
    const s = await startTestServer({
      typeDefs: 'type Query { hello: String }',
      resolvers: { Query: { hello: () => 'x' } },
      plugins: [
        rateLimitPlugin({
          operation: { limit: 1, duration: 60 },
          costBudget: { maximumAvailable: 100, restoreRate: 1 },
          clock,
          warn: () => {},
        }),
      ],
    });
    try {
      const ok = await postGraphQL(s.graphqlUrl, { query: '{ hello }' });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('ratelimit'), null);
      assert.equal(ok.headers.get('ratelimit-policy'), null);
      assert.equal(ok.body.extensions, undefined);
      const limited = await postGraphQL(s.graphqlUrl, { query: '{ hello }' });
      assert.equal(limited.status, 429);
      assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/);
      assert.match(limited.headers.get('ratelimit-policy') ?? '', /"operation";q=1;w=60/);
      assert.match(limited.headers.get('ratelimit') ?? '', /"operation";r=0;t=\d+/);
    } finally {
      await s.stop();
    }
  });

  test('a non-finite or negative estimated cost falls back to the fixed cost', async () => {
    const h = await startHarness(
      { costBudget: { maximumAvailable: 10, restoreRate: 1, fixedCost: 5 } },
      { clock: new TestClock() },
    );
    try {
      const call = (est: string) =>
        postGraphQL(
          h.url,
          { query: '{ hello }' },
          { headers: { 'x-user': 'nan', 'x-estimated-cost': est, 'x-actual-cost': est } },
        );
      const r = await call('NaN');
      assert.equal(r.status, 200);
      assert.equal(r.body.extensions.cost.requestedQueryCost, 5);
      assert.equal(r.body.extensions.cost.actualQueryCost, null);
      assert.equal((await call('-50')).status, 200);
      assert.equal((await call('Infinity')).status, 429);
    } finally {
      await h.stop();
    }
  });
});
