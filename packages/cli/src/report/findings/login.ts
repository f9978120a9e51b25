/**
 * `login-without-rate-limit`: login-like mutations (`login`, `signIn`, `authenticate`,
 * `resetPassword`, `verifyOtp`, …) with neither `@rateLimit` nor a brute-force guard in the config
 * (`rateLimit.bruteForce[].field`): passwords and codes can be guessed as fast as the server answers.
 */
import type { SchemaElements } from '../elements.js';
import type { Finding } from '../model.js';
import type { ReportSettings } from '../settings.js';
import { looksLikeLogin } from '../words.js';

/** The findings of login-like mutations nothing slows down. */
export function loginFindings(all: SchemaElements, settings: ReportSettings): Finding[] {
  const mutation = settings.schema.getMutationType()?.name;
  const guarded = new Set(settings.config?.bruteForceFields ?? []);
  return all.elements
    .filter(
      (e) =>
        e.kind === 'field' &&
        e.parent === mutation &&
        looksLikeLogin(e.name) &&
        e.protection.rateLimits.length === 0 &&
        !guarded.has(e.coordinate),
    )
    .map((e) => ({
      rule: 'login-without-rate-limit',
      severity: 'high',
      coordinate: e.coordinate,
      message: `login-like mutation ${e.coordinate} has no @rateLimit and no brute-force guard`,
      fix: `add @rateLimit(limit: 5, duration: 60) to ${e.coordinate}, or rateLimit.bruteForce: [{ field: "${e.coordinate}", identifierArgument: … }] in the options`,
    }));
}
