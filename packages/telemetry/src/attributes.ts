/**
 * Bounded attribute values: every attribute a metric carries comes from a fixed set (outcomes, error
 * codes, phases) or from the configuration (rule, store and JWKS names), and is capped anyway — at
 * most `max` distinct values per attribute, each at most 64 characters — so a client can never grow
 * the number of time series. Principal ids, addresses and tokens are never attributes.
 */
import type { Attributes } from '@opentelemetry/api';
import type { DecisionEvent } from '@rampart/core';

/** The value recorded once an attribute has seen `max` distinct values. */
export const OTHER = '_other';
/** Longest attribute value kept; longer ones are cut. */
export const MAX_VALUE_LENGTH = 64;

/** The distinct values seen of one attribute, up to a cap. */
export class BoundedValues {
  readonly #seen = new Set<string>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** `value` (cut to {@link MAX_VALUE_LENGTH}) while fewer than `max` values were seen, else {@link OTHER}. */
  bound(value: string): string {
    const v = value.length > MAX_VALUE_LENGTH ? value.slice(0, MAX_VALUE_LENGTH) : value;
    if (this.#seen.has(v)) return v;
    if (this.#seen.size >= this.#max) return OTHER;
    this.#seen.add(v);
    return v;
  }
}

/** Most attribute sets of `rampart.decisions` kept for reuse. */
const MAX_CACHED_SETS = 10_000;

/** Attribute names, semantic-convention style (`rampart.*`). */
export const ATTR = Object.freeze({
  source: 'rampart.source',
  outcome: 'rampart.outcome',
  code: 'rampart.code',
  rule: 'rampart.rule',
  phase: 'rampart.phase',
  store: 'rampart.store',
  jwks: 'rampart.jwks.url',
  operationType: 'graphql.operation.type',
  coordinate: 'rampart.coordinate',
  reason: 'rampart.reason',
  refusalClass: 'rampart.refusal_class',
});

/**
 * The attribute sets of `rampart.decisions`, one frozen object per distinct set (the SDK hashes the
 * attributes of every `add`: a shared object also spares an allocation per decision).
 */
export class DecisionAttributes {
  readonly #sources: BoundedValues;
  readonly #codes: BoundedValues;
  readonly #rules: BoundedValues;
  readonly #sets = new Map<string, Attributes>();

  constructor(max: number) {
    this.#sources = new BoundedValues(max);
    this.#codes = new BoundedValues(max);
    this.#rules = new BoundedValues(max);
  }

  /** The attributes of one decision: source, outcome, and code and rule when it has them. */
  of(e: DecisionEvent): Attributes {
    const key = `${e.source}\u0000${e.outcome}\u0000${e.code ?? ''}\u0000${e.rule ?? ''}`;
    const known = this.#sets.get(key);
    if (known !== undefined) return known;
    const attrs: Record<string, string> = {
      [ATTR.source]: this.#sources.bound(String(e.source)),
      [ATTR.outcome]: e.outcome,
    };
    if (e.code !== undefined) attrs[ATTR.code] = this.#codes.bound(e.code);
    if (e.rule !== undefined) attrs[ATTR.rule] = this.#rules.bound(e.rule);
    const frozen = Object.freeze(attrs);
    // keyed by the raw values: capped, so that values cut or turned into `_other` cannot grow it
    if (this.#sets.size < MAX_CACHED_SETS) this.#sets.set(key, frozen);
    return frozen;
  }
}
