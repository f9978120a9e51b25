/**
 * What a `@rateLimit` store call comes to for one resolver call: admitted (tallied, and recorded as
 * one aggregated 'allowed' decision per rule when the response is sent) or refused (a field error).
 */
import { ErrorCode, pathToString, rampartError, type SecurityState } from '@rampart/core';
import type { GraphQLError } from 'graphql';
import type { CompiledRule, FieldGuard } from './field-rule.js';
import { retryAfterSeconds } from './headers.js';
import type { OpResult } from './store.js';
import { type Outcome, storeUnavailable } from './store-calls.js';

/** graphql-js's linked response path. */
export type PathLike = { readonly prev: unknown; readonly key: string | number };

/** The security-state slot holding a request's tallies. */
const FIELD_SLOT = Symbol('rampart.rate-limit.fields');

/** The admitted calls of one rule in one request. */
interface FieldTally {
  calls: number;
  coordinate: string;
  limit: number;
  remaining: number;
  resetMs: number;
}

/** One resolver call's decision: `undefined` when admitted, the field error when refused. */
export function fieldDecision(
  outcome: Outcome,
  guard: FieldGuard,
  rules: readonly CompiledRule[],
  now: number,
  state: SecurityState,
  path: PathLike | undefined,
  exposeLimits: boolean,
): GraphQLError | undefined {
  if (outcome.kind === 'allow') return undefined;
  if (outcome.kind === 'deny') {
    state.record({
      source: 'rate-limit',
      outcome: 'limited',
      code: ErrorCode.RATE_LIMITED,
      coordinate: guard.coordinate,
      path: path && pathToString(path),
      rule: 'store-unavailable',
      reason: 'store unavailable; refused by onStoreError: deny',
    });
    return storeUnavailable('field');
  }
  const results = outcome.result.results;
  if (outcome.result.allowed) {
    tally(state, guard.coordinate, rules, results, now);
    return undefined;
  }
  return refusal(guard.coordinate, rules, results, now, state, path, exposeLimits);
}

function tally(
  state: SecurityState,
  coordinate: string,
  rules: readonly CompiledRule[],
  results: readonly OpResult[],
  now: number,
): void {
  let tallies = state.slots.get(FIELD_SLOT) as Map<CompiledRule, FieldTally> | undefined;
  if (!tallies) {
    tallies = new Map();
    state.slots.set(FIELD_SLOT, tallies);
  }
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const known = tallies.get(rule);
    const remaining = rule.rule.limit - results[i]!.value;
    const resetMs = rule.windowMs - (now % rule.windowMs);
    if (known) {
      known.calls++;
      known.remaining = remaining;
      known.resetMs = resetMs;
    } else tallies.set(rule, { calls: 1, coordinate, limit: rule.rule.limit, remaining, resetMs });
  }
}

function refusal(
  coordinate: string,
  rules: readonly CompiledRule[],
  results: readonly OpResult[],
  now: number,
  state: SecurityState,
  path: PathLike | undefined,
  exposeLimits: boolean,
): GraphQLError {
  let index = results.findIndex((r) => !r.allowed);
  if (index < 0) index = 0;
  const rule = rules[index]!;
  const resetMs = rule.windowMs - (now % rule.windowMs);
  const retryAfter = retryAfterSeconds(resetMs);
  state.record({
    source: 'rate-limit',
    outcome: 'limited',
    code: ErrorCode.RATE_LIMITED,
    coordinate,
    path: path && pathToString(path),
    rule: rule.name,
    reason: 'field rate limit exceeded',
    details: { limit: rule.rule.limit, remaining: 0, resetMs },
  });
  const limit = exposeLimits ? ` (limit ${rule.rule.limit} per ${rule.rule.duration} s)` : '';
  return rampartError(ErrorCode.RATE_LIMITED, `Too many calls of ${coordinate}${limit}; retry in ${retryAfter} s.`, {
    scope: 'field',
    details: { retryAfter },
  });
}

/** Records one aggregated 'allowed' decision per field rule used in the request. */
export function recordFieldDecisions(state: SecurityState): void {
  const tallies = state.slots.get(FIELD_SLOT) as Map<CompiledRule, FieldTally> | undefined;
  if (!tallies) return;
  state.slots.delete(FIELD_SLOT);
  for (const [rule, t] of tallies) {
    state.record({
      source: 'rate-limit',
      outcome: 'allowed',
      coordinate: t.coordinate,
      rule: rule.name,
      reason: 'field rate limit within limit',
      details: { limit: t.limit, remaining: t.remaining, resetMs: t.resetMs, calls: t.calls },
    });
  }
}
