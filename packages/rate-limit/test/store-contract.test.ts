import { after, before } from 'node:test';
import { connectRedis, deleteKeys } from '@rampart/testing';
import type { Redis } from 'ioredis';
import { MemoryStore } from '../src/memory-store.js';
import { RedisStore } from '../src/redis-store.js';
import { storeContract } from './store-contract.js';

/** Every Redis key of this file starts with it. */
const PREFIX = `rampart:test:rl-store-contract:${process.pid}:`;
const memoryStores: MemoryStore[] = [];
let redis: Redis;
let store: RedisStore;

before(async () => {
  redis = await connectRedis();
  await deleteKeys(redis, PREFIX);
  store = new RedisStore(redis);
});
after(async () => {
  for (const s of memoryStores) await s.close();
  await deleteKeys(redis, PREFIX);
  redis.disconnect();
});

storeContract('MemoryStore', async (name) => {
  const memory = new MemoryStore({ sweepIntervalMs: 0 });
  memoryStores.push(memory);
  return { store: memory, key: (part) => `${PREFIX}{${name}}:${part}` };
});

storeContract('RedisStore', async (name) => ({ store, key: (part) => `${PREFIX}{${name}}:${part}` }));
