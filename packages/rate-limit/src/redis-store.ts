import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { ApplyResult, OpResult, Store, StoreOp } from './store.js';

/**
 * One Lua script applies every op of a call atomically (check all, then charge all), so an operation's
 * policies cost one round trip and two replicas can never both take the last unit.
 * ARGV: now, upTo (0: all-or-nothing), then five fields per op (type, a, b, c, d). Returns
 * [ok, units, then (allowed, value, resetMs) per op]. Numbers come back as strings (Lua numbers would
 * be truncated to integers by Redis).
 */
const SCRIPT = `
local now = tonumber(ARGV[1])
local upto = tonumber(ARGV[2])
local n = #KEYS
local ok = 1
local k = 1
if upto > 0 then k = upto end
local cur = {}
local function avail(key, cap, rate)
  local h = redis.call('HMGET', key, 'a', 't')
  if not h[1] then return cap end
  local elapsed = now - tonumber(h[2])
  if elapsed < 0 then elapsed = 0 end
  local a = tonumber(h[1]) + elapsed * rate / 1000
  if a > cap then a = cap end
  return a
end
local function tofill(units, rate)
  if units <= 0 then return 0 end
  return math.ceil(units * 1000 / rate)
end
local function setbucket(key, a, cap, rate)
  if a >= cap then redis.call('DEL', key) return end
  redis.call('HSET', key, 'a', tostring(a), 't', tostring(now))
  redis.call('PEXPIRE', key, tofill(cap - a, rate) + 1000)
end
for i = 1, n do
  local b = 2 + (i - 1) * 5
  local t = ARGV[b + 1]
  if t == 'c' then
    local c = tonumber(redis.call('GET', KEYS[i]) or '0')
    cur[i] = c
    local cost = tonumber(ARGV[b + 3])
    if upto > 0 then
      if cost > 0 then
        local fit = math.floor((tonumber(ARGV[b + 2]) - c) / cost)
        if fit < k then k = fit end
      end
    elseif c + cost > tonumber(ARGV[b + 2]) then ok = 0 end
  elseif t == 'b' then
    local a = avail(KEYS[i], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]))
    cur[i] = a
    if a < tonumber(ARGV[b + 4]) then ok = 0 end
  end
end
if upto > 0 and k < 1 then ok = 0 end
if k < 0 then k = 0 end
local out = { ok, k }
for i = 1, n do
  local b = 2 + (i - 1) * 5
  local t = ARGV[b + 1]
  local key = KEYS[i]
  if t == 'c' then
    local limit = tonumber(ARGV[b + 2])
    local cost = tonumber(ARGV[b + 3])
    local ttl = tonumber(ARGV[b + 4])
    local block = tonumber(ARGV[b + 5])
    local c = cur[i]
    local own = (c + cost <= limit) and 1 or 0
    if ok == 1 then
      local v = redis.call('INCRBY', key, cost * k)
      local p = redis.call('PTTL', key)
      if p < 0 then redis.call('PEXPIRE', key, ttl) p = ttl end
      out[#out + 1] = 1; out[#out + 1] = tostring(v); out[#out + 1] = tostring(p)
    else
      local p = redis.call('PTTL', key)
      if p < 0 then p = ttl end
      local v = c
      if own == 0 and block > 0 and c <= limit then
        v = limit + 1
        redis.call('SET', key, v, 'PX', block)
        p = block
      end
      out[#out + 1] = own; out[#out + 1] = tostring(v); out[#out + 1] = tostring(p)
    end
  elseif t == 'b' then
    local cap = tonumber(ARGV[b + 2])
    local rate = tonumber(ARGV[b + 3])
    local cost = tonumber(ARGV[b + 4])
    local a = cur[i]
    if ok == 1 then
      local left = a - cost
      setbucket(key, left, cap, rate)
      out[#out + 1] = 1; out[#out + 1] = tostring(left); out[#out + 1] = tostring(tofill(cap - left, rate))
    elseif a >= cost then
      out[#out + 1] = 1; out[#out + 1] = tostring(a); out[#out + 1] = tostring(tofill(cap - a, rate))
    else
      local r = -1
      if cost <= cap then r = tofill(cost - a, rate) end
      out[#out + 1] = 0; out[#out + 1] = tostring(a); out[#out + 1] = tostring(r)
    end
  elseif t == 'ab' then
    local cap = tonumber(ARGV[b + 2])
    local rate = tonumber(ARGV[b + 3])
    local a = avail(key, cap, rate) + tonumber(ARGV[b + 4])
    if a > cap then a = cap end
    if a < -cap then a = -cap end
    setbucket(key, a, cap, rate)
    out[#out + 1] = 1; out[#out + 1] = tostring(a); out[#out + 1] = tostring(tofill(cap - a, rate))
  elseif t == 'ac' then
    if redis.call('EXISTS', key) == 1 then
      local v = redis.call('INCRBY', key, tonumber(ARGV[b + 2]))
      out[#out + 1] = 1; out[#out + 1] = tostring(v); out[#out + 1] = tostring(redis.call('PTTL', key))
    else
      out[#out + 1] = 1; out[#out + 1] = '0'; out[#out + 1] = '0'
    end
  else
    redis.call('DEL', key)
    out[#out + 1] = 1; out[#out + 1] = '0'; out[#out + 1] = '0'
  end
end
return out
`;

type Client = Redis | Cluster;
type WithScript = Client & {
  rampartApply(numKeys: number, ...args: Array<string | number>): Promise<Array<number | string>>;
};

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * Close the client when the store is closed (set it when the store created the client).
   * @default false
   */
  ownsClient?: boolean;
}

/**
 * A store on Redis (one server or a Cluster) through ioredis. Each call is one `EVALSHA` of an atomic
 * Lua script, so limits stay exact across any number of replicas. Integer units are stored in Redis
 * strings; buckets in hashes `{a, t}`. Use {@link createRedisClient} for the fail-fast client preset.
 */
export class RedisStore implements Store {
  readonly name = 'redis';
  readonly client: Client;
  readonly #owns: boolean;

  constructor(client: Client, options: RedisStoreOptions = {}) {
    this.client = client;
    this.#owns = options.ownsClient ?? false;
    if (typeof (client as unknown as { rampartApply?: unknown }).rampartApply !== 'function') {
      client.defineCommand('rampartApply', { lua: SCRIPT });
    }
  }

  async apply(ops: readonly StoreOp[], now: number, upTo = 0): Promise<ApplyResult> {
    const keys: string[] = [];
    const args: Array<string | number> = [now, upTo];
    for (const op of ops) {
      keys.push(op.key);
      switch (op.type) {
        case 'counter':
          args.push('c', op.limit, op.cost, Math.max(1, Math.ceil(op.ttlMs)), op.blockMs ?? 0);
          break;
        case 'bucket':
          args.push('b', op.capacity, op.restorePerSecond, op.cost, 0);
          break;
        case 'adjust-bucket':
          args.push('ab', op.capacity, op.restorePerSecond, op.amount, 0);
          break;
        case 'adjust-counter':
          args.push('ac', op.delta, 0, 0, 0);
          break;
        case 'delete':
          args.push('d', 0, 0, 0, 0);
          break;
      }
    }
    const raw = await (this.client as WithScript).rampartApply(keys.length, ...keys, ...args);
    const results: OpResult[] = [];
    for (let i = 2; i + 2 < raw.length; i += 3) {
      results.push({ allowed: Number(raw[i]) === 1, value: Number(raw[i + 1]), resetMs: Number(raw[i + 2]) });
    }
    const allowed = Number(raw[0]) === 1;
    return upTo > 0 ? { allowed, results, units: allowed ? Number(raw[1]) : 0 } : { allowed, results };
  }

  /**
   * Resolves when the client is ready, or after `timeoutMs` (the store then fails fast and the
   * failure policy applies until Redis answers). Never rejects.
   */
  async ready(timeoutMs = 2000): Promise<void> {
    const c = this.client;
    if (c.status === 'ready' || c.status === 'end') return;
    if (c.status === 'wait') c.connect().catch(() => {});
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        c.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      c.once('ready', done);
    });
  }

  async close(): Promise<void> {
    if (this.#owns) this.client.disconnect();
  }
}

/** Options of {@link createRedisClient}: ioredis options with Rampart's fail-fast preset underneath. */
export interface RedisClientPreset {
  /**
   * ms to establish a connection before failing.
   * @default 1000
   */
  connectTimeout?: number;
  /**
   * ms a command may take before it fails (the per-call timeout: no request waits longer on the store).
   * @default 500
   */
  commandTimeout?: number;
  /** Any other ioredis option (overrides the preset). */
  redis?: RedisOptions;
}

/**
 * The recommended ioredis settings for rate limiting: no offline queue (a command while disconnected
 * fails at once instead of waiting, and nothing is replayed later, so nothing is counted twice), no
 * per-command retries, a connect timeout, a per-command timeout, and reconnection with a capped backoff.
 */
export function redisClientOptions(preset: RedisClientPreset = {}): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: preset.connectTimeout ?? 1000,
    commandTimeout: preset.commandTimeout ?? 500,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    enableReadyCheck: true,
    // Concurrent calls (e.g. a @rateLimit field in a list) share one write and one read on the socket.
    enableAutoPipelining: true,
    ...preset.redis,
  };
}

/** Builds an ioredis client (`url`, e.g. `redis://127.0.0.1:6379`) with {@link redisClientOptions}. */
export function createRedisClient(url: string, preset: RedisClientPreset = {}): Redis {
  const client = new Redis(url, redisClientOptions(preset));
  // Failures surface on the calls (and through the store's failure policy), not as unhandled events.
  client.on('error', () => {});
  return client;
}

/** Builds an ioredis `Cluster` client with {@link redisClientOptions} for every node. */
export function createRedisCluster(
  nodes: ClusterNode[],
  preset: RedisClientPreset = {},
  cluster: ClusterOptions = {},
): Cluster {
  const node = redisClientOptions(preset);
  const client = new Cluster(nodes, {
    enableOfflineQueue: false,
    redisOptions: node,
    clusterRetryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    ...cluster,
  });
  client.on('error', () => {});
  return client;
}

/** A store on Redis built from a URL with the recommended preset (the store closes the client). */
export function redisStore(urlOrClient: string | Client, preset: RedisClientPreset = {}): RedisStore {
  if (typeof urlOrClient === 'string') {
    return new RedisStore(createRedisClient(urlOrClient, preset), { ownsClient: true });
  }
  return new RedisStore(urlOrClient);
}
