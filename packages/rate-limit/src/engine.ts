import { ErrorCode, type Principal, pathToString, rampartError, type SecurityState } from '@rampart/core';
import type { GraphQLError } from 'graphql';
import { argumentKeyPart, readArgument } from './args.js';
import { type AttemptStart, type AttemptTicket, BruteForceGuards } from './brute-force.js';
import { calendarWindow, fixedWindow, type Window } from './calendar.js';
import { checkFieldRule, type FieldRule } from './field-rule.js';
import { type PolicyStatus, policyItem, rateLimitHeaders, retryAfterSeconds, stateItem } from './headers.js';
import { defaultKeyGenerator, ipKey, keyPart, storeKey } from './keys.js';
import { MemoryStore } from './memory-store.js';
import { type RateLimitOptions, type ResolvedRateLimitOptions, resolveRateLimitOptions } from './options.js';
import type { ApplyResult, CounterOp, Store, StoreOp } from './store.js';
import { WaitQueue } from './wait-queue.js';

type MaybePromise<T> = T | Promise<T>;

export type { FieldRule } from './field-rule.js';
export { checkFieldRule } from './field-rule.js';

/** graphql-js's linked response path. */
export type PathLike = { readonly prev: unknown; readonly key: string | number };

interface CompiledRule {
  readonly rule: FieldRule;
  readonly name: string;
  readonly ms: number;
  /** Key part after the hash tag: `:f:<coordinate>:<limit>/<duration>:`. */
  readonly mid: string;
  readonly byIp: boolean;
  readonly byArg: string | undefined;
}

/** The compiled `@rateLimit` rules of one field (see {@link RateLimiter.compileField}). */
export interface FieldGuard {
  readonly coordinate: string;
  readonly rules: readonly CompiledRule[];
  /** Every rule counts by the principal: one store call per resolver call. */
  readonly byPrincipal: boolean;
}

interface FieldBatch {
  readonly guard: FieldGuard;
  readonly rules: readonly CompiledRule[];
  readonly ops: readonly CounterOp[];
  readonly now: number;
  readonly waiters: Array<{
    state: SecurityState;
    path: PathLike | undefined;
    resolve: (e: GraphQLError | undefined) => void;
  }>;
}

/** A brute-force guard after option resolution. */
export type BruteForceRule = ResolvedRateLimitOptions['bruteForce'][number];

type PartKind = 'operation' | 'budget' | 'quota';
/** One policy's share of an operation's store call. */
export interface Part {
  readonly kind: PartKind;
  readonly name: string;
  readonly op: StoreOp;
  /** Fixed or calendar window (counters). */
  readonly window?: Window | undefined;
  readonly limit: number;
  readonly cost: number;
  readonly unit?: 'calls' | 'cost';
  /** Its `RateLimit-Policy` item (built once per policy and window). */
  readonly policy: string;
}

/** The keys of one client, rebuilt only when a window turns. */
interface ClientKeys {
  opWindow: Window | undefined;
  opKey: string;
  budgetKey: string;
  quotaWindows: Array<Window | undefined>;
  quotaKeys: string[];
}

/** Clients whose keys are kept (the cache is cleared when full: it only saves string building). */
const KEY_CACHE_SIZE = 10_000;

const NO_DECISION: OperationDecision = Object.freeze({});

/** What an operation was charged, kept until the response is sent (refunds). */
export interface OperationCharge {
  readonly who: string;
  readonly store: Store;
  readonly parts: readonly Part[];
  /** Cost charged to the budget (estimated, or the fixed cost). */
  readonly requestedCost: number | undefined;
  /** The estimate came from `state.cost.estimated` (so an actual cost can correct it). */
  readonly estimated: boolean;
  /** Units left in the budget after the charge. */
  currentlyAvailable: number | undefined;
  headers: Record<string, string>;
}

/** The result of {@link RateLimiter.decideOperation}. */
export interface OperationDecision {
  /** Set when the operation is refused: throw it from `didResolveOperation`. */
  readonly error?: GraphQLError;
  /** Set when the operation was admitted and charged. */
  readonly charge?: OperationCharge;
  /** Cost figures for `extensions.cost` (when a budget is configured). */
  readonly requestedCost?: number | undefined;
  readonly currentlyAvailable?: number | undefined;
}

/** `extensions.cost` of a response (Shopify's shape). */
export interface CostExtension {
  requestedQueryCost: number | null;
  actualQueryCost: number | null;
  throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
}

/** What a store call came to, after the failure policy (`onStoreError`). */
export type Outcome =
  | { readonly kind: 'result'; readonly result: ApplyResult; readonly store: Store }
  | { readonly kind: 'allow' }
  | { readonly kind: 'deny' };

const FIELD_SLOT = Symbol('rampart.rate-limit.fields');

interface FieldTally {
  calls: number;
  coordinate: string;
  limit: number;
  remaining: number;
  resetMs: number;
}

/**
 * The rate-limit engine: builds the store calls of every policy, applies the failure policy, and
 * turns refusals into Rampart errors with `Retry-After` and IETF RateLimit headers. No Apollo import.
 */
export class RateLimiter {
  readonly options: ResolvedRateLimitOptions;
  readonly store: Store;
  readonly #fallback: MemoryStore | undefined;
  readonly #keyOf: (principal: Principal) => string;
  readonly #warn: (message: string) => void;
  readonly #queue: WaitQueue;
  readonly #keys = new Map<string, string>();
  #lastPrincipal: Principal | undefined;
  #lastKey = '';
  readonly #whoKeys = new Map<string, ClientKeys>();
  #opWindow: Window | undefined;
  readonly #opPolicy: string;
  readonly #budgetPolicy: string;
  readonly #quotaParts: readonly string[];
  readonly #quotaPolicies: Array<{ window: Window; value: string } | undefined> = [];
  readonly #batches = new Map<string, FieldBatch>();
  readonly #brute = new Map<string, BruteForceRule>();
  /** The brute-force guards (per identifier, per identifier and IP, per IP). */
  readonly bruteForce: BruteForceGuards;
  #down = false;
  #warnedUnknown = false;

  constructor(options?: Partial<RateLimitOptions> | ResolvedRateLimitOptions) {
    this.options = resolveRateLimitOptions(options as Partial<RateLimitOptions>);
    this.store = this.options.store ?? new MemoryStore();
    this.#fallback =
      this.options.onStoreError === 'fallback-memory' && !(this.store instanceof MemoryStore)
        ? new MemoryStore()
        : undefined;
    const ipv6Prefix = this.options.ipv6Prefix;
    this.#keyOf = this.options.keyGenerator ?? ((p) => defaultKeyGenerator(p, ipv6Prefix));
    this.#queue = new WaitQueue(this.options.sleep);
    this.#warn = this.options.warn ?? ((m) => console.warn(m));
    for (const b of this.options.bruteForce) this.#brute.set(b.field, b);
    this.bruteForce = new BruteForceGuards(this);
    const { operation, costBudget, quotas } = this.options;
    this.#opPolicy = operation ? policyItem('operation', operation.limit, operation.duration) : '';
    this.#budgetPolicy = costBudget
      ? policyItem('cost-budget', costBudget.maximumAvailable, costBudget.maximumAvailable / costBudget.restoreRate)
      : '';
    this.#quotaParts = quotas.map((q) => keyPart(q.name));
  }

  /** True when any operation-level policy (operation limit, cost budget, quota) is configured. */
  get hasOperationPolicies(): boolean {
    return !!(this.options.operation || this.options.costBudget || this.options.quotas.length > 0);
  }

  /** The brute-force guard of a coordinate, if one is configured. */
  bruteForceFor(coordinate: string): BruteForceRule | undefined {
    return this.#brute.get(coordinate);
  }

  /** Coordinates that carry a brute-force guard. */
  get bruteForceFields(): readonly string[] {
    return [...this.#brute.keys()];
  }

  /** The counting key of a principal (`u:…`, `c:…`, `ip:…`). */
  keyOf(principal: Principal): string {
    // The last principal (the fields of one request) and the last keys seen are remembered; a
    // principal is usually a new object per request, so no per-object map (a WeakMap entry per
    // request costs more than it saves).
    if (principal === this.#lastPrincipal) return this.#lastKey;
    const raw = this.#keyOf(principal);
    let k = this.#keys.get(raw);
    if (k === undefined) {
      k = keyPart(raw);
      if (this.#keys.size >= KEY_CACHE_SIZE) this.#keys.clear();
      this.#keys.set(raw, k);
    }
    this.#lastPrincipal = principal;
    this.#lastKey = k;
    if (k === 'ip:unknown' && !this.#warnedUnknown) {
      this.#warnedUnknown = true;
      this.#warn(
        '[rampart/rate-limit] an anonymous request has no principal.ip: all such requests share the key ' +
          '"ip:unknown". Set the principal (with its ip) in the context, or use rampart() with authentication.',
      );
    }
    return k;
  }

  /** Closes the store (and the fallback store). */
  async close(): Promise<void> {
    await this.store.close?.();
    await this.#fallback?.close();
  }

  // ── store access with the failure policy ──────────────────────────────────────────────────────

  /** Applies `ops` in one store call, through the failure policy (`onStoreError`). */
  execute(ops: readonly StoreOp[], now: number): MaybePromise<Outcome> {
    return this.#exec(ops, now);
  }

  #exec(ops: readonly StoreOp[], now: number, upTo = 0): MaybePromise<Outcome> {
    const store = this.store;
    if (store.applySync) {
      try {
        return this.#ok(store.applySync(ops, now, upTo), store);
      } catch (error) {
        return this.#failed(error, ops, now, upTo);
      }
    }
    let p: Promise<ApplyResult>;
    try {
      p = store.apply(ops, now, upTo);
    } catch (error) {
      return this.#failed(error, ops, now, upTo);
    }
    return p.then(
      (r) => this.#ok(r, store),
      (error) => this.#failed(error, ops, now, upTo),
    );
  }

  #ok(result: ApplyResult, store: Store): Outcome {
    if (this.#down) {
      this.#down = false;
      this.#warn(`[rampart/rate-limit] store "${store.name}" answers again; counting resumes there`);
    }
    return { kind: 'result', result, store };
  }

  #failed(error: unknown, ops: readonly StoreOp[], now: number, upTo = 0): Outcome {
    const policy = this.options.onStoreError;
    if (!this.#down) {
      this.#down = true;
      this.#warn(
        `[rampart/rate-limit] store "${this.store.name}" failed (${(error as Error)?.message ?? String(error)}); ` +
          `onStoreError: '${policy}'${policy === 'allow' ? ' — requests are ADMITTED without limits until it returns' : ''}`,
      );
    }
    if (policy === 'fallback-memory' && this.#fallback) {
      return { kind: 'result', result: this.#fallback.applySync(ops, now, upTo), store: this.#fallback };
    }
    return policy === 'allow' ? { kind: 'allow' } : { kind: 'deny' };
  }

  /** The refusal when the store is down and `onStoreError` is `'deny'` (503, Retry-After 1). */
  unavailable(scope: 'request' | 'field'): GraphQLError {
    return rampartError(ErrorCode.RATE_LIMITED, 'Rate limiting is unavailable; try again shortly.', {
      scope,
      status: 503,
      headers: { 'retry-after': '1' },
      details: { retryAfter: 1 },
    });
  }

  // ── operation-level policies ──────────────────────────────────────────────────────────────────

  /** The keys of a client: they change only when a window turns, so built once per (client, window). */
  #clientKeys(who: string): ClientKeys {
    let keys = this.#whoKeys.get(who);
    if (keys === undefined) {
      if (this.#whoKeys.size >= KEY_CACHE_SIZE) this.#whoKeys.clear();
      keys = { opWindow: undefined, opKey: '', budgetKey: '', quotaWindows: [], quotaKeys: [] };
      this.#whoKeys.set(who, keys);
    }
    return keys;
  }

  /**
   * The operation limit's part of a client's store call at `now` (when an operation limit is set).
   * `charged`: already charged before parsing, so this part only reads the count (cost 0).
   */
  operationPart(who: string, now: number, charged = false): Part | undefined {
    const o = this.options;
    if (!o.operation) return undefined;
    const keys = this.#clientKeys(who);
    let w = this.#opWindow;
    if (w === undefined || now < w.start || now >= w.end) {
      w = fixedWindow(now, o.operation.duration * 1000);
      this.#opWindow = w;
    }
    if (keys.opWindow !== w) {
      keys.opWindow = w;
      keys.opKey = storeKey(o.prefix, who, `op:${o.operation.duration}:${w.id}`);
    }
    return {
      kind: 'operation',
      name: 'operation',
      window: w,
      limit: o.operation.limit,
      cost: 1,
      op: counter(keys.opKey, o.operation.limit, charged ? 0 : 1, w, now),
      policy: this.#opPolicy,
    };
  }

  /** The store key of a client's cost budget. */
  budgetKey(who: string): string {
    const keys = this.#clientKeys(who);
    if (keys.budgetKey === '') keys.budgetKey = storeKey(this.options.prefix, who, 'budget');
    return keys.budgetKey;
  }

  /** `RateLimit-Policy` items of the operation limit and the cost budget ('' when not set). */
  get policies(): { readonly operation: string; readonly budget: string } {
    return { operation: this.#opPolicy, budget: this.#budgetPolicy };
  }

  /** The parts of an operation's store call (the operation limit only read when charged before parsing). */
  #plan(state: SecurityState, who: string, now: number, operationCharged: boolean): Part[] {
    const o = this.options;
    const prefix = o.prefix;
    const parts: Part[] = [];
    const estimated = finiteCost(state.cost.estimated);
    const keys = this.#clientKeys(who);
    const op = this.operationPart(who, now, operationCharged);
    if (op) parts.push(op);
    if (o.costBudget) {
      const b = o.costBudget;
      const cost = estimated ?? b.fixedCost;
      this.budgetKey(who);
      parts.push({
        kind: 'budget',
        name: 'cost-budget',
        limit: b.maximumAvailable,
        cost,
        op: {
          type: 'bucket',
          key: keys.budgetKey,
          capacity: b.maximumAvailable,
          restorePerSecond: b.restoreRate,
          cost,
        },
        policy: this.#budgetPolicy,
      });
    }
    const quotas = o.quotas;
    for (let i = 0; i < quotas.length; i++) {
      const q = quotas[i]!;
      if (q.appliesTo && !q.appliesTo(state.principal)) continue;
      const w = calendarWindow(now, q.period);
      if (keys.quotaWindows[i] !== w) {
        keys.quotaWindows[i] = w;
        keys.quotaKeys[i] = storeKey(prefix, who, `q:${this.#quotaParts[i]}:${w.id}`);
      }
      const cost = q.unit === 'cost' ? Math.ceil(estimated ?? o.costBudget?.fixedCost ?? 1) : 1;
      parts.push({
        kind: 'quota',
        name: q.name,
        window: w,
        limit: q.limit,
        cost,
        unit: q.unit,
        op: counter(keys.quotaKeys[i]!, q.limit, cost, w, now),
        policy: this.#quotaPolicy(i, q.name, q.limit, w),
      });
    }
    return parts;
  }

  /** The `RateLimit-Policy` item of quota `i` in window `w` (the window length varies by month). */
  #quotaPolicy(i: number, name: string, limit: number, w: Window): string {
    const c = this.#quotaPolicies[i];
    if (c !== undefined && c.window === w) return c.value;
    const value = policyItem(name, limit, (w.end - w.start) / 1000);
    this.#quotaPolicies[i] = { window: w, value };
    return value;
  }

  /**
   * Decides the operation-level policies (operation limit, cost budget, quotas) in ONE store call.
   * In delay mode a request over a rate or budget waits (bounded) and tries again.
   */
  async decideOperation(state: SecurityState): Promise<OperationDecision> {
    return this.decide(state);
  }

  /**
   * {@link decideOperation}, but synchronous when the store is (memory) and the request does not
   * wait: no promise and no microtask hop on the hot path. Returns a promise otherwise.
   * `operationCharged`: the operation limit was already charged before parsing (admission.ts).
   */
  decide(state: SecurityState, operationCharged = false): MaybePromise<OperationDecision> {
    if (!this.hasOperationPolicies) return NO_DECISION;
    const who = this.keyOf(state.principal);
    const now = state.clock.now();
    const c = operationCharged;
    const out = this.#attempt(state, who, now, now, false, c);
    if (typeof out === 'number') return this.#delayed(state, who, now, out, c);
    if (out instanceof Promise)
      return out.then((o) => (typeof o === 'number' ? this.#delayed(state, who, now, o, c) : o));
    return out;
  }

  /** Delay mode: the request joined its client's queue (in {@link #conclude}); waits and tries again. */
  async #delayed(
    state: SecurityState,
    who: string,
    started: number,
    firstWait: number,
    operationCharged: boolean,
  ): Promise<OperationDecision> {
    return this.#queue.waitFor(who, firstWait, () =>
      this.#attempt(state, who, state.clock.now(), started, true, operationCharged),
    );
  }

  /** One store call for the operation; a decision, or the ms to wait (delay mode, queue joined). */
  #attempt(
    state: SecurityState,
    who: string,
    now: number,
    started: number,
    queued: boolean,
    operationCharged: boolean,
  ): MaybePromise<OperationDecision | number> {
    const parts = this.#plan(state, who, now, operationCharged);
    const n = parts.length;
    if (n === 0) return NO_DECISION; // no policy applies to this principal
    const ops: StoreOp[] = new Array(n);
    for (let i = 0; i < n; i++) ops[i] = parts[i]!.op;
    const out = this.#exec(ops, now);
    return out instanceof Promise
      ? out.then((o) => this.#conclude(state, who, parts, now, o, started, queued))
      : this.#conclude(state, who, parts, now, out, started, queued);
  }

  #conclude(
    state: SecurityState,
    who: string,
    parts: Part[],
    now: number,
    outcome: Outcome,
    started: number,
    queued: boolean,
  ): OperationDecision | number {
    const throttle = this.options.throttle;
    if (outcome.kind === 'allow') {
      state.record({
        source: 'rate-limit',
        outcome: 'allowed',
        rule: 'store-unavailable',
        reason: 'store unavailable; admitted by onStoreError: allow',
        details: { storeError: true },
      });
      return {};
    }
    if (outcome.kind === 'deny') {
      const error = this.unavailable('request');
      state.record({
        source: 'rate-limit',
        outcome: 'limited',
        code: ErrorCode.RATE_LIMITED,
        rule: 'store-unavailable',
        reason: 'store unavailable; refused by onStoreError: deny',
        details: { storeError: true },
      });
      return { error };
    }
    const { result, store } = outcome;
    if (result.allowed) return this.#admitted(state, who, parts, now, result, store);
    const statuses = parts.map((p, i) => status(p, result.results[i]!, now, this.options));
    // Refused. Which policy, and could waiting help?
    const refused = parts.map((p, i) => ({ p, r: result.results[i]!, s: statuses[i]! })).filter((x) => !x.r.allowed);
    const quota = refused.find((x) => x.p.kind === 'quota');
    const delays =
      throttle.mode === 'delay' && (throttle.appliesTo === undefined || throttle.appliesTo(state.principal));
    if (!quota && delays) {
      let wait = 0;
      for (const x of refused) {
        const ms = x.p.kind === 'budget' ? x.r.resetMs : x.p.window!.end - now;
        wait = ms < 0 ? Number.POSITIVE_INFINITY : Math.max(wait, ms);
      }
      const waited = now - started;
      const inQueue = this.#queue.size(who);
      if (wait > 0 && waited + wait <= throttle.maxDelayMs && (queued || inQueue < throttle.maxQueue)) {
        // Joins the client's queue now (same tick as the check), so the bound is exact.
        if (!queued) this.#queue.join(who);
        return wait;
      }
    }
    const primary = quota ?? refused.find((x) => x.p.kind === 'budget') ?? refused[0]!;
    const retryMs =
      primary.p.kind === 'budget'
        ? primary.r.resetMs < 0
          ? msToFill(primary.p.limit, this.options.costBudget!.restoreRate)
          : primary.r.resetMs
        : primary.p.window!.end - now;
    const retryAfter = retryAfterSeconds(retryMs);
    const code =
      primary.p.kind === 'quota'
        ? ErrorCode.QUOTA_EXCEEDED
        : primary.p.kind === 'budget'
          ? ErrorCode.THROTTLED
          : ErrorCode.RATE_LIMITED;
    const message = this.#message(primary.p, primary.r.resetMs < 0, delays);
    const details: Record<string, unknown> = { retryAfter };
    if (primary.p.kind === 'budget') {
      details.cost = {
        requestedQueryCost: primary.p.cost,
        maximumAvailable: primary.p.limit,
        currentlyAvailable: primary.r.value,
      };
    }
    const error = rampartError(code, message, {
      headers: { 'retry-after': String(retryAfter), ...rateLimitHeaders(statuses) },
      details,
    });
    for (const x of refused) {
      state.record({
        source: 'rate-limit',
        outcome: 'limited',
        code: x === primary ? code : undefined,
        rule: x.p.name,
        reason: `${x.p.kind} exceeded`,
        details: { limit: x.s.quota, remaining: x.s.remaining, resetMs: Math.round(x.s.resetSeconds * 1000) },
      });
    }
    const budgetIdx = parts.findIndex((p) => p.kind === 'budget');
    return {
      error,
      requestedCost: budgetIdx >= 0 ? parts[budgetIdx]!.cost : undefined,
      currentlyAvailable: budgetIdx >= 0 ? result.results[budgetIdx]!.value : undefined,
    };
  }

  /** The admitted path (every request that is not refused): figures, headers and one decision. */
  #admitted(
    state: SecurityState,
    who: string,
    parts: Part[],
    now: number,
    result: ApplyResult,
    store: Store,
  ): OperationDecision {
    const o = this.options;
    const results = result.results;
    const n = parts.length;
    const headers = o.headers;
    let policy = '';
    let current = '';
    // One decision for the operation: the tightest policy (least remaining share) names it.
    let tight = -1;
    let tightShare = 0;
    let tightRemaining = 0;
    let tightReset = 0;
    let budgetIdx = -1;
    for (let i = 0; i < n; i++) {
      const p = parts[i]!;
      const r = results[i]!;
      let remaining: number;
      let resetSeconds: number;
      if (p.kind === 'budget') {
        budgetIdx = i;
        remaining = r.value;
        resetSeconds = (r.resetMs < 0 ? msToFill(p.limit, o.costBudget!.restoreRate) : r.resetMs) / 1000;
      } else {
        remaining = p.limit - r.value;
        resetSeconds = (p.window!.end - now) / 1000;
      }
      const share = remaining / p.limit;
      if (tight < 0 || share < tightShare) {
        tight = i;
        tightShare = share;
        tightRemaining = remaining;
        tightReset = resetSeconds;
      }
      if (headers) {
        const item = stateItem(p.name, remaining, resetSeconds);
        if (i === 0) {
          policy = p.policy;
          current = item;
        } else {
          policy = `${policy}, ${p.policy}`;
          current = `${current}, ${item}`;
        }
      }
    }
    const requestedCost = budgetIdx >= 0 ? parts[budgetIdx]!.cost : undefined;
    const currentlyAvailable = budgetIdx >= 0 ? results[budgetIdx]!.value : undefined;
    const charge: OperationCharge = {
      who,
      store,
      parts,
      requestedCost,
      estimated: finiteCost(state.cost.estimated) !== undefined,
      currentlyAvailable,
      headers: headers ? { 'ratelimit-policy': policy, ratelimit: current } : {},
    };
    const details: Record<string, unknown> = {
      limit: parts[tight]!.limit,
      remaining: tightRemaining,
      resetMs: Math.round(tightReset * 1000),
    };
    if (store !== this.store) details.store = 'memory-fallback';
    state.record({
      source: 'rate-limit',
      outcome: 'allowed',
      rule: parts[tight]!.name,
      reason: n === 1 ? 'within limit' : `within all ${n} operation policies`,
      details,
      at: now,
    });
    return { charge, requestedCost, currentlyAvailable };
  }

  #message(p: Part, never: boolean, delayed: boolean): string {
    const expose = this.options.exposeLimits;
    const waited = delayed ? ' (after the longest allowed wait)' : '';
    switch (p.kind) {
      case 'quota':
        return `Quota "${p.name}" used up for this ${p.window && p.window.end - p.window.start > 86_400_000 ? 'month' : 'day'}${expose ? ` (limit ${p.limit})` : ''}.`;
      case 'budget':
        if (never)
          return `Query cost ${expose ? `${p.cost} ` : ''}exceeds the maximum available cost${expose ? ` of ${p.limit}` : ''}.`;
        return `Cost budget exhausted${expose ? ` (query cost ${p.cost})` : ''}; retry later${waited}.`;
      default:
        return `Too many requests${expose ? ` (limit ${p.limit} per ${this.options.operation!.duration} s)` : ''}${waited}.`;
    }
  }

  /**
   * After the response is built: refunds the budget (estimated − actual cost) and cost quotas, or
   * everything but the operation count when execution never started. One store call, only when
   * something changes. Returns the budget's units left.
   */
  async settleOperation(state: SecurityState, charge: OperationCharge, executed: boolean): Promise<number | undefined> {
    return this.settle(state, charge, executed);
  }

  /** {@link settleOperation}, synchronous when there is nothing to settle or the store is synchronous. */
  settle(state: SecurityState, charge: OperationCharge, executed: boolean): MaybePromise<number | undefined> {
    let ops: StoreOp[] | undefined;
    const actual = finiteCost(state.cost.actual);
    let budgetAt = -1;
    for (const p of charge.parts) {
      if (p.kind === 'budget') {
        const op = p.op as Extract<StoreOp, { type: 'bucket' }>;
        let refund = 0;
        if (!executed) refund = p.cost;
        else if (charge.estimated && actual !== undefined) refund = p.cost - actual;
        if (refund !== 0) {
          ops ??= [];
          budgetAt = ops.length;
          ops.push({
            type: 'adjust-bucket',
            key: op.key,
            capacity: op.capacity,
            restorePerSecond: op.restorePerSecond,
            amount: refund,
          });
        }
      } else if (p.kind === 'quota') {
        let delta = 0;
        if (!executed) delta = -p.cost;
        else if (p.unit === 'cost' && charge.estimated && actual !== undefined) delta = Math.ceil(actual) - p.cost;
        if (delta !== 0) {
          ops ??= [];
          ops.push({ type: 'adjust-counter', key: p.op.key, delta });
        }
      }
    }
    if (ops === undefined) return charge.currentlyAvailable;
    const now = state.clock.now();
    const store = charge.store;
    try {
      if (store.applySync) return settled(charge, budgetAt, store.applySync(ops, now));
      return store.apply(ops, now).then(
        (r) => settled(charge, budgetAt, r),
        (error) => this.#settleFailed(error, now, charge),
      );
    } catch (error) {
      return this.#settleFailed(error, now, charge);
    }
  }

  #settleFailed(error: unknown, now: number, charge: OperationCharge): number | undefined {
    this.#failed(error, [], now);
    return charge.currentlyAvailable;
  }

  /** `extensions.cost` for a response, when a budget is configured and exposed. */
  costExtension(
    state: SecurityState,
    requested: number | undefined,
    available: number | undefined,
  ): CostExtension | undefined {
    const b = this.options.costBudget;
    if (!b?.exposeExtension) return undefined;
    return {
      requestedQueryCost: requested ?? null,
      actualQueryCost: finiteCost(state.cost.actual) ?? null,
      throttleStatus: {
        maximumAvailable: b.maximumAvailable,
        currentlyAvailable: Math.floor(available ?? b.maximumAvailable),
        restoreRate: b.restoreRate,
      },
    };
  }

  // ── per-field @rateLimit ──────────────────────────────────────────────────────────────────────

  #fieldWho(rule: CompiledRule, principal: Principal, args: Record<string, unknown>): string {
    if (rule.byArg === undefined) return rule.byIp ? ipKey(principal, this.options.ipv6Prefix) : this.keyOf(principal);
    const part = argumentKeyPart(readArgument(args, rule.byArg));
    return part === undefined ? this.keyOf(principal) : `a:${part}`;
  }

  /** Prepares the `@rateLimit` rules of one field (key parts and names computed once, at schema build). */
  compileField(coordinate: string, rules: readonly FieldRule[]): FieldGuard {
    const compiled = rules.map((rule): CompiledRule => {
      checkFieldRule(coordinate, rule);
      const by = rule.by ?? 'principal';
      return {
        rule,
        name: rule.name ?? `${coordinate}:${rule.limit}/${rule.duration}s`,
        ms: rule.duration * 1000,
        mid: `:f:${coordinate}:${rule.limit}/${rule.duration}:`,
        byIp: by === 'ip',
        byArg: by.startsWith('args.') ? by.slice(5) : undefined,
      };
    });
    return { coordinate, rules: compiled, byPrincipal: compiled.every((r) => !r.byIp && r.byArg === undefined) };
  }

  /**
   * Charges one call of a `@rateLimit` field against each of its rules (all-or-nothing). Returns
   * `undefined` when admitted, a field-level error when refused; synchronous with a synchronous store.
   * `path` is graphql-js's response path (turned into a string only for decisions about refusals).
   */
  checkField(
    guard: FieldGuard,
    args: Record<string, unknown>,
    state: SecurityState,
    path?: PathLike,
  ): MaybePromise<GraphQLError | undefined> {
    const now = state.clock.now();
    if (guard.byPrincipal) return this.#checkGroup(guard, guard.rules, this.keyOf(state.principal), now, state, path);
    // Rules counted by different keys: one atomic call per key (different Redis Cluster slots).
    const groups = new Map<string, CompiledRule[]>();
    for (const rule of guard.rules) {
      const who = this.#fieldWho(rule, state.principal, args);
      const g = groups.get(who);
      if (g) g.push(rule);
      else groups.set(who, [rule]);
    }
    const list = [...groups];
    const step = (i: number): MaybePromise<GraphQLError | undefined> => {
      if (i >= list.length) return undefined;
      const [who, rules] = list[i]!;
      const out = this.#checkGroup(guard, rules, who, now, state, path);
      const next = (e: GraphQLError | undefined) => e ?? step(i + 1);
      return out instanceof Promise ? out.then(next) : next(out);
    };
    return step(0);
  }

  #checkGroup(
    guard: FieldGuard,
    rules: readonly CompiledRule[],
    who: string,
    now: number,
    state: SecurityState,
    path: PathLike | undefined,
  ): MaybePromise<GraphQLError | undefined> {
    const base = `${this.options.prefix}{${who}}`;
    const ops: CounterOp[] = new Array(rules.length);
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      const start = now - (now % r.ms);
      ops[i] = {
        type: 'counter',
        key: base + r.mid + start,
        limit: r.rule.limit,
        cost: 1,
        ttlMs: start + r.ms - now + Math.min(r.ms, 3_600_000),
      };
    }
    if (!this.store.applySync) return this.#batched(guard, rules, ops, now, state, path);
    const out = this.#exec(ops, now);
    return out instanceof Promise
      ? out.then((o) => this.#fieldOutcome(o, guard, rules, now, state, path))
      : this.#fieldOutcome(out, guard, rules, now, state, path);
  }

  /**
   * Asynchronous stores: the calls of one counter made in the same tick (a `@rateLimit` field in a
   * list, or aliases) are charged together in ONE atomic store call that admits as many as fit
   * (`upTo`); the first callers in execution order get them. Still charged per resolver call.
   */
  #batched(
    guard: FieldGuard,
    rules: readonly CompiledRule[],
    ops: CounterOp[],
    now: number,
    state: SecurityState,
    path: PathLike | undefined,
  ): Promise<GraphQLError | undefined> {
    const key = ops.length === 1 ? ops[0]!.key : ops.map((o) => o.key).join('\n');
    let batch = this.#batches.get(key);
    if (!batch) {
      const b: FieldBatch = { guard, rules, ops, now, waiters: [] };
      batch = b;
      this.#batches.set(key, b);
      queueMicrotask(() => {
        this.#batches.delete(key);
        void this.#flush(b);
      });
    }
    const waiters = batch.waiters;
    return new Promise((resolve) => waiters.push({ state, path, resolve }));
  }

  async #flush(b: FieldBatch): Promise<void> {
    const n = b.waiters.length;
    const outcome = await this.#exec(b.ops, b.now, n);
    // A custom store that ignores `upTo` charged one unit: admit one (never more than was charged).
    const admitted = outcome.kind === 'result' ? (outcome.result.units ?? (outcome.result.allowed ? 1 : 0)) : 0;
    for (let i = 0; i < n; i++) {
      const w = b.waiters[i]!;
      let o: Outcome = outcome;
      if (outcome.kind === 'result') {
        const res = outcome.result.results;
        const ok = i < admitted;
        o = {
          kind: 'result',
          store: outcome.store,
          result: {
            allowed: ok,
            results: res.map((r, j) =>
              ok
                ? { allowed: true, value: r.value - (admitted - 1 - i), resetMs: r.resetMs }
                : {
                    allowed: b.ops[j]!.limit - r.value < 1 || j === res.length - 1,
                    value: r.value,
                    resetMs: r.resetMs,
                  },
            ),
          },
        };
      }
      w.resolve(this.#fieldOutcome(o, b.guard, b.rules, b.now, w.state, w.path));
    }
  }

  #fieldOutcome(
    o: Outcome,
    guard: FieldGuard,
    rules: readonly CompiledRule[],
    now: number,
    state: SecurityState,
    path: PathLike | undefined,
  ): GraphQLError | undefined {
    if (o.kind === 'allow') return undefined;
    const coordinate = guard.coordinate;
    if (o.kind === 'deny') {
      state.record({
        source: 'rate-limit',
        outcome: 'limited',
        code: ErrorCode.RATE_LIMITED,
        coordinate,
        path: path && pathToString(path),
        rule: 'store-unavailable',
        reason: 'store unavailable; refused by onStoreError: deny',
      });
      return this.unavailable('field');
    }
    const res = o.result.results;
    if (o.result.allowed) {
      let tallies = state.slots.get(FIELD_SLOT) as Map<CompiledRule, FieldTally> | undefined;
      if (!tallies) {
        tallies = new Map();
        state.slots.set(FIELD_SLOT, tallies);
      }
      for (let i = 0; i < rules.length; i++) {
        const r = rules[i]!;
        const t = tallies.get(r);
        const remaining = r.rule.limit - res[i]!.value;
        const resetMs = r.ms - (now % r.ms);
        if (t) {
          t.calls++;
          t.remaining = remaining;
          t.resetMs = resetMs;
        } else tallies.set(r, { calls: 1, coordinate, limit: r.rule.limit, remaining, resetMs });
      }
      return undefined;
    }
    let idx = res.findIndex((r) => !r.allowed);
    if (idx < 0) idx = 0;
    const r = rules[idx]!;
    const resetMs = r.ms - (now % r.ms);
    const retryAfter = retryAfterSeconds(resetMs);
    state.record({
      source: 'rate-limit',
      outcome: 'limited',
      code: ErrorCode.RATE_LIMITED,
      coordinate,
      path: path && pathToString(path),
      rule: r.name,
      reason: 'field rate limit exceeded',
      details: { limit: r.rule.limit, remaining: 0, resetMs },
    });
    return rampartError(
      ErrorCode.RATE_LIMITED,
      `Too many calls of ${coordinate}${this.options.exposeLimits ? ` (limit ${r.rule.limit} per ${r.rule.duration} s)` : ''}; retry in ${retryAfter} s.`,
      { scope: 'field', details: { retryAfter } },
    );
  }

  /** Records one aggregated 'allowed' decision per field rule used in the request. */
  flushFieldDecisions(state: SecurityState): void {
    const tallies = state.slots.get(FIELD_SLOT) as Map<CompiledRule, FieldTally> | undefined;
    if (!tallies) return;
    state.slots.delete(FIELD_SLOT);
    for (const [r, t] of tallies) {
      state.record({
        source: 'rate-limit',
        outcome: 'allowed',
        coordinate: t.coordinate,
        rule: r.name,
        reason: 'field rate limit within limit',
        details: { limit: t.limit, remaining: t.remaining, resetMs: t.resetMs, calls: t.calls },
      });
    }
  }

  // ── brute-force guard (brute-force.ts) ────────────────────────────────────────────────────────

  /**
   * Counts an attempt on a guarded field before it runs (so batched attempts are counted one by one).
   * Returns an error when the identifier is paced or the (identifier, IP) pair or the IP is blocked,
   * else a ticket for {@link settleAttempt}.
   */
  beginAttempt(
    rule: BruteForceRule,
    args: Record<string, unknown>,
    state: SecurityState,
    path: string | undefined,
  ): MaybePromise<AttemptStart> {
    return this.bruteForce.begin(rule, args, state, path);
  }

  /** After a guarded field ran: a failure stays counted; a success resets the counts of its identifier. */
  settleAttempt(
    rule: BruteForceRule,
    ticket: AttemptTicket | undefined,
    failed: boolean,
    state: SecurityState,
    path: string | undefined,
  ): MaybePromise<void> {
    return this.bruteForce.settle(rule, ticket, failed, state, path);
  }
}

function settled(charge: OperationCharge, budgetAt: number, r: ApplyResult): number | undefined {
  if (budgetAt >= 0) charge.currentlyAvailable = r.results[budgetAt]!.value;
  return charge.currentlyAvailable;
}

function counter(key: string, limit: number, cost: number, w: Window, now: number): CounterOp {
  // Keys carry their window id, so keeping them a little past the window end is harmless and keeps
  // counts when the store's clock and the request's clock differ slightly.
  const length = w.end - w.start;
  return { type: 'counter', key, limit, cost, ttlMs: w.end - now + Math.min(length, 3_600_000) };
}

/** A usable cost figure (a finite number ≥ 0), else `undefined`. */
function finiteCost(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** Milliseconds for a bucket restoring `rate` units a second to gain `units`. */
export function msToFill(units: number, rate: number): number {
  return Math.ceil((units * 1000) / rate);
}

function status(
  p: Part,
  r: { allowed: boolean; value: number; resetMs: number },
  now: number,
  o: ResolvedRateLimitOptions,
): PolicyStatus {
  if (p.kind === 'budget') {
    const rate = o.costBudget!.restoreRate;
    return {
      name: p.name,
      quota: p.limit,
      windowSeconds: p.limit / rate,
      remaining: r.value,
      resetSeconds: (r.resetMs < 0 ? msToFill(p.limit, rate) : r.resetMs) / 1000,
    };
  }
  const w = p.window!;
  return {
    name: p.name,
    quota: p.limit,
    windowSeconds: (w.end - w.start) / 1000,
    remaining: p.limit - r.value,
    resetSeconds: (w.end - now) / 1000,
  };
}
