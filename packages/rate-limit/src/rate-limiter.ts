/**
 * The rate limiter: the one object the plugin, the module, the schema transform and the brute-force
 * guards share. It holds the options, the store (through the failure policy) and the key caches, and
 * delegates each concern to its file: planning (plan.ts), decisions (conclude.ts), delay mode
 * (delay.ts), refunds (settle.ts), per-field limits (field-guard.ts), brute-force guards
 * (brute-force.ts). No Apollo import.
 */
import type { Principal, SecurityState, StoreHealth } from '@rampart/core';
import type { GraphQLError } from 'graphql';
import { type AttemptStart, type AttemptTicket, BruteForceGuards } from './brute-force.js';
import { PrincipalKeys } from './client-keys.js';
import { type OperationCharge, OperationConcluder, type OperationDecision } from './conclude.js';
import { Slowdown } from './delay.js';
import { type PathLike, recordFieldDecisions } from './field-decisions.js';
import { FieldLimiter } from './field-guard.js';
import { compileFieldGuard, type FieldGuard, type FieldRule } from './field-rule.js';
import { defaultKeyGenerator } from './keys.js';
import { isPending, type MaybePromise } from './maybe-promise.js';
import { MemoryStore } from './memory-store.js';
import { type RateLimitOptions, type ResolvedRateLimitOptions, resolveRateLimitOptions } from './options.js';
import { OperationPlanner, type Part } from './plan.js';
import { type CostExtension, costExtension, settleCharge } from './settle.js';
import type { Store, StoreOp } from './store.js';
import { type Outcome, StoreCalls, storeUnavailable } from './store-calls.js';

/** A brute-force guard after option resolution. */
export type BruteForceRule = ResolvedRateLimitOptions['bruteForce'][number];

const NO_DECISION: OperationDecision = Object.freeze({});

/**
 * The rate-limit engine: builds the store calls of every policy, applies the failure policy, and
 * turns refusals into Rampart errors with `Retry-After` and IETF RateLimit headers. Build one and pass
 * it to both `rateLimitPlugin` and `transformRateLimitSchema` to share it.
 */
export class RateLimiter {
  readonly options: ResolvedRateLimitOptions;
  readonly store: Store;
  /** The brute-force guards (per identifier, per identifier and IP, per IP). */
  readonly bruteForce: BruteForceGuards;
  readonly #calls: StoreCalls;
  readonly #principalKeys: PrincipalKeys;
  readonly #planner: OperationPlanner;
  readonly #slowdown: Slowdown;
  readonly #concluder: OperationConcluder;
  readonly #fields: FieldLimiter;
  readonly #bruteForceRules = new Map<string, BruteForceRule>();

  constructor(options?: Partial<RateLimitOptions> | ResolvedRateLimitOptions) {
    const resolved = resolveRateLimitOptions(options as Partial<RateLimitOptions>);
    this.options = resolved;
    this.store = resolved.store ?? new MemoryStore();
    const warn = resolved.warn ?? ((message: string) => console.warn(message));
    this.#calls = new StoreCalls(this.store, resolved.onStoreError, warn, resolved.clock);
    const ipv6Prefix = resolved.ipv6Prefix;
    this.#principalKeys = new PrincipalKeys(
      resolved.keyGenerator ?? ((principal) => defaultKeyGenerator(principal, ipv6Prefix)),
      warn,
    );
    this.#planner = new OperationPlanner(resolved);
    this.#slowdown = new Slowdown(resolved.throttle, resolved.sleep);
    this.#concluder = new OperationConcluder(resolved, this.#slowdown, this.store);
    this.#fields = new FieldLimiter(resolved, this.#calls, (principal) => this.keyOf(principal));
    for (const rule of resolved.bruteForce) this.#bruteForceRules.set(rule.field, rule);
    this.bruteForce = new BruteForceGuards(this);
  }

  /** The store, as its last call saw it (for `rampart().health()`). */
  health(): StoreHealth[] {
    return [this.#calls.health()];
  }

  /** True when any operation-level policy (operation limit, cost budget, quota) is configured. */
  get hasOperationPolicies(): boolean {
    return !!(this.options.operation || this.options.costBudget || this.options.quotas.length > 0);
  }

  /** The brute-force guard of a coordinate, if one is configured. */
  bruteForceFor(coordinate: string): BruteForceRule | undefined {
    return this.#bruteForceRules.get(coordinate);
  }

  /** Coordinates that carry a brute-force guard. */
  get bruteForceFields(): readonly string[] {
    return [...this.#bruteForceRules.keys()];
  }

  /** The counting key of a principal (`u:…`, `c:…`, `ip:…`). */
  keyOf(principal: Principal): string {
    return this.#principalKeys.keyOf(principal);
  }

  /** Closes the store (and the fallback store). */
  async close(): Promise<void> {
    await this.#calls.close();
  }

  /** Applies `ops` in one store call, through the failure policy (`onStoreError`). */
  execute(ops: readonly StoreOp[], now: number): MaybePromise<Outcome> {
    return this.#calls.apply(ops, now);
  }

  /** The refusal when the store is down and `onStoreError` is `'deny'` (503, Retry-After 1). */
  unavailable(scope: 'request' | 'field'): GraphQLError {
    return storeUnavailable(scope);
  }

  // ── operation-level policies ──────────────────────────────────────────────────────────────────

  /**
   * The operation limit's part of a client's store call at `now` (when an operation limit is set).
   * `charged`: already charged before parsing, so this part only reads the count (cost 0).
   */
  operationPart(who: string, now: number, charged = false): Part | undefined {
    return this.#planner.operationPart(who, now, charged);
  }

  /** The store key of a client's cost budget. */
  budgetKey(who: string): string {
    return this.#planner.budgetKey(who);
  }

  /** `RateLimit-Policy` items of the operation limit and the cost budget ('' when not set). */
  get policies(): { readonly operation: string; readonly budget: string } {
    return this.#planner.policies;
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
    const charged = operationCharged;
    const out = this.#attempt(state, who, now, now, false, charged);
    if (typeof out === 'number') return this.#delayed(state, who, now, out, charged);
    if (isPending(out))
      return out.then((o) => (typeof o === 'number' ? this.#delayed(state, who, now, o, charged) : o));
    return out;
  }

  /** Delay mode: the request joined its client's queue (in the concluder); waits and tries again. */
  async #delayed(
    state: SecurityState,
    who: string,
    started: number,
    firstWait: number,
    operationCharged: boolean,
  ): Promise<OperationDecision> {
    return this.#slowdown.waitFor(who, firstWait, () =>
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
    const parts = this.#planner.plan(state, who, now, operationCharged);
    const n = parts.length;
    if (n === 0) return NO_DECISION; // no policy applies to this principal
    const ops: StoreOp[] = new Array(n);
    for (let i = 0; i < n; i++) ops[i] = parts[i]!.op;
    const out = this.#calls.apply(ops, now);
    return isPending(out)
      ? out.then((o) => this.#concluder.conclude(state, who, parts, now, o, started, queued))
      : this.#concluder.conclude(state, who, parts, now, out, started, queued);
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
    return settleCharge(state, charge, executed, (error, now) => this.#calls.failed(error, [], now));
  }

  /** `extensions.cost` for a response, when a budget is configured and exposed. */
  costExtension(
    state: SecurityState,
    requested: number | undefined,
    available: number | undefined,
  ): CostExtension | undefined {
    return costExtension(this.options, state, requested, available);
  }

  // ── per-field @rateLimit ──────────────────────────────────────────────────────────────────────

  /** Prepares the `@rateLimit` rules of one field (key parts and names computed once, at schema build). */
  compileField(coordinate: string, rules: readonly FieldRule[]): FieldGuard {
    return compileFieldGuard(coordinate, rules);
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
    return this.#fields.check(guard, args, state, path);
  }

  /** Records one aggregated 'allowed' decision per field rule used in the request. */
  flushFieldDecisions(state: SecurityState): void {
    recordFieldDecisions(state);
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
