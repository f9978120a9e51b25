/**
 * What the caller is told and what the security state records: the `UNAUTHENTICATED`/`FORBIDDEN`
 * refusal of a whole operation (with its RFC 6750 `Bearer` challenge), the per-field
 * `UNAUTHORIZED_FIELD_OR_TYPE` errors, and one decision per denial.
 */
import { bearerChallenge, ErrorCode, type Principal, rampartError, type SecurityState } from '@rampart/core';
import type { GraphQLError } from 'graphql';
import type { Denial } from './analyze.js';
import type { Verdict } from './evaluate.js';
import type { ScopesOptions } from './options.js';
import type { RemovedPath } from './shape.js';

/** The message of every `UNAUTHORIZED_FIELD_OR_TYPE` error (Apollo Router's). */
export const UNAUTHORIZED_MESSAGE = 'Unauthorized field or type';

/**
 * The refusal of a whole operation: 401 `UNAUTHENTICATED` for an anonymous caller, else 403
 * `FORBIDDEN` (with `insufficient_scope`, and the scopes when `exposeRequirements`, in the challenge).
 */
export function refusal(
  options: Readonly<ScopesOptions>,
  anonymous: boolean,
  verdict: Verdict | undefined,
): GraphQLError {
  if (anonymous) {
    return rampartError(ErrorCode.UNAUTHENTICATED, 'Authentication is required for this operation', {
      headers: { 'WWW-Authenticate': bearerChallenge(options.realm) },
    });
  }
  const details: Record<string, unknown> = {};
  const missingScopes = verdict && verdict.missingScopes.length > 0 ? verdict.missingScopes : undefined;
  if (missingScopes && options.exposeRequirements) details.missingScopes = missingScopes;
  const challenge = bearerChallenge(options.realm, {
    ...(missingScopes ? { error: 'insufficient_scope' } : {}),
    ...(missingScopes && options.exposeRequirements ? { scope: missingScopes.join(' ') } : {}),
  });
  return rampartError(
    ErrorCode.FORBIDDEN,
    'The operation uses fields or arguments the caller is not authorized to use',
    { headers: { 'WWW-Authenticate': challenge }, details },
  );
}

/** The errors of one shaped result: one per removed path up to `maxFieldErrors`, then one count of the rest. */
export function fieldErrors(options: Readonly<ScopesOptions>, removed: readonly RemovedPath[]): GraphQLError[] {
  const max = options.maxFieldErrors;
  const errors: GraphQLError[] = [];
  // These errors are never thrown: capturing a stack for each (most of their cost) is wasted work.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (let i = 0; i < removed.length && i < max; i++) {
      const place = removed[i] as RemovedPath;
      errors.push(fieldError(options, place.denial, place.path));
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  if (removed.length > max) {
    const omitted = removed.length - max;
    errors.push(
      rampartError(ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE, `${UNAUTHORIZED_MESSAGE} (${omitted} more paths)`, {
        scope: 'field',
        details: { omittedPaths: omitted },
      }),
    );
  }
  return errors;
}

function fieldError(
  options: Readonly<ScopesOptions>,
  denial: Denial,
  path: readonly (string | number)[],
): GraphQLError {
  const details: Record<string, unknown> = {};
  if (options.exposeRequirements) {
    details.coordinate = denial.coordinate;
    if (denial.verdict.missingScopes.length > 0) details.missingScopes = denial.verdict.missingScopes;
    if (denial.verdict.unauthenticated) details.authenticationRequired = true;
  }
  return rampartError(ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE, UNAUTHORIZED_MESSAGE, {
    scope: 'field',
    details,
    graphql: { path, nodes: [denial.node] },
  });
}

/** One verdict for several denials: every missing scope and failed policy. */
export function mergedVerdict(denials: readonly Denial[]): Verdict {
  const missing = new Set<string>();
  const failed = new Set<string>();
  let unauthenticated = false;
  for (const denial of denials) {
    for (const scope of denial.verdict.missingScopes) missing.add(scope);
    for (const policy of denial.verdict.failedPolicies) failed.add(policy);
    unauthenticated ||= denial.verdict.unauthenticated;
  }
  return { ok: false, unauthenticated, missingScopes: [...missing], failedPolicies: [...failed] };
}

/** Records one denial: `denied` when the operation is refused, else `removed` (filter mode). */
export function recordDenial(
  state: SecurityState,
  denial: Denial,
  refused: boolean,
  principal: Principal,
  dryRun: boolean,
): void {
  const verdict = denial.verdict;
  const reasons: string[] = [];
  if (verdict.unauthenticated) reasons.push('requires authentication');
  if (verdict.missingScopes.length > 0) reasons.push(`missing scopes ${verdict.missingScopes.join(' ')}`);
  if (verdict.failedPolicies.length > 0) reasons.push(`policies did not grant: ${verdict.failedPolicies.join(', ')}`);
  if (reasons.length === 0) reasons.push('no alternative of the requirement can be met');
  state.record({
    source: 'scopes',
    outcome: refused ? 'denied' : 'removed',
    code: refused
      ? principal.kind === 'anonymous'
        ? ErrorCode.UNAUTHENTICATED
        : ErrorCode.FORBIDDEN
      : ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE,
    coordinate: denial.coordinate,
    path: denial.path,
    rule: verdict.failedPolicies.length > 0 ? verdict.failedPolicies.join(',') : undefined,
    reason: reasons.join('; '),
    details: {
      missingScopes: verdict.missingScopes,
      failedPolicies: verdict.failedPolicies.length > 0 ? verdict.failedPolicies : undefined,
      principal: principal.id,
      dryRun: dryRun || undefined,
    },
  });
}
