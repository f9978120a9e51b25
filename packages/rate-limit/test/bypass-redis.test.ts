import { after, before, describe, test } from 'node:test';
import { connectRedis, deleteKeys } from '@rampart/testing';
import type { Redis } from 'ioredis';
import { RedisStore } from '../src/index.js';
import {
  addressKeys,
  guessingFromManyAddresses,
  onlyInvalidDocuments,
  operationLimitBeforeParsing,
} from './bypass-scenarios.js';
import type { Harness } from './helpers.js';

// this file's own keys: every harness gets a fresh prefix under it (scenarios reuse user names)
const PREFIX = `rampart:test:rl-bypass-redis:${process.pid}:`;
let redis: Redis;
const clients: Redis[] = [];
const harnesses: Harness[] = [];
let n = 0;

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

const onRedis = async () => {
  const c = await connectRedis();
  clients.push(c);
  return { store: new RedisStore(c), prefix: `${PREFIX}${n++}:` };
};

describe('rate limits before the expensive part (Redis store)', () => {
  test('standalone plugin: a client at its operation limit gets 429 for invalid documents, none parsed', () =>
    operationLimitBeforeParsing(onRedis, harnesses, false));
  test('module onHttpRequest (rampart().context): the same, refused in the context function', () =>
    operationLimitBeforeParsing(onRedis, harnesses, true));
  test('a client sending only invalid documents is limited by calls and by the cost budget', () =>
    onlyInvalidDocuments(onRedis, harnesses));
});

describe('guessing spread over many addresses (Redis store)', () => {
  test('25 concurrent failed attempts at one e-mail from 25 addresses: exactly 5 evaluated', () =>
    guessingFromManyAddresses(onRedis, harnesses));
  test('IPv6: one key per address whatever its spelling, one per /64 by default', () =>
    addressKeys(onRedis, harnesses));
});
