import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectRedis, deleteKeys, postGraphQL, startPrivateRedis } from '@rampart/testing';
import { Redis } from 'ioredis';
import { RedisStore, redisStore, type Store } from '../src/index.js';
import { type Harness, startHarness, TestClock } from './helpers.js';

const PREFIX = `rampart:test:rl-redis:${process.pid}:`;
let redis: Redis;
const clients: Redis[] = [];
const harnesses: Harness[] = [];

before(async () => {
  redis = await connectRedis();
  await deleteKeys(redis, PREFIX);
});
after(async () => {
  for (const h of harnesses) await h.stop();
  await deleteKeys(redis, PREFIX);
  for (const c of clients) c.disconnect();
  redis.disconnect();
});

async function store(prefix = PREFIX): Promise<RedisStore> {
  const c = await connectRedis();
  clients.push(c);
  void prefix;
  return new RedisStore(c);
}

// The Store contract, shared with MemoryStore, is store-contract.test.ts.

describe('two replicas sharing one Redis, 200 concurrent requests', () => {
  let r1: Harness;
  let r2: Harness;
  const clock = new TestClock(Date.UTC(2026, 5, 10, 8, 0, 0));
  before(async () => {
    const options = {
      prefix: PREFIX,
      operation: { limit: 50, duration: 60 },
      costBudget: { maximumAvailable: 50 * 7, restoreRate: 0.001 },
      quotas: [
        {
          name: 'partner-monthly',
          period: 'month' as const,
          limit: 50,
          appliesTo: (p: any) => p.clientId === 'partner',
        },
      ],
    };
    r1 = await startHarness({ ...options, store: await store() }, { clock });
    r2 = await startHarness({ ...options, store: await store() }, { clock });
    harnesses.push(r1, r2);
  });

  async function burst(headers: Record<string, string>): Promise<Map<number, number>> {
    const all = await Promise.all(
      Array.from({ length: 200 }, (_, i) => postGraphQL((i % 2 ? r1 : r2).url, { query: '{ hello }' }, { headers })),
    );
    const by = new Map<number, number>();
    for (const r of all) by.set(r.status, (by.get(r.status) ?? 0) + 1);
    return by;
  }

  test('operation limit 50: exactly 50 admitted, five runs in a row', async () => {
    for (let run = 0; run < 5; run++) {
      const by = await burst({ 'x-user': `op-run-${run}` });
      assert.equal(by.get(200), 50, `run ${run}`);
      assert.equal(by.get(429), 150, `run ${run}`);
    }
  });

  test('cost budget 50 units of 7: exactly 50 admitted, five runs in a row', async () => {
    for (let run = 0; run < 5; run++) {
      // 7 per operation; operation limit keyed per user so it does not interfere (different users per run)
      const by = await burst({ 'x-user': `budget-run-${run}`, 'x-estimated-cost': '7', 'x-actual-cost': '7' });
      assert.equal(by.get(200), 50, `run ${run}`);
    }
  });

  test('@rateLimit field (100/min) charged from both replicas at once: exactly 100 calls run, five runs', async () => {
    for (let run = 0; run < 5; run++) {
      const before = r1.counters.price + r2.counters.price;
      const all = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          postGraphQL(
            (i % 2 ? r1 : r2).url,
            { query: '{ items(n: 10) { id price } }' },
            { headers: { 'x-user': `field-run-${run}` } },
          ),
        ),
      );
      assert.equal(r1.counters.price + r2.counters.price - before, 100, `run ${run}`);
      const refused = all.reduce((n, r) => n + (r.body.errors?.length ?? 0), 0);
      assert.equal(refused, 300, `run ${run}`);
    }
  });

  test('monthly quota 50: exactly 50 admitted, five runs in a row (a new month each run)', async () => {
    for (let run = 0; run < 5; run++) {
      clock.set(Date.UTC(2026, 6 + run, 1, 0, 0, 0));
      const all = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          postGraphQL(
            (i % 2 ? r1 : r2).url,
            { query: '{ hello }' },
            { headers: { 'x-client': 'partner', 'x-test-ip': String(i) } },
          ),
        ),
      );
      const ok = all.filter((r) => r.status === 200).length;
      // the operation limit (50/min per client) also applies to the partner and is charged before
      // parsing, so it refuses the other 150 first; both are 50
      assert.equal(ok, 50, `run ${run}`);
      // a minute later (a new operation window, the same month) the quota is used up: none admitted
      clock.advance(60_000);
      const later = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          postGraphQL((i % 2 ? r1 : r2).url, { query: '{ hello }' }, { headers: { 'x-client': 'partner' } }),
        ),
      );
      const codes = new Set(later.map((r) => `${r.status} ${r.body.errors?.[0].extensions.code}`));
      assert.deepEqual([...codes], ['429 QUOTA_EXCEEDED'], `run ${run}`);
    }
  });
});

describe('per-field limits and brute-force guard on Redis', () => {
  let h: Harness;
  let storeCalls = 0;
  before(async () => {
    const inner = await store();
    // the Redis store, counting its calls
    const counting: Store = {
      name: 'redis',
      apply: (ops, now, upTo) => {
        storeCalls++;
        return inner.apply(ops, now, upTo);
      },
    };
    h = await startHarness(
      {
        prefix: PREFIX,
        store: counting,
        bruteForce: [{ field: 'Mutation.login', identifierArgument: 'email', maxFailures: 5, blockSeconds: 300 }],
      },
      { clock: new TestClock() },
    );
    harnesses.push(h);
  });

  test('@rateLimit with aliases: 3 of 5 run', async () => {
    const r = await postGraphQL(
      h.url,
      {
        query:
          '{ a: search(term: "a") b: search(term: "b") c: search(term: "c") d: search(term: "d") e: search(term: "e") }',
      },
      { headers: { 'x-user': 'redis-fields' } },
    );
    assert.equal(h.counters.search, 3);
    assert.equal(r.body.errors.length, 2);
    assert.ok(r.body.errors.every((e: any) => e.extensions.code === 'RATE_LIMITED'));
  });

  test('@rateLimit in a 150-item list (limit 100): exactly 100 run, in one store call', async () => {
    const calls = storeCalls;
    const r = await postGraphQL(
      h.url,
      { query: '{ items(n: 150) { id price } }' },
      { headers: { 'x-user': 'redis-list' } },
    );
    assert.equal(storeCalls - calls, 1, 'one atomic call admits the 100 that fit');
    assert.equal(r.status, 200);
    assert.equal(h.counters.price, 100);
    assert.equal(r.body.errors.length, 50);
    assert.deepEqual(r.body.errors[0].path, ['items', 100, 'price']);
    const prices = r.body.data.items.map((i: { price: number | null }) => i.price);
    assert.deepEqual(prices.slice(0, 3), [0, 10, 20]);
    assert.equal(prices[99], 990);
    assert.equal(prices[100], null);
    const events = h.states.at(-1)!.events.filter((e) => e.outcome === 'allowed' && e.coordinate === 'Item.price');
    assert.deepEqual(events[0]!.details, {
      limit: 100,
      remaining: 0,
      resetMs: events[0]!.details!.resetMs,
      calls: 100,
    });
  });

  test('100 aliased logins: 5 run, 95 refused, the block is in Redis', async () => {
    const query = `mutation { ${Array.from({ length: 100 }, (_, i) => `a${i}: login(email: "v@shop.test", password: "no") { ok }`).join(' ')} }`;
    const r = await postGraphQL(h.url, { query }, { headers: { 'x-test-ip': '192.0.2.9' } });
    assert.equal(h.counters.login, 5);
    assert.equal(r.body.errors.filter((e: any) => e.extensions.code === 'RATE_LIMITED').length, 95);
    const keys = await redis.keys(`${PREFIX}{ip:192.0.2.9}:bf:Mutation.login:id:*`);
    assert.equal(keys.length, 1);
    assert.ok(!keys[0]!.includes('v@shop.test'), 'identifiers are hashed in keys');
    assert.ok((await redis.pttl(keys[0]!)) > 290_000);
  });
});

describe('round trips', () => {
  test('operation limit + cost budget + quota: two EVALSHA per operation (before parsing, after); refund only when actual ≠ estimated', async () => {
    const priv = await startPrivateRedis();
    const s = redisStore(priv.url);
    const h = await startHarness(
      {
        store: s,
        operation: { limit: 1000, duration: 60 },
        costBudget: { maximumAvailable: 10_000, restoreRate: 100 },
        quotas: [{ name: 'monthly', period: 'month', limit: 100_000 }],
      },
      { clock: new TestClock() },
    );
    const probe = new Redis(priv.url);
    try {
      await postGraphQL(h.url, { query: '{ hello }' }, { headers: { 'x-user': 'rt' } }); // loads the script
      await probe.config('RESETSTAT');
      for (let i = 0; i < 10; i++) {
        await postGraphQL(
          h.url,
          { query: '{ hello }' },
          { headers: { 'x-user': 'rt', 'x-estimated-cost': '5', 'x-actual-cost': '5' } },
        );
      }
      const stats = await probe.info('commandstats');
      const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      // one before parsing (operation limit, budget), one after (budget estimate, quota)
      assert.equal(calls('evalsha') + calls('eval'), 20);
      await probe.config('RESETSTAT');
      for (let i = 0; i < 10; i++) {
        await postGraphQL(
          h.url,
          { query: '{ hello }' },
          { headers: { 'x-user': 'rt', 'x-estimated-cost': '5', 'x-actual-cost': '2' } },
        );
      }
      const stats2 = await probe.info('commandstats');
      assert.equal(Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats2)?.[1]), 30);
    } finally {
      probe.disconnect();
      await h.stop();
      await priv.stop();
    }
  });
});
