/**
 * Per-field `@rateLimit`: each resolver call is charged against each rule of its field, all-or-nothing.
 * With an asynchronous store, the calls of one counter made in the same tick (a field in a list, or
 * aliases) are charged together in ONE atomic store call that admits as many as fit (`upTo`); the
 * first callers in execution order get them. Still charged per resolver call.
 */
import type { Principal, SecurityState } from '@rampart/core';
import type { GraphQLError } from 'graphql';
import { argumentKeyPart, readArgument } from './args.js';
import { fieldDecision, type PathLike } from './field-decisions.js';
import type { CompiledRule, FieldGuard } from './field-rule.js';
import { ipKey } from './keys.js';
import { isPending, type MaybePromise } from './maybe-promise.js';
import type { ResolvedRateLimitOptions } from './options.js';
import type { CounterOp } from './store.js';
import type { Outcome, StoreCalls } from './store-calls.js';

/** The resolver calls of one field that charge the same counters in the same tick. */
interface FieldBatch {
  readonly guard: FieldGuard;
  readonly rules: readonly CompiledRule[];
  readonly ops: readonly CounterOp[];
  readonly now: number;
  readonly waiters: Array<{
    state: SecurityState;
    path: PathLike | undefined;
    resolve: (error: GraphQLError | undefined) => void;
  }>;
}

/** Charges `@rateLimit` fields of one limiter (see the file comment). */
export class FieldLimiter {
  readonly #options: ResolvedRateLimitOptions;
  readonly #calls: StoreCalls;
  readonly #keyOf: (principal: Principal) => string;
  /** Open batches, by their counter keys. */
  readonly #batches = new Map<string, FieldBatch>();

  constructor(options: ResolvedRateLimitOptions, calls: StoreCalls, keyOf: (principal: Principal) => string) {
    this.#options = options;
    this.#calls = calls;
    this.#keyOf = keyOf;
  }

  /**
   * Charges one call of a field against each of its rules. Returns `undefined` when admitted, a
   * field-level error when refused; synchronous with a synchronous store.
   */
  check(
    guard: FieldGuard,
    args: Record<string, unknown>,
    state: SecurityState,
    path?: PathLike,
  ): MaybePromise<GraphQLError | undefined> {
    const now = state.clock.now();
    if (guard.byPrincipal) return this.#checkGroup(guard, guard.rules, this.#keyOf(state.principal), now, state, path);
    // Rules counted by different keys: one atomic call per key (different Redis Cluster slots).
    const groups = new Map<string, CompiledRule[]>();
    for (const rule of guard.rules) {
      const who = this.#counterKey(rule, state.principal, args);
      const group = groups.get(who);
      if (group) group.push(rule);
      else groups.set(who, [rule]);
    }
    const list = [...groups];
    const step = (i: number): MaybePromise<GraphQLError | undefined> => {
      if (i >= list.length) return undefined;
      const [who, rules] = list[i]!;
      const out = this.#checkGroup(guard, rules, who, now, state, path);
      const next = (error: GraphQLError | undefined) => error ?? step(i + 1);
      return isPending(out) ? out.then(next) : next(out);
    };
    return step(0);
  }

  /** Who a rule counts against: the principal, the client address, or an argument's value. */
  #counterKey(rule: CompiledRule, principal: Principal, args: Record<string, unknown>): string {
    if (rule.byArgument === undefined) {
      return rule.byIp ? ipKey(principal, this.#options.ipv6Prefix) : this.#keyOf(principal);
    }
    const part = argumentKeyPart(readArgument(args, rule.byArgument));
    return part === undefined ? this.#keyOf(principal) : `a:${part}`;
  }

  /** The rules of one field counted by the same key: one store call (or one share of a batch). */
  #checkGroup(
    guard: FieldGuard,
    rules: readonly CompiledRule[],
    who: string,
    now: number,
    state: SecurityState,
    path: PathLike | undefined,
  ): MaybePromise<GraphQLError | undefined> {
    const base = `${this.#options.prefix}{${who}}`;
    const ops: CounterOp[] = new Array(rules.length);
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const start = now - (now % rule.windowMs);
      ops[i] = {
        type: 'counter',
        key: base + rule.keyMiddle + start,
        limit: rule.rule.limit,
        cost: 1,
        ttlMs: start + rule.windowMs - now + Math.min(rule.windowMs, 3_600_000),
      };
    }
    if (!this.#calls.store.applySync) return this.#joinBatch(guard, rules, ops, now, state, path);
    const out = this.#calls.apply(ops, now);
    const expose = this.#options.exposeLimits;
    return isPending(out)
      ? out.then((outcome) => fieldDecision(outcome, guard, rules, now, state, path, expose))
      : fieldDecision(out, guard, rules, now, state, path, expose);
  }

  /** Asynchronous stores: joins (or opens) the batch of these counters, flushed in a microtask. */
  #joinBatch(
    guard: FieldGuard,
    rules: readonly CompiledRule[],
    ops: CounterOp[],
    now: number,
    state: SecurityState,
    path: PathLike | undefined,
  ): Promise<GraphQLError | undefined> {
    const key = ops.length === 1 ? ops[0]!.key : ops.map((op) => op.key).join('\n');
    let batch = this.#batches.get(key);
    if (!batch) {
      const opened: FieldBatch = { guard, rules, ops, now, waiters: [] };
      batch = opened;
      this.#batches.set(key, opened);
      queueMicrotask(() => {
        this.#batches.delete(key);
        void this.#flush(opened);
      });
    }
    const waiters = batch.waiters;
    return new Promise((resolve) => waiters.push({ state, path, resolve }));
  }

  /** One store call for the batch (`upTo` = its size); each waiter gets its own share of the answer. */
  async #flush(batch: FieldBatch): Promise<void> {
    const size = batch.waiters.length;
    const outcome = await this.#calls.apply(batch.ops, batch.now, size);
    // A custom store that ignores `upTo` charged one unit: admit one (never more than was charged).
    const admitted = outcome.kind === 'result' ? (outcome.result.units ?? (outcome.result.allowed ? 1 : 0)) : 0;
    for (let i = 0; i < size; i++) {
      const waiter = batch.waiters[i]!;
      const own = shareOf(outcome, batch.ops, i, admitted);
      const decision = fieldDecision(
        own,
        batch.guard,
        batch.rules,
        batch.now,
        waiter.state,
        waiter.path,
        this.#options.exposeLimits,
      );
      waiter.resolve(decision);
    }
  }
}

/** The outcome of the `index`th call of a batch of which the first `admitted` were charged. */
function shareOf(outcome: Outcome, ops: readonly CounterOp[], index: number, admitted: number): Outcome {
  if (outcome.kind !== 'result') return outcome;
  const results = outcome.result.results;
  const allowed = index < admitted;
  return {
    kind: 'result',
    store: outcome.store,
    result: {
      allowed,
      results: results.map((r, j) =>
        allowed
          ? { allowed: true, value: r.value - (admitted - 1 - index), resetMs: r.resetMs }
          : {
              allowed: ops[j]!.limit - r.value < 1 || j === results.length - 1,
              value: r.value,
              resetMs: r.resetMs,
            },
      ),
    },
  };
}
