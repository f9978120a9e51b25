/** Policy evaluation: each `@policy` function the operation needs runs once per request. */
import { ownProperty, type SecurityState } from '@rampart/core';
import type { ScopesOperation } from './engine.js';
import type { PolicyFunction } from './options.js';

/** Runs each needed policy once (in parallel); a policy that throws or does not return `true` denies. */
export async function evaluatePolicies(
  names: ReadonlySet<string>,
  policies: Readonly<Record<string, PolicyFunction>>,
  op: ScopesOperation,
  state: SecurityState,
  policyThrew: (name: string, error: unknown) => void,
): Promise<Map<string, boolean>> {
  const results = new Map<string, boolean>();
  const principal = state.principal;
  await Promise.all(
    [...names].map(async (name) => {
      // Own entries only: a policy named "constructor" must not find Object.prototype's.
      const fn = ownProperty(policies, name) as PolicyFunction | undefined;
      let granted = false;
      try {
        granted = fn
          ? (await fn({ policy: name, principal, context: op.contextValue, request: op.request })) === true
          : false;
      } catch (error) {
        policyThrew(name, error);
        state.record({
          source: 'scopes',
          outcome: 'error',
          rule: name,
          reason: `policy "${name}" threw; treated as not granted`,
          details: { error: error instanceof Error ? error.message : String(error), principal: principal.id },
        });
      }
      results.set(name, granted);
    }),
  );
  return results;
}
