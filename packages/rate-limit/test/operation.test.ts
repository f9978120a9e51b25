/** `onOperation` (subscriptions over graphql-ws) on the memory store: see operation-scenarios.ts. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rateLimitModule } from '../src/index.js';
import {
  costBudget,
  delayMode,
  fieldLimitPerEvent,
  operationLimit,
  querySettled,
  quota,
  setUp,
  start,
} from './operation-scenarios.js';

const onMemory = async () => ({});

describe('onOperation: subscriptions over graphql-ws (memory store)', () => {
  test('the (limit+1)th subscribe of one client is refused with RATE_LIMITED; another client is not', () =>
    operationLimit(onMemory));
  test('a calendar quota refuses with QUOTA_EXCEEDED', () => quota(onMemory));
  test('a client over its cost budget is refused with THROTTLED; end refunds nothing', () => costBudget(onMemory));
  test('a query over the socket is settled to its actual cost, as on HTTP', () => querySettled(onMemory));
  test('delay mode waits at most maxDelayMs, then refuses', () => delayMode(onMemory));
  test('@rateLimit on a subscription field limits events', () => fieldLimitPerEvent(onMemory));

  test('the module exposes onOperation; without operation policies nothing is charged or recorded', async () => {
    assert.equal(typeof rateLimitModule().onOperation, 'function');
    const setup = await setUp(onMemory, {});
    for (let i = 0; i < 50; i++) {
      const s = await start(setup, 'ann');
      assert.ok(s.outcome !== undefined && !(s.outcome instanceof Error));
      await s.outcome.end?.({ outcome: 'stopped', results: 0 });
      assert.deepEqual(s.state.events, []);
    }
  });
});
