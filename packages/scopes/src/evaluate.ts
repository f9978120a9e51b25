import type { Principal } from '@rampart/core';
import type { Dnf, Requirement } from './requirements.js';

/** The outcome of checking one requirement against the caller. */
export interface Verdict {
  /** Granted. */
  readonly ok: boolean;
  /** Refused because the caller is anonymous and authentication is required. */
  readonly unauthenticated: boolean;
  /** One set of scopes that, added to the caller's, would satisfy the scope part (empty when it is satisfied). */
  readonly missingScopes: readonly string[];
  /** The policies of the closest alternative that did not grant (empty when the policy part is satisfied). */
  readonly failedPolicies: readonly string[];
}

/** The verdict of an empty requirement. */
export const GRANTED: Verdict = Object.freeze({
  ok: true,
  unauthenticated: false,
  missingScopes: Object.freeze([]),
  failedPolicies: Object.freeze([]),
});

/**
 * Checks requirements for one caller during one request, memoising by requirement identity.
 * Built without policy results, it collects the policy names it would need (and grants
 * provisionally); built with them, it decides.
 */
export class Evaluator {
  /** Policy names a requirement asked for while no results were given. */
  readonly needed = new Set<string>();
  readonly #memo = new Map<Requirement, Verdict>();
  readonly #principal: Principal;
  readonly #policyResults: ReadonlyMap<string, boolean> | undefined;

  constructor(principal: Principal, policyResults?: ReadonlyMap<string, boolean>) {
    this.#principal = principal;
    this.#policyResults = policyResults;
  }

  /** The verdict for `req` (`undefined`: nothing required). */
  check(req: Requirement | undefined): Verdict {
    if (!req) return GRANTED;
    let v = this.#memo.get(req);
    if (!v) {
      v = this.#evaluate(req);
      this.#memo.set(req, v);
    }
    return v;
  }

  #evaluate(req: Requirement): Verdict {
    const anonymous = this.#principal.kind === 'anonymous';
    const unauthenticated = req.authenticated && anonymous;
    const missing = new Set<string>();
    const scopes = this.#principal.scopes;
    let blocked = false;
    for (const dnf of req.scopes) {
      const best = closest(dnf, (s) => scopes.has(s));
      if (best === undefined) blocked = true;
      else for (const s of best) missing.add(s);
    }
    const failedPolicies = new Set<string>();
    // Policies are consulted only when authentication and scopes already grant: no needless calls.
    if (!unauthenticated && !blocked && missing.size === 0 && req.policies.length > 0) {
      const results = this.#policyResults;
      if (!results) {
        for (const dnf of req.policies) for (const alt of dnf) for (const p of alt) this.needed.add(p);
      } else {
        for (const dnf of req.policies) {
          const best = closest(dnf, (name) => results.get(name) === true);
          if (best === undefined) blocked = true;
          else for (const p of best) failedPolicies.add(p);
        }
      }
    }
    const ok = !unauthenticated && !blocked && missing.size === 0 && failedPolicies.size === 0;
    if (ok) return GRANTED;
    return Object.freeze({
      ok,
      unauthenticated,
      missingScopes: Object.freeze([...missing]),
      failedPolicies: Object.freeze([...failedPolicies]),
    });
  }
}

/**
 * The alternative of a DNF with the fewest unmet members, as the list of those members ([] when one
 * is met; `undefined` for an empty DNF, which has no alternative and so grants nobody).
 */
function closest(dnf: Dnf, has: (x: string) => boolean): readonly string[] | undefined {
  let best: string[] | undefined;
  for (const alt of dnf) {
    const unmet = alt.filter((x) => !has(x));
    if (unmet.length === 0) return [];
    if (!best || unmet.length < best.length) best = unmet;
  }
  return best;
}

/** Combines verdicts of several parts of one decision (all must grant). */
export function combine(a: Verdict, b: Verdict): Verdict {
  if (b.ok) return a;
  if (a.ok) return b;
  return Object.freeze({
    ok: false,
    unauthenticated: a.unauthenticated || b.unauthenticated,
    missingScopes: Object.freeze([...new Set([...a.missingScopes, ...b.missingScopes])]),
    failedPolicies: Object.freeze([...new Set([...a.failedPolicies, ...b.failedPolicies])]),
  });
}
