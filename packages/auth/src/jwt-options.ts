/**
 * The options of bearer JWT verification ({@link JwtOptions}): one issuer configuration, or a list of
 * them (one per issuer), each checked at startup by {@link resolveJwtOptions}.
 */
import { check, type OptionSchema, RampartConfigError, renameDeprecatedOptions, resolveOptions } from '@rampart/core';
import type { JWK } from 'jose';
import type { DpopMode, DpopOptions } from './dpop/options.js';

/**
 * Where a claim is read: a string is tried first as one exact key (`'https://myapp.example.com/roles'`,
 * Auth0's namespaced claims), then as a dotted path (`'realm_access.roles'`, Keycloak); an array is a
 * path of keys (`['realm_access', 'roles']`), each read as is. Own properties only.
 */
export type ClaimPath = string | readonly string[];

/** Options of OAuth2 bearer JWT verification for one issuer (RFC 9068 access tokens, RFC 8725 practices). */
export interface JwtOptions {
  /** Accepted `iss` value(s). Mandatory. With several issuer configurations, the token's `iss` selects one. */
  issuer: string | string[];
  /** Accepted `aud` value(s). Mandatory: without it jose accepts a token minted for another API. */
  audience: string | string[];
  /**
   * Accepted `alg` values, e.g. `['RS256']` or `['HS256']`. Mandatory; `none` is never accepted. HMAC
   * (`HS256/384/512`) only with `secret` or `{ kty: 'oct' }` entries in `keys`, never with `jwksUri`.
   */
  algorithms: string[];
  /**
   * URL of the issuer's JWKS (https; http only on loopback). Exactly one of `jwksUri`, `keys` and
   * `secret` is required. @default undefined
   */
  jwksUri?: string | undefined;
  /**
   * Local verification keys: public JWKs, and `{ kty: 'oct', k }` secrets (at least 32 bytes) for
   * HMAC. A token's `kid`, when present, selects the key. @default undefined
   */
  keys?: JWK[] | undefined;
  /**
   * Shared HMAC secret for `HS256/384/512`: a string (its UTF-8 bytes) or bytes, at least 32 bytes.
   * Only with HMAC algorithms. @default undefined
   */
  secret?: string | Uint8Array | undefined;
  /** JWKS fetch timeout, milliseconds (jose `timeoutDuration`). @default 5000 */
  jwksTimeoutMs?: number;
  /**
   * Minimum time between two JWKS fetches triggered by an unknown `kid`, milliseconds (jose
   * `cooldownDuration`). @default 30000
   */
  jwksCooldownMs?: number;
  /** How long a fetched JWKS is used before it is fetched again, milliseconds (jose `cacheMaxAge`). @default 600000 */
  jwksCacheMaxAgeMs?: number;
  /** Required `typ` header, e.g. `'at+jwt'` (RFC 9068). @default undefined (not checked) */
  typ?: string | undefined;
  /** Tolerance for `exp`/`nbf`/`iat`, seconds. @default 5 */
  clockToleranceSeconds?: number;
  /** Maximum age from `iat`, seconds (requires `iat`). @default undefined (not checked) */
  maxTokenAgeSeconds?: number | undefined;
  /** @deprecated use `jwksTimeoutMs` (the same value). */
  jwksTimeout?: number;
  /** @deprecated use `jwksCooldownMs` (the same value). */
  jwksCooldown?: number;
  /** @deprecated use `jwksCacheMaxAgeMs` (the same value). */
  jwksCacheMaxAge?: number;
  /** @deprecated use `clockToleranceSeconds` (the same value). */
  clockTolerance?: number;
  /** @deprecated use `maxTokenAgeSeconds` (the same value). */
  maxTokenAge?: number | undefined;
  /** Claims that must be present. @default ['exp', 'sub'] */
  requiredClaims?: string[];
  /** Claim holding scopes (string, space-delimited, or array). Default: `scope`, else `scp`. @default undefined */
  scopeClaim?: ClaimPath | undefined;
  /** Claim holding roles (string array or space-delimited string). @default undefined (no roles) */
  rolesClaim?: ClaimPath | undefined;
  /** Claim holding the tenant (a string). @default undefined */
  tenantClaim?: ClaimPath | undefined;
  /**
   * Sender-constrained tokens (DPoP, RFC 9449): `'allowed'`, `'required'`, or {@link DpopOptions}.
   * @default undefined (off: `Authorization: DPoP` is not accepted, a token's `cnf` is not read)
   */
  dpop?: DpopMode | DpopOptions | undefined;
}

/** The deprecated names of {@link JwtOptions} and the names that replace them (every duration names its unit). */
const RENAMED_JWT_OPTIONS = [
  ['jwksTimeout', 'jwksTimeoutMs'],
  ['jwksCooldown', 'jwksCooldownMs'],
  ['jwksCacheMaxAge', 'jwksCacheMaxAgeMs'],
  ['clockTolerance', 'clockToleranceSeconds'],
  ['maxTokenAge', 'maxTokenAgeSeconds'],
] as const;

type DeprecatedJwtOption = (typeof RENAMED_JWT_OPTIONS)[number][0];

/** Resolved {@link JwtOptions}: the secret as bytes, deprecated names mapped to their replacements. */
export type ResolvedJwtOptions = Readonly<
  Omit<Required<JwtOptions>, 'secret' | DeprecatedJwtOption> & { secret: Uint8Array | undefined }
>;

const stringOrStrings = check.anyOf(check.string(), check.arrayOf(check.string()));
const strings = check.arrayOf(check.string());
const claimPath: OptionSchema<JwtOptions>[keyof JwtOptions] = (v) =>
  typeof v === 'string' && v.length > 0
    ? undefined
    : Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string')
      ? undefined
      : 'must be a claim name, a dotted path, or an array of keys';

/** The shortest HMAC secret accepted, bytes (RFC 7518 §3.2: at least the hash size of HS256). */
export const MIN_SECRET_BYTES = 32;

/** Defaults of {@link JwtOptions} (the mandatory fields have none). */
export const jwtDefaults = Object.freeze({
  jwksUri: undefined,
  keys: undefined,
  secret: undefined,
  jwksTimeoutMs: 5000,
  jwksCooldownMs: 30_000,
  jwksCacheMaxAgeMs: 600_000,
  typ: undefined,
  clockToleranceSeconds: 5,
  maxTokenAgeSeconds: undefined,
  requiredClaims: Object.freeze(['exp', 'sub']) as unknown as string[],
  scopeClaim: undefined,
  rolesClaim: undefined,
  tenantClaim: undefined,
  dpop: undefined,
}) as Readonly<Omit<JwtOptions, 'issuer' | 'audience' | 'algorithms' | DeprecatedJwtOption>>;

const jwtSchema: OptionSchema<Omit<JwtOptions, DeprecatedJwtOption>> = {
  issuer: stringOrStrings,
  audience: stringOrStrings,
  algorithms: strings,
  jwksUri: (v) => {
    if (typeof v !== 'string') return 'must be a URL string';
    try {
      const u = new URL(v);
      if (u.protocol === 'https:') return undefined;
      const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
      return u.protocol === 'http:' && loopback
        ? undefined
        : 'must be an https URL (plain http only for localhost/127.0.0.1/[::1]: a tampered JWKS lets anyone mint tokens)';
    } catch {
      return `must be a URL, got ${JSON.stringify(v)}`;
    }
  },
  keys: check.arrayOf(check.object()),
  secret: (v) =>
    typeof v === 'string' || v instanceof Uint8Array ? undefined : 'must be a string or bytes (Uint8Array, Buffer)',
  jwksTimeoutMs: check.integer(1, 120_000),
  jwksCooldownMs: check.integer(0, 86_400_000),
  jwksCacheMaxAgeMs: check.integer(0, 86_400_000),
  typ: check.string(),
  clockToleranceSeconds: check.integer(0, 3600),
  maxTokenAgeSeconds: check.integer(1, 31_536_000),
  requiredClaims: strings,
  scopeClaim: claimPath,
  rolesClaim: claimPath,
  tenantClaim: claimPath,
  // checked in full by resolveDpopOptions
  dpop: (v) =>
    typeof v === 'string' || (v !== null && typeof v === 'object' && !Array.isArray(v))
      ? undefined
      : "must be 'allowed', 'required' or an object",
};

const isHmac = (alg: string) => /^HS/i.test(alg);

/** Checks the key source against the algorithms (no key confusion, no unusable key). */
function checkKeySource(o: ResolvedJwtOptions, path: string): void {
  const sources = [o.jwksUri, o.keys, o.secret].filter((s) => s !== undefined).length;
  if (sources !== 1) throw new RampartConfigError(path, 'exactly one of jwksUri, keys and secret is required');
  const hmac = o.algorithms.filter(isHmac);
  if (o.jwksUri !== undefined && hmac.length > 0) {
    throw new RampartConfigError(
      `${path}.algorithms`,
      'HMAC algorithms (HS*) cannot be used with a JWKS of public keys (key confusion, RFC 8725 §2.1)',
    );
  }
  if (o.secret !== undefined) {
    if (hmac.length !== o.algorithms.length) {
      throw new RampartConfigError(
        `${path}.algorithms`,
        'a secret is only for HMAC algorithms (HS256/384/512); asymmetric algorithms need keys or jwksUri',
      );
    }
    if (o.secret.byteLength < MIN_SECRET_BYTES) {
      throw new RampartConfigError(`${path}.secret`, `must be at least ${MIN_SECRET_BYTES} bytes`);
    }
  }
  if (o.keys !== undefined) {
    const oct = o.keys.filter((k) => k.kty === 'oct');
    if (hmac.length > 0 && oct.length === 0) {
      throw new RampartConfigError(`${path}.keys`, 'HMAC algorithms need at least one { kty: "oct" } key');
    }
    if (oct.length > 0 && hmac.length === 0) {
      throw new RampartConfigError(`${path}.keys`, '{ kty: "oct" } keys need an HMAC algorithm (HS256/384/512)');
    }
    o.keys.forEach((k, i) => {
      if (k.kty !== 'oct') return;
      const bytes = typeof k.k === 'string' ? Buffer.from(k.k, 'base64url').byteLength : 0;
      if (bytes < MIN_SECRET_BYTES) {
        throw new RampartConfigError(`${path}.keys[${i}].k`, `must be at least ${MIN_SECRET_BYTES} bytes`);
      }
    });
  }
}

/** Resolves and checks one issuer's JWT options: `issuer`, `audience` and `algorithms` are mandatory. */
export function resolveJwtOptions(user: JwtOptions, path = 'authentication.jwt'): ResolvedJwtOptions {
  const current = renameDeprecatedOptions(path, user, RENAMED_JWT_OPTIONS);
  const raw = resolveOptions(path, { ...jwtDefaults } as JwtOptions, jwtSchema, current) as ResolvedJwtOptions & {
    secret: string | Uint8Array | undefined;
  };
  const secret = typeof raw.secret === 'string' ? new TextEncoder().encode(raw.secret) : raw.secret;
  const o: ResolvedJwtOptions = { ...raw, secret };
  for (const key of ['issuer', 'audience', 'algorithms'] as const) {
    const v = o[key];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) {
      throw new RampartConfigError(
        `${path}.${key}`,
        `is mandatory (a token must be checked for its ${key === 'algorithms' ? 'algorithm' : key})`,
      );
    }
  }
  if (o.algorithms.some((a) => a.toLowerCase() === 'none')) {
    throw new RampartConfigError(`${path}.algorithms`, '"none" is never accepted');
  }
  checkKeySource(o, path);
  return o;
}
