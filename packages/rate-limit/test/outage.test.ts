import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { postGraphQL, startPrivateRedis } from '@rampart/testing';
import { Redis } from 'ioredis';
import { createRedisClient, RedisStore, type StoreErrorPolicy } from '../src/index.js';
import { startHarness, TestClock } from './helpers.js';

/**
 * Redis stopped mid-run (a private redis-server this test started): each failure policy behaves as
 * documented, requests complete while Redis is still down (nothing waits for it to come back), and
 * after it returns nothing queued during the outage is replayed (counted twice).
 */
async function scenario(policy: StoreErrorPolicy) {
  let priv = await startPrivateRedis();
  const client = createRedisClient(priv.url, { commandTimeout: 300, connectTimeout: 300 });
  const warnings: string[] = [];
  const clock = new TestClock(Date.UTC(2026, 3, 1, 10, 0, 0));
  const h = await startHarness(
    {
      store: new RedisStore(client, { ownsClient: true }),
      operation: { limit: 3, duration: 60 },
      onStoreError: policy,
      warn: (m) => warnings.push(m),
    },
    { clock },
  );
  const u = { headers: { 'x-user': 'outage' } };
  const call = () => postGraphQL(h.url, { query: '{ hello }' }, u);
  try {
    assert.equal((await call()).status, 200); // counted in Redis: 1
    await priv.stop(); // abrupt outage (SIGKILL)
    const during = [];
    for (let i = 0; i < 5; i++) during.push(await call()); // all complete while Redis is down
    assert.equal(client.status === 'ready', false);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, new RegExp(`onStoreError: '${policy}'`));
    const statuses = during.map((r) => r.status);
    const state = h.states.at(-1)!;
    if (policy === 'deny') {
      assert.deepEqual(statuses, [503, 503, 503, 503, 503]);
      assert.equal(during[0]!.body.errors[0].extensions.code, 'RATE_LIMITED');
      assert.equal(during[0]!.headers.get('retry-after'), '1');
      assert.equal(state.events.at(-1)!.rule, 'store-unavailable');
    } else if (policy === 'allow') {
      assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
      assert.equal(state.events.at(-1)!.reason, 'store unavailable; admitted by onStoreError: allow');
    } else {
      // the memory fallback limits per replica: 3 per minute
      assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
      assert.equal(state.events.at(-1)!.code, 'RATE_LIMITED');
    }
    // Redis returns (empty: no persistence). The client reconnects; nothing from the outage is replayed.
    priv = await priv.restart();
    await new Promise<void>((resolve) =>
      client.status === 'ready' ? resolve() : client.once('ready', () => resolve()),
    );
    assert.equal((await call()).status, 200);
    assert.equal((await call()).status, 200);
    const probe = new Redis(priv.url);
    const keys = await probe.keys('rampart:rl:*');
    assert.equal(keys.length, 1);
    assert.equal(await probe.get(keys[0]!), '2', 'exactly the two calls made after recovery');
    probe.disconnect();
    assert.match(warnings.at(-1)!, /answers again/);
  } finally {
    await h.stop();
    await priv.stop();
  }
}

describe('Redis outage', () => {
  test("onStoreError: 'deny' refuses with 503 and Retry-After", () => scenario('deny'));
  test("onStoreError: 'allow' admits, warns and records it", () => scenario('allow'));
  test("onStoreError: 'fallback-memory' keeps limiting in memory", () => scenario('fallback-memory'));
});

describe('Redis frozen (SIGSTOP): the per-command timeout bounds every wait', () => {
  test('requests complete while Redis is still frozen, through the failure policy', async () => {
    const priv = await startPrivateRedis();
    const client = createRedisClient(priv.url, { commandTimeout: 200 });
    const warnings: string[] = [];
    const h = await startHarness(
      {
        store: new RedisStore(client, { ownsClient: true }),
        operation: { limit: 3, duration: 60 },
        warn: (m) => warnings.push(m),
      },
      { clock: new TestClock() },
    );
    try {
      const call = () => postGraphQL(h.url, { query: '{ hello }' }, { headers: { 'x-user': 'frozen' } });
      assert.equal((await call()).status, 200);
      process.kill(priv.pid, 'SIGSTOP');
      const statuses: number[] = [];
      try {
        for (let i = 0; i < 4; i++) statuses.push((await call()).status);
      } finally {
        process.kill(priv.pid, 'SIGCONT');
      }
      // default policy fallback-memory: 3 per minute in memory
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      assert.match(warnings[0]!, /Command timed out/);
    } finally {
      await h.stop();
      await priv.stop();
    }
  });
});
