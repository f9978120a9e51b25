/**
 * Brute-force guards on login-like fields. Three counts, checked before the resolver runs:
 * - per identifier, from every address together: paced, never locked (identifier-guard.ts);
 * - per (identifier, address): blocked after `maxFailures`;
 * - per address, any identifier: blocked after `maxFailuresPerIp`.
 * Addresses are keyed by core's `addressKey` (canonical spelling, IPv6 per `ipv6Prefix` network).
 */
import { ErrorCode, rampartError, type SecurityState } from '@rampart/core';
import type { GraphQLError } from 'graphql';
import { argumentKeyPart, readArgument } from './args.js';
import { retryAfterSeconds } from './headers.js';
import { type PacingStep, paceOps, pacingSteps, resetOps } from './identifier-guard.js';
import { ipKey, storeKey } from './keys.js';
import { type MaybePromise, andThen as then } from './maybe-promise.js';
import type { BruteForceRule, RateLimiter } from './rate-limiter.js';
import type { BucketOp, CounterOp, StoreOp } from './store.js';
import type { StoreAnswer } from './store-calls.js';

/** What an admitted attempt charged, for {@link BruteForceGuards.settle}. */
export interface AttemptTicket {
  /** The per-address counter. */
  readonly ipKey: string;
  /** The (identifier, address) counter, when the identifier was given. */
  readonly idKey: string | undefined;
  /** The identifier's pacing steps, when the identifier was given and the store answered. */
  readonly paced: readonly BucketOp[] | undefined;
}

/** The start of an attempt: refused (a field error), or admitted with what it charged. */
export type AttemptStart = { readonly error: GraphQLError } | { readonly ticket: AttemptTicket | undefined };

/** The brute-force guards of one {@link RateLimiter} (store calls go through its failure policy). */
export class BruteForceGuards {
  readonly #limiter: RateLimiter;
  readonly #steps = new Map<BruteForceRule, PacingStep[]>();

  constructor(limiter: RateLimiter) {
    this.#limiter = limiter;
  }

  #stepsOf(rule: BruteForceRule): PacingStep[] {
    let steps = this.#steps.get(rule);
    if (steps === undefined) {
      steps = pacingSteps(rule);
      this.#steps.set(rule, steps);
    }
    return steps;
  }

  /**
   * Counts an attempt before the resolver runs (so batched and aliased attempts count one by one).
   * The identifier is read from the arguments' own properties only, lower-cased and hashed.
   */
  begin(
    rule: BruteForceRule,
    args: Record<string, unknown>,
    state: SecurityState,
    path: string | undefined,
  ): MaybePromise<AttemptStart> {
    const options = this.#limiter.options;
    const now = state.clock.now();
    const who = ipKey(state.principal, options.ipv6Prefix);
    const base = `bf:${rule.field}`;
    const id = rule.identifierArgument ? argumentKeyPart(readArgument(args, rule.identifierArgument), true) : undefined;
    const ticket: AttemptTicket = {
      ipKey: storeKey(options.prefix, who, `${base}:ip`),
      idKey: id === undefined ? undefined : storeKey(options.prefix, who, `${base}:id:${id}`),
      paced:
        id === undefined
          ? undefined
          : paceOps(storeKey(options.prefix, `id:${id}`, `${base}:pace`), this.#stepsOf(rule)),
    };
    // the per-address counters first (their block applies as before), then the identifier's pacing
    return then(this.#perAddress(rule, ticket, state, path, now), (start) => {
      const paced = ticket.paced;
      if ('error' in start || !paced) return start;
      return then(this.#limiter.execute(paced, now), (out): MaybePromise<AttemptStart> => {
        if (out.kind === 'deny') return { error: this.#limiter.unavailable('field') };
        if (out.kind === 'allow') return { ticket: start.ticket && { ...start.ticket, paced: undefined } };
        if (out.result.allowed) return start;
        // paced: the attempt never runs, so the per-address counters give it back
        const error = this.#paced(rule, paced, out, state, path);
        const charged = start.ticket;
        if (!charged) return error;
        const refund: StoreOp[] = [{ type: 'adjust-counter', key: charged.ipKey, delta: -1 }];
        if (charged.idKey) refund.push({ type: 'adjust-counter', key: charged.idKey, delta: -1 });
        return then(this.#limiter.execute(refund, now), () => error);
      });
    });
  }

  /** The identifier is paced: the wait is the longest of the steps that are empty. */
  #paced(
    rule: BruteForceRule,
    paced: readonly BucketOp[],
    out: StoreAnswer,
    state: SecurityState,
    path: string | undefined,
  ): AttemptStart {
    let waitMs = 0;
    for (const r of out.result.results) if (!r.allowed) waitMs = Math.max(waitMs, r.resetMs);
    const retryAfter = retryAfterSeconds(waitMs);
    state.record({
      source: 'rate-limit',
      outcome: 'limited',
      code: ErrorCode.RATE_LIMITED,
      coordinate: rule.field,
      path,
      rule: `brute-force:${rule.field}`,
      reason: 'too many attempts at this identifier from all addresses; paced',
      details: { limit: paced[0]!.capacity, remaining: 0, resetMs: waitMs },
    });
    return { error: this.#refusal(retryAfter) };
  }

  #refusal(retryAfter: number): GraphQLError {
    return rampartError(ErrorCode.RATE_LIMITED, `Too many failed attempts; retry in ${retryAfter} s.`, {
      scope: 'field',
      details: { retryAfter },
    });
  }

  /** The (identifier, address) and per-address counters, in one call (one hash tag: the address). */
  #perAddress(
    rule: BruteForceRule,
    ticket: AttemptTicket,
    state: SecurityState,
    path: string | undefined,
    now: number,
  ): MaybePromise<AttemptStart> {
    const ops: CounterOp[] = [];
    const blockMs = rule.blockSeconds * 1000;
    const ttlMs = rule.windowSeconds * 1000;
    if (ticket.idKey)
      ops.push({ type: 'counter', key: ticket.idKey, limit: rule.maxFailures, cost: 1, ttlMs, blockMs });
    ops.push({ type: 'counter', key: ticket.ipKey, limit: rule.maxFailuresPerIp, cost: 1, ttlMs, blockMs });
    return then(this.#limiter.execute(ops, now), (outcome): AttemptStart => {
      if (outcome.kind === 'allow') return { ticket: undefined };
      if (outcome.kind === 'deny') return { error: this.#limiter.unavailable('field') };
      if (outcome.result.allowed) return { ticket };
      let refusedAt = outcome.result.results.findIndex((r) => !r.allowed);
      if (refusedAt < 0) refusedAt = 0;
      const refused = outcome.result.results[refusedAt]!;
      const perIp = ops[refusedAt]!.key === ticket.ipKey;
      state.record({
        source: 'rate-limit',
        outcome: 'limited',
        code: ErrorCode.RATE_LIMITED,
        coordinate: rule.field,
        path,
        rule: `brute-force:${rule.field}`,
        reason: perIp ? 'too many failed attempts from this address' : 'too many failed attempts for this identifier',
        details: { limit: ops[refusedAt]!.limit, remaining: 0, resetMs: refused.resetMs },
      });
      return { error: this.#refusal(retryAfterSeconds(refused.resetMs)) };
    });
  }

  /**
   * After the resolver ran: a failure stays counted; a success clears the (identifier, address)
   * count, gives back its per-address unit and resets the identifier's pacing.
   */
  settle(
    rule: BruteForceRule,
    ticket: AttemptTicket | undefined,
    failed: boolean,
    state: SecurityState,
    path: string | undefined,
  ): MaybePromise<void> {
    state.record({
      source: 'rate-limit',
      outcome: 'allowed',
      coordinate: rule.field,
      path,
      rule: `brute-force:${rule.field}`,
      reason: failed ? 'attempt failed (counted)' : 'attempt succeeded (count reset)',
    });
    if (failed || !ticket) return;
    const now = state.clock.now();
    const ops: StoreOp[] = [{ type: 'adjust-counter', key: ticket.ipKey, delta: -1 }];
    if (ticket.idKey) ops.push({ type: 'delete', key: ticket.idKey });
    const first = this.#limiter.execute(ops, now);
    const paced = ticket.paced;
    if (!paced) return then(first, () => undefined);
    // another hash tag (the identifier): a second call
    return then(first, () => then(this.#limiter.execute(resetOps(paced), now), () => undefined));
  }
}
