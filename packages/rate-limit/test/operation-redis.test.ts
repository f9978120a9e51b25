/** `onOperation` (subscriptions over graphql-ws) on real Redis: the scenarios of operation-scenarios.ts. */
import { after, before, describe, test } from 'node:test';
import { connectRedis, deleteKeys } from '@rampart/testing';
import type { Redis } from 'ioredis';
import { RedisStore } from '../src/index.js';
import {
  costBudget,
  delayMode,
  fieldLimitPerEvent,
  operationLimit,
  querySettled,
  quota,
} from './operation-scenarios.js';

// this file's own keys: every scenario gets a fresh prefix under it (scenarios reuse user names)
const PREFIX = `rampart:test:rl-operation-redis:${process.pid}:`;
let redis: Redis;
const clients: Redis[] = [];
let n = 0;

before(async () => {
  redis = await connectRedis();
  await deleteKeys(redis, PREFIX);
});
after(async () => {
  await deleteKeys(redis, PREFIX);
  for (const c of clients) c.disconnect();
  redis.disconnect();
});

const onRedis = async () => {
  const c = await connectRedis();
  clients.push(c);
  return { store: new RedisStore(c), prefix: `${PREFIX}${n++}:` };
};

describe('onOperation: subscriptions over graphql-ws (Redis store)', () => {
  test('the (limit+1)th subscribe of one client is refused with RATE_LIMITED; another client is not', () =>
    operationLimit(onRedis));
  test('a calendar quota refuses with QUOTA_EXCEEDED', () => quota(onRedis));
  test('a client over its cost budget is refused with THROTTLED; end refunds nothing', () => costBudget(onRedis));
  test('a query over the socket is settled to its actual cost, as on HTTP', () => querySettled(onRedis));
  test('delay mode waits at most maxDelayMs, then refuses', () => delayMode(onRedis));
  test('@rateLimit on a subscription field limits events', () => fieldLimitPerEvent(onRedis));
});
