export { rateLimitTypeDefs, transformRateLimitSchema } from './directive.js';
export { defaultKeyGenerator } from './keys.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export {
  type BruteForceOptions,
  type CostBudgetOptions,
  type OperationLimitOptions,
  type QuotaOptions,
  type RateLimitOptions,
  rateLimitDefaults,
  type StoreErrorPolicy,
  type ThrottleOptions,
} from './options.js';
export { rateLimitModule, rateLimitPlugin } from './plugin.js';
export { RateLimiter } from './rate-limiter.js';
export {
  createRedisClient,
  createRedisCluster,
  type RedisClientPreset,
  RedisStore,
  type RedisStoreOptions,
  redisClientOptions,
  redisStore,
} from './redis-store.js';
export type { CostExtension } from './settle.js';
export type {
  AdjustBucketOp,
  AdjustCounterOp,
  ApplyResult,
  BucketOp,
  CounterOp,
  DeleteOp,
  OpResult,
  Store,
  StoreOp,
} from './store.js';
