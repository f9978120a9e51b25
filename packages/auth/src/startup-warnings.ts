/**
 * Configurations that start but cannot do what their author meant: warned about once, at startup.
 */
import type { JwtOptions } from './jwt-options.js';
import type { AuthOptions } from './options.js';

/** The warnings of a configuration (empty when nothing looks wrong). */
export function startupWarnings(options: Readonly<AuthOptions>): string[] {
  const warnings: string[] = [];
  const a = options.authentication;
  if (options.rules !== undefined && a?.custom === undefined) {
    const jwts: readonly JwtOptions[] =
      a?.jwt === undefined ? [] : Array.isArray(a.jwt) ? a.jwt : [a.jwt as JwtOptions];
    const rolesFromJwt = jwts.some((j) => j.rolesClaim !== undefined);
    const rolesFromKeys = a?.apiKeys?.keys.some((k) => (k.roles?.length ?? 0) > 0) ?? false;
    if (!rolesFromJwt && !rolesFromKeys) {
      warnings.push(
        'rules are configured but no principal can have roles (no authentication.jwt rolesClaim, no API key with roles, no authentication.custom): every rule on roles denies. Set rolesClaim to the claim holding roles (e.g. "realm_access.roles" or "https://myapp.example.com/roles").',
      );
    }
  }
  return warnings;
}
