/**
 * Where a token's verification key comes from: a remote JWKS (cached by jose, with outage and
 * recovery reported), local public JWKs, or HMAC secrets (`secret`, `{ kty: 'oct' }` JWKs). This only
 * selects a key; jose's `jwtVerify` checks every signature.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, errors, type JWK, type JWTVerifyGetKey } from 'jose';
import type { ResolvedJwtOptions } from './jwt-options.js';

/** The JWKS could not be fetched (network, timeout, HTTP error, not a JWKS): not the token's fault. */
export class KeySetUnavailable extends Error {
  constructor(override readonly cause: unknown) {
    super('key set unavailable');
  }
}

/** Told when a remote JWKS stops answering (once per outage) and when it answers again. */
export interface KeySetMonitor {
  /** The JWKS at `url` could not be fetched; `reason` is a short error class. */
  unreachable(url: string, reason: string): void;
  /** The JWKS at `url` answered again after an outage. */
  recovered(url: string): void;
}

/** jose error codes that mean "this token has no usable key", not "the key set is down". */
const TOKEN_CODES = new Set([
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JWS_INVALID',
  'ERR_JWK_INVALID',
]);

/** The `code` of a jose error, if any. */
export function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

function remoteKeys(o: ResolvedJwtOptions, url: string, monitor: KeySetMonitor | undefined): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(url), {
    timeoutDuration: o.jwksTimeout,
    cooldownDuration: o.jwksCooldown,
    cacheMaxAge: o.jwksCacheMaxAge,
  });
  let down = false;
  return async (header, token) => {
    try {
      const key = await remote(header, token);
      if (down) {
        down = false;
        monitor?.recovered(url);
      }
      return key;
    } catch (e) {
      if (TOKEN_CODES.has(codeOf(e) ?? '')) throw e;
      if (!down) {
        down = true;
        monitor?.unreachable(url, codeOf(e) ?? (e as Error)?.name ?? 'error');
      }
      throw new KeySetUnavailable(e);
    }
  };
}

/** One HMAC secret and what it may verify. */
interface SecretEntry {
  /** The JWK's `kid`; `undefined` for `secret` (then it matches any `kid`). */
  readonly kid: string | undefined;
  /** The JWK's `alg`, when it pins one. */
  readonly alg: string | undefined;
  /** Whether the entry is `secret` (the only key: any `kid` selects it). */
  readonly sole: boolean;
  readonly key: KeyObject;
}

function secretEntries(o: ResolvedJwtOptions): SecretEntry[] {
  if (o.secret !== undefined) {
    return [{ kid: undefined, alg: undefined, sole: true, key: createSecretKey(o.secret) }];
  }
  return (o.keys ?? [])
    .filter((k) => k.kty === 'oct' && (k.use === undefined || k.use === 'sig'))
    .map((k) => ({
      kid: k.kid,
      alg: k.alg,
      sole: false,
      key: createSecretKey(Buffer.from(k.k as string, 'base64url')),
    }));
}

/** The secret for an HMAC token: by `kid` when the token has one, else the only candidate. */
function selectSecret(entries: readonly SecretEntry[], alg: string, kid: string | undefined): KeyObject {
  const candidates = entries.filter(
    (e) => (e.alg === undefined || e.alg === alg) && (e.sole || kid === undefined || e.kid === kid),
  );
  if (candidates.length === 0) throw new errors.JWKSNoMatchingKey();
  if (candidates.length > 1) throw new errors.JWKSMultipleMatchingKeys();
  return (candidates[0] as SecretEntry).key;
}

/**
 * The key lookup jose's `jwtVerify` calls with the token's protected header. HMAC tokens are matched
 * against secrets only, other algorithms against public keys only: a token cannot pick the key type.
 */
export function keyLookup(o: ResolvedJwtOptions, monitor?: KeySetMonitor): JWTVerifyGetKey {
  if (o.jwksUri !== undefined) return remoteKeys(o, o.jwksUri, monitor);
  const secrets = secretEntries(o);
  const publicKeys: JWK[] = (o.keys ?? []).filter((k) => k.kty !== 'oct');
  const local = publicKeys.length > 0 ? createLocalJWKSet({ keys: publicKeys }) : undefined;
  return async (header, token) => {
    const alg = header.alg ?? '';
    if (/^HS/.test(alg)) return selectSecret(secrets, alg, header.kid);
    if (!local) throw new errors.JWKSNoMatchingKey();
    return local(header, token);
  };
}
