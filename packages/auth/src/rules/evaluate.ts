/**
 * Rule evaluation: compiles a rule into a function that returns synchronously when every rule it
 * reaches is synchronous, and a Promise only when a rule returned one. Fails closed: a rule that
 * throws (or rejects) denies, whatever logic rule encloses it.
 */

import { isThenable } from '@rampart/core';
import type { GraphQLResolveInfo } from 'graphql';
import { type LogicRule, Rule } from './constructors.js';

/** A rule threw or rejected: a denial that remembers the error (for `debug`/`allowExternalErrors`). */
export class Thrown {
  constructor(readonly error: unknown) {}
}

/** The outcome of a rule: `true` allows; `false`, an `Error` (custom denial) or a {@link Thrown} deny. */
export type Outcome = true | false | Error | Thrown;

/** Per-request data the evaluators use (the rule cache). */
export interface RequestScope {
  /** rule → cache entries. */
  readonly cache: Map<Rule, unknown>;
}

/** A compiled rule. */
export type Evaluator = (
  parent: unknown,
  args: Record<string, unknown>,
  ctx: any,
  info: GraphQLResolveInfo,
  scope: RequestScope,
) => Outcome | Promise<Outcome>;

function normalise(res: unknown): Outcome {
  if (res === true) return true;
  if (res instanceof Error) return res;
  if (typeof res === 'string') return new Error(res);
  return false;
}

function settle(res: unknown, thrown: (e: unknown) => Thrown): Outcome | Promise<Outcome> {
  if (isThenable(res)) return Promise.resolve(res).then(normalise, thrown);
  return normalise(res);
}

/** Options the evaluators need. */
export interface EvaluateOptions {
  /** graphql-shield's `hashFunction` for `strict` keys; default: parent identity + JSON of the arguments. */
  readonly hashFunction?: ((input: { parent: unknown; args: unknown }) => string) | undefined;
  /** Told when a rule throws or rejects (the evaluation goes on: the rule denies). */
  readonly onThrow?: ((rule: Rule, error: unknown) => void) | undefined;
}

function cached(r: Rule, scope: RequestScope, key: unknown, compute: () => unknown, keyed: boolean): unknown {
  let entry = scope.cache.get(r);
  if (!keyed) {
    if (entry === undefined) {
      entry = { value: compute() };
      scope.cache.set(r, entry);
    }
    return (entry as { value: unknown }).value;
  }
  if (entry === undefined) {
    entry = new Map<unknown, unknown>();
    scope.cache.set(r, entry);
  }
  const map = entry as Map<unknown, unknown>;
  if (map.has(key)) return map.get(key);
  const value = compute();
  map.set(key, value);
  return value;
}

/**
 * A `strict` rule's cache of one request: by parent (the object itself, or the primitive), then by the
 * JSON of the arguments. Keyed by the object, not by an id in a `WeakMap`: the cache lives as long as
 * the request, and weak entries made per request are costly to collect.
 */
type StrictCache = Map<unknown, Map<string, unknown>>;

/** The key of a field's arguments: `''` for none, else their JSON; `undefined` when not serialisable. */
function argumentsKey(args: unknown): string | undefined {
  if (args !== null && typeof args === 'object') {
    let empty = true;
    for (const _ in args) {
      empty = false;
      break;
    }
    if (empty) return '';
  }
  try {
    return JSON.stringify(args) ?? 'undefined';
  } catch {
    return undefined; // not serialisable (e.g. BigInt): evaluate without caching
  }
}

function strictCached(r: Rule, scope: RequestScope, parent: unknown, argsKey: string, compute: () => unknown): unknown {
  let byParent = scope.cache.get(r) as StrictCache | undefined;
  if (byParent === undefined) {
    byParent = new Map();
    scope.cache.set(r, byParent);
  }
  let byArgs = byParent.get(parent);
  if (byArgs === undefined) {
    byArgs = new Map();
    byParent.set(parent, byArgs);
  } else if (byArgs.has(argsKey)) return byArgs.get(argsKey);
  const value = compute();
  byArgs.set(argsKey, value);
  return value;
}

function leaf(r: Rule, options: EvaluateOptions): Evaluator {
  const func = r.func;
  const cache = r.cache;
  const onThrow = options.onThrow;
  const hashFunction = options.hashFunction;
  const thrown = (e: unknown): Thrown => {
    onThrow?.(r, e);
    return new Thrown(e);
  };
  if (cache === 'no_cache') {
    return (parent, args, ctx, info) => {
      try {
        return settle(func(parent, args, ctx, info), thrown);
      } catch (e) {
        return thrown(e);
      }
    };
  }
  return (parent, args, ctx, info, scope) => {
    try {
      let res: unknown;
      const compute = () => func(parent, args, ctx, info);
      if (cache === 'contextual') res = cached(r, scope, undefined, compute, false);
      else if (cache === 'strict' && !hashFunction) {
        const key = argumentsKey(args);
        res = key === undefined ? compute() : strictCached(r, scope, parent, key, compute);
      } else {
        const key = cache === 'strict' ? hashFunction?.({ parent, args }) : String(cache(parent, args, ctx, info));
        res = key === undefined ? compute() : cached(r, scope, key, compute, true);
      }
      return settle(res, thrown);
    } catch (e) {
      return thrown(e);
    }
  };
}

/** Picks the denial graphql-shield would report: the first custom `Error`, else the first throw, else `false`. */
function pickDenial(results: readonly Outcome[]): Outcome {
  let thrown: Thrown | undefined;
  for (const r of results) {
    if (r instanceof Error) return r;
    if (r instanceof Thrown && !thrown) thrown = r;
  }
  return thrown ?? false;
}

/** Compiles a rule (already converted to Rampart's classes) into an evaluator. */
export function compileRule(r: Rule | LogicRule, options: EvaluateOptions): Evaluator {
  if (r instanceof Rule) return leaf(r, options);
  switch (r.kind) {
    case 'allow':
      return () => true;
    case 'deny':
      return () => false;
    case 'not': {
      const inner = compileRule(r.rules[0] as Rule | LogicRule, options);
      const error = r.error;
      const negate = (o: Outcome): Outcome => (o instanceof Thrown ? o : o === true ? (error ?? false) : true);
      return (p, a, c, i, s) => {
        const o = inner(p, a, c, i, s);
        return isThenable(o) ? o.then(negate) : negate(o);
      };
    }
    case 'and':
    case 'or': {
      const want = r.kind === 'and';
      const parts = r.rules.map((x) => compileRule(x as Rule | LogicRule, options));
      const combine = (results: readonly Outcome[]): Outcome => {
        if (want) return results.every((x) => x === true) ? true : pickDenial(results);
        return results.some((x) => x === true) ? true : pickDenial(results);
      };
      return (p, a, c, i, s) => {
        const results: (Outcome | Promise<Outcome>)[] = [];
        let pending = false;
        for (const part of parts) {
          const o = part(p, a, c, i, s);
          if (isThenable(o)) pending = true;
          else if (!pending && (want ? o !== true : o === true)) return o; // synchronous short-circuit
          results.push(o);
        }
        if (results.length === 0) return want; // and() allows, or() denies
        if (!pending) return combine(results as Outcome[]);
        return Promise.all(results).then(combine);
      };
    }
    case 'chain':
    case 'race': {
      const stopOnDenial = r.kind === 'chain';
      const parts = r.rules.map((x) => compileRule(x as Rule | LogicRule, options));
      const run = (k: number, seen: Outcome[], p: unknown, a: any, c: any, i: any, s: RequestScope) => {
        for (; k < parts.length; k++) {
          const o = (parts[k] as Evaluator)(p, a, c, i, s);
          if (isThenable(o)) {
            return o.then((v): Outcome | Promise<Outcome> => {
              if (stopOnDenial ? v !== true : v === true) return v;
              seen.push(v);
              return run(k + 1, seen, p, a, c, i, s);
            });
          }
          if (stopOnDenial ? o !== true : o === true) return o;
          seen.push(o);
        }
        return stopOnDenial ? true : pickDenial(seen);
      };
      return (p, a, c, i, s) => run(0, [], p, a, c, i, s);
    }
  }
}
