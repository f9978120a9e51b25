import { type Clock, check, type Principal, RampartConfigError, resolveOptions } from '@rampart/core';
import {
  type BruteForceOptions,
  type ResolvedBruteForceOptions,
  resolveBruteForceOptions,
} from './brute-force-options.js';
import type { Store } from './store.js';

export type { BruteForceOptions, ResolvedBruteForceOptions } from './brute-force-options.js';

/** An operation-wide rate limit: at most `limit` operations per `duration` seconds per client. */
export interface OperationLimitOptions {
  /** Operations allowed per window. */
  limit: number;
  /** Window length in seconds (fixed windows aligned to the epoch). */
  duration: number;
}

/** A Shopify-style leaky bucket of query cost per client. */
export interface CostBudgetOptions {
  /** Bucket size: the most cost a client can spend at once. */
  maximumAvailable: number;
  /** Cost units restored per second. */
  restoreRate: number;
  /**
   * Cost charged per operation when `@rampart/limits` did not estimate one (`state.cost.estimated`).
   * @default 1
   */
  fixedCost?: number;
  /**
   * Add `extensions.cost { requestedQueryCost, actualQueryCost, throttleStatus }` to every response
   * (Shopify-style), so clients can pace themselves. Off by default: it costs throughput on small
   * queries (see bench/RESULTS.md); turn it on where clients use it.
   * @default false
   */
  exposeExtension?: boolean;
  /**
   * Cost charged to the budget for a request whose document fails to parse or validate (it never
   * reaches the cost analysis, yet parsing and validating it is work). It is charged as one call too
   * (operation limit, before parsing). A client whose budget holds less than this (nothing at all,
   * when 0) is refused before its document is parsed.
   * @default 1
   */
  invalidDocumentCost?: number;
}

/** A calendar quota: calls (or cost) per UTC day or month per client. */
export interface QuotaOptions {
  /** Policy name (in keys, headers and decisions), e.g. `'partner-monthly'`. */
  name: string;
  /** The UTC calendar period. */
  period: 'day' | 'month';
  /** Units allowed per period. */
  limit: number;
  /**
   * What is counted: one per operation, or the operation's cost (estimated, corrected to the actual cost).
   * @default 'calls'
   */
  unit?: 'calls' | 'cost';
  /** Which principals the quota applies to. @default every principal */
  appliesTo?: (principal: Principal) => boolean;
}

/** Resolved throttle options (`appliesTo` stays optional: absent means every principal). */
export type ResolvedThrottleOptions = Required<Omit<ThrottleOptions, 'appliesTo'>> & Pick<ThrottleOptions, 'appliesTo'>;

/** Throttling behaviour of rate limits and cost budgets (quotas never wait). */
export interface ThrottleOptions {
  /**
   * `'reject'`: over the rate → 429 at once. `'delay'`: the request waits until it fits (up to
   * `maxDelayMs`, at most `maxQueue` waiting per client), and only then is rejected.
   * @default 'reject'
   */
  mode?: 'reject' | 'delay';
  /**
   * Longest wait in delay mode, ms.
   * @default 1000
   */
  maxDelayMs?: number;
  /**
   * Requests of one client that may wait at the same time (per replica); more are rejected at once.
   * @default 10
   */
  maxQueue?: number;
  /**
   * Which principals are slowed down in delay mode (e.g. the storefront); the others are rejected
   * at once, as in reject mode.
   * @default every principal
   */
  appliesTo?: (principal: Principal) => boolean;
}

/** What to do when the store fails (Redis down or too slow). */
export type StoreErrorPolicy = 'deny' | 'allow' | 'fallback-memory';

/** Options of `@rampart/rate-limit` (`rampart({ rateLimit })`). */
export interface RateLimitOptions {
  /**
   * Where counters live. `MemoryStore` holds them in this process; `RedisStore` shares them between replicas.
   * @default a new MemoryStore()
   */
  store: Store | undefined;
  /**
   * Prefix of every store key.
   * @default 'rampart:rl:'
   */
  prefix: string;
  /**
   * When the store fails: `'deny'` refuses (HTTP 503, code RATE_LIMITED, Retry-After 1);
   * `'allow'` admits and warns; `'fallback-memory'` keeps limiting per replica in memory and warns.
   * Each case is recorded as a decision.
   * @default 'fallback-memory'
   */
  onStoreError: StoreErrorPolicy;
  /**
   * Who a request is counted against.
   * @default user id, else client id, else client address (`u:…`, `c:…`, `ip:…`; see `ipv6Prefix`)
   */
  keyGenerator: ((principal: Principal) => string) | undefined;
  /**
   * IPv6 clients are counted per network of this many bits (a host usually holds a whole /64), in
   * every key made from an address (anonymous clients, `@rateLimit(by: "ip")`, brute-force guards).
   * Addresses are canonicalised first, so two spellings of one address share a key. 128: per address.
   * @default 64
   */
  ipv6Prefix: number;
  /**
   * Operation-wide rate limit per client.
   * @default undefined (none)
   */
  operation: OperationLimitOptions | undefined;
  /**
   * Cost budget per client (leaky bucket).
   * @default undefined (none)
   */
  costBudget: CostBudgetOptions | undefined;
  /**
   * Calendar quotas.
   * @default []
   */
  quotas: readonly QuotaOptions[];
  /**
   * Reject or delay requests over a rate.
   * @default { mode: 'reject', maxDelayMs: 1000, maxQueue: 10 }
   */
  throttle: ThrottleOptions;
  /**
   * Brute-force guards on login-like fields.
   * @default []
   */
  bruteForce: readonly BruteForceOptions[];
  /**
   * Name of the per-field directive.
   * @default 'rateLimit'
   */
  directiveName: string;
  /**
   * Say the limit in error messages (`limit 50 per 60 s`). The RateLimit headers always carry the figures.
   * @default true
   */
  exposeLimits: boolean;
  /**
   * Send `RateLimit-Policy`/`RateLimit` headers on admitted responses too; 429 responses always carry
   * them (with `Retry-After`). Off by default: the headers cost throughput on small queries (see
   * bench/RESULTS.md); turn it on where clients read them.
   * @default false
   */
  headers: boolean;
  /**
   * Clock used when this package creates the security state itself (otherwise the state's clock is used).
   * @default systemClock
   */
  clock: Clock | undefined;
  /**
   * How delay mode waits; inject for tests.
   * @default setTimeout-based
   */
  sleep: ((ms: number) => Promise<void>) | undefined;
  /**
   * Where warnings go (store outages and recoveries).
   * @default console.warn
   */
  warn: ((message: string) => void) | undefined;
}

/** Every option's default. */
export const rateLimitDefaults: Readonly<RateLimitOptions> = Object.freeze({
  store: undefined,
  prefix: 'rampart:rl:',
  onStoreError: 'fallback-memory',
  keyGenerator: undefined,
  ipv6Prefix: 64,
  operation: undefined,
  costBudget: undefined,
  quotas: Object.freeze([]),
  throttle: Object.freeze({ mode: 'reject', maxDelayMs: 1000, maxQueue: 10 }),
  bruteForce: Object.freeze([]),
  directiveName: 'rateLimit',
  exposeLimits: true,
  headers: false,
  clock: undefined,
  sleep: undefined,
  warn: undefined,
});

/** Options after resolution: nested defaults filled in. */
export interface ResolvedRateLimitOptions
  extends Omit<RateLimitOptions, 'costBudget' | 'quotas' | 'throttle' | 'bruteForce'> {
  costBudget: Required<Omit<CostBudgetOptions, never>> | undefined;
  quotas: ReadonlyArray<Required<Omit<QuotaOptions, 'appliesTo'>> & Pick<QuotaOptions, 'appliesTo'>>;
  throttle: ResolvedThrottleOptions;
  bruteForce: readonly ResolvedBruteForceOptions[];
}

const storeCheck = (v: unknown) =>
  v !== null && typeof v === 'object' && typeof (v as { apply?: unknown }).apply === 'function'
    ? undefined
    : 'must be a Store (MemoryStore, RedisStore or an object with apply())';
const optional =
  (c: (v: unknown, p: string) => string | undefined) =>
  (v: unknown, p: string): string | undefined =>
    v === undefined ? undefined : c(v, p);
const positiveInt = check.integer(1);
const positive = check.number(Number.MIN_VALUE);

/**
 * Checks and completes rate-limit options. Unknown keys and bad values fail at startup naming the option.
 * @throws RampartConfigError
 */
export function resolveRateLimitOptions(
  user?: Partial<RateLimitOptions>,
  path = 'rateLimit',
): ResolvedRateLimitOptions {
  const top = resolveOptions<RateLimitOptions>(
    path,
    rateLimitDefaults,
    {
      store: optional(storeCheck),
      prefix: check.string(),
      onStoreError: check.oneOf('deny', 'allow', 'fallback-memory'),
      keyGenerator: optional(check.function()),
      ipv6Prefix: check.integer(1, 128),
      operation: optional(check.object()),
      costBudget: optional(check.object()),
      quotas: check.arrayOf(check.object()),
      throttle: check.object(),
      bruteForce: check.arrayOf(check.object()),
      directiveName: check.string(),
      exposeLimits: check.boolean(),
      headers: check.boolean(),
      clock: optional(check.object()),
      sleep: optional(check.function()),
      warn: optional(check.function()),
    },
    user,
  );
  const operation =
    top.operation &&
    resolveOptions<OperationLimitOptions>(
      `${path}.operation`,
      { limit: 0, duration: 0 },
      { limit: positiveInt, duration: positiveInt },
      top.operation,
    );
  if (operation) requireKeys(`${path}.operation`, top.operation as object, ['limit', 'duration']);
  const costBudget = top.costBudget ? resolveCostBudget(top.costBudget, `${path}.costBudget`) : undefined;
  const quotas = resolveQuotas(top.quotas, path);
  const throttle = resolveOptions<ResolvedThrottleOptions>(
    `${path}.throttle`,
    rateLimitDefaults.throttle as ResolvedThrottleOptions,
    {
      mode: check.oneOf('reject', 'delay'),
      maxDelayMs: check.integer(0, 60_000),
      maxQueue: check.integer(0, 100_000),
      appliesTo: optional(check.function()),
    },
    top.throttle,
  );
  const bruteForce = top.bruteForce.map((b, i) => resolveBruteForceOptions(b, `${path}.bruteForce[${i}]`));
  return Object.freeze({ ...top, operation, costBudget, quotas, throttle, bruteForce });
}

/** Checks and completes `costBudget` (its two figures are required). */
function resolveCostBudget(options: CostBudgetOptions, path: string): Required<CostBudgetOptions> {
  requireKeys(path, options, ['maximumAvailable', 'restoreRate']);
  return resolveOptions<Required<CostBudgetOptions>>(
    path,
    { maximumAvailable: 0, restoreRate: 0, fixedCost: 1, exposeExtension: false, invalidDocumentCost: 1 },
    {
      maximumAvailable: positive,
      restoreRate: positive,
      fixedCost: check.number(0),
      exposeExtension: check.boolean(),
      invalidDocumentCost: check.number(0),
    },
    options,
  ) as Required<CostBudgetOptions>;
}

/** Checks and completes the quotas (names are unique). */
function resolveQuotas(quotas: readonly QuotaOptions[], path: string): ResolvedRateLimitOptions['quotas'] {
  const names = new Set<string>();
  return quotas.map((q, i) => {
    const p = `${path}.quotas[${i}]`;
    requireKeys(p, q, ['name', 'period', 'limit']);
    const r = resolveOptions<QuotaOptions>(
      p,
      { name: '', period: 'month', limit: 0, unit: 'calls', appliesTo: undefined },
      {
        name: check.string(),
        period: check.oneOf('day', 'month'),
        limit: positiveInt,
        unit: check.oneOf('calls', 'cost'),
        appliesTo: optional(check.function()),
      },
      q,
    );
    if (names.has(r.name)) throw new RampartConfigError(`${p}.name`, `duplicate quota name ${JSON.stringify(r.name)}`);
    names.add(r.name);
    return r as Required<Omit<QuotaOptions, 'appliesTo'>> & Pick<QuotaOptions, 'appliesTo'>;
  });
}

function requireKeys(path: string, value: object, keys: readonly string[]): void {
  for (const k of keys) {
    if ((value as Record<string, unknown>)[k] === undefined)
      throw new RampartConfigError(`${path}.${k}`, 'is required');
  }
}
