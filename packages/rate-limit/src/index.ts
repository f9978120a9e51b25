export { type AttemptStart, type AttemptTicket, BruteForceGuards } from './brute-force.js';
export { calendarWindow, fixedWindow, type Window } from './calendar.js';
export { rateLimitTypeDefs, transformRateLimitSchema } from './directive.js';
export {
  type BruteForceRule,
  type CostExtension,
  checkFieldRule,
  type FieldRule,
  type OperationCharge,
  type OperationDecision,
  RateLimiter,
} from './engine.js';
export { type PolicyStatus, rateLimitHeaders, retryAfterSeconds } from './headers.js';
export { defaultKeyGenerator, ipKey } from './keys.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export {
  type BruteForceOptions,
  type CostBudgetOptions,
  type OperationLimitOptions,
  type QuotaOptions,
  type RateLimitOptions,
  type ResolvedRateLimitOptions,
  rateLimitDefaults,
  resolveRateLimitOptions,
  type StoreErrorPolicy,
  type ThrottleOptions,
} from './options.js';
export { rateLimitModule, rateLimitPlugin } from './plugin.js';
export {
  createRedisClient,
  createRedisCluster,
  type RedisClientPreset,
  RedisStore,
  type RedisStoreOptions,
  redisClientOptions,
  redisStore,
} from './redis-store.js';
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
