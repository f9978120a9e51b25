/**
 * OAuth2 bearer JWT verification with jose: mandatory issuer/audience/algorithms, remote (cached,
 * time-limited, cooled-down) or local keys, RFC 9068 claims into a Principal.
 */
import { createPrincipal, type JwksHealth, type Principal } from '@rampart/core';
import { type JWTPayload, jwtVerify } from 'jose';
import { AuthFailure } from './auth-failure.js';
import { claimAt, claimName, stringList } from './claims.js';
import { BEARER_PRESENTATION, checkBinding, createProofChecker, type TokenPresentation } from './dpop/binding.js';
import { codeOf, type KeySetMonitor, KeySetUnavailable, type KeySource, keyLookup } from './jwt-keys.js';
import { type JwtOptions, type ResolvedJwtOptions, resolveJwtOptions } from './jwt-options.js';

export { AuthFailure };

/** A compiled verifier. */
export interface JwtVerifier {
  /**
   * Verifies a compact JWS and builds the principal (without `ip`); with DPoP configured, checks that
   * the token was presented as its key binding asks (`presentation`, default: as a bearer token).
   * @throws AuthFailure for every failure, whatever its origin.
   */
  verify(token: string, now: number, presentation?: TokenPresentation): Promise<Principal>;
  /** The proof algorithms of the issuers that accept DPoP (empty: none does). */
  readonly dpopAlgorithms: readonly string[];
  /** The remote JWKS of each issuer configuration that has one (for `rampart().health()`). */
  health?(): JwksHealth[];
}

/** A token whose signature and claims jose verified, with how long that verification holds. */
export interface VerifiedToken {
  readonly principal: Principal;
  readonly payload: JWTPayload;
  /** From when (ms) a fresh verification would accept it: `nbf` less the clock tolerance. */
  readonly validFromMs: number;
  /** Until when (ms, exclusive) a fresh verification would accept it: `exp` (and `maxTokenAgeSeconds`) plus the tolerance. */
  readonly validUntilMs: number;
}

/** The verifier of one issuer configuration, in the parts the verified-token cache needs. */
export interface IssuerVerifier extends JwtVerifier {
  readonly issuers: readonly string[];
  /** Where its keys come from (the cache asks whether they changed). */
  readonly keys: KeySource;
  /** Signature and claims (jose), then the principal. @throws AuthFailure */
  verifyToken(token: string, now: number): Promise<VerifiedToken>;
  /** How the token was presented against its key binding (DPoP). @throws AuthFailure */
  checkPresentation(payload: JWTPayload, token: string, presentation: TokenPresentation, now: number): Promise<void>;
}

/**
 * Builds the verifier of one issuer configuration; fails at startup on missing issuer, audience or
 * algorithms. See `createJwtVerifier` for one or several issuers.
 */
export function createIssuerVerifier(
  user: JwtOptions,
  path = 'authentication.jwt',
  monitor?: KeySetMonitor,
): IssuerVerifier {
  const o = resolveJwtOptions(user, path);
  const keys = keyLookup(o, monitor);
  const verifyOptions = {
    issuer: o.issuer,
    audience: o.audience,
    algorithms: o.algorithms,
    clockTolerance: o.clockToleranceSeconds,
    requiredClaims: o.requiredClaims,
    ...(o.typ ? { typ: o.typ } : {}),
    ...(o.maxTokenAgeSeconds !== undefined ? { maxTokenAge: o.maxTokenAgeSeconds } : {}),
  };
  const dpop = o.dpop === undefined ? undefined : createProofChecker(o.dpop, `${path}.dpop`);
  const checkPresentation: IssuerVerifier['checkPresentation'] = (payload, token, presentation, now) =>
    checkBinding(dpop, payload, token, presentation, now, o.clockToleranceSeconds);
  const verifyToken = async (token: string, now: number): Promise<VerifiedToken> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys.getKey, { ...verifyOptions, currentDate: new Date(now) }));
    } catch (e) {
      throw verificationFailure(e);
    }
    return { principal: principalOf(payload, o), payload, ...validityOf(payload, o) };
  };
  return {
    issuers: typeof o.issuer === 'string' ? [o.issuer] : o.issuer,
    dpopAlgorithms: dpop?.options.algorithms ?? [],
    keys,
    verifyToken,
    checkPresentation,
    async verify(token, now, presentation = BEARER_PRESENTATION) {
      const verified = await verifyToken(token, now);
      await checkPresentation(verified.payload, token, presentation, now);
      return verified.principal;
    },
  };
}

/**
 * The window in which jose would accept the token again, to the second: `exp` (required for caching),
 * `nbf` and `maxTokenAgeSeconds` from `iat`, each with the clock tolerance, as jose compares them (whole seconds).
 */
function validityOf(payload: JWTPayload, o: ResolvedJwtOptions): Pick<VerifiedToken, 'validFromMs' | 'validUntilMs'> {
  const tolerance = o.clockToleranceSeconds;
  // jose: expired when exp <= floor(now / 1000) - tolerance
  let untilSeconds = typeof payload.exp === 'number' ? payload.exp + tolerance : Number.NEGATIVE_INFINITY;
  if (o.maxTokenAgeSeconds !== undefined && typeof payload.iat === 'number') {
    // jose: too old when floor(now / 1000) - iat - tolerance > maxTokenAge
    untilSeconds = Math.min(untilSeconds, payload.iat + o.maxTokenAgeSeconds + tolerance + 1);
  }
  // jose: not yet valid when nbf > floor(now / 1000) + tolerance
  const fromSeconds = typeof payload.nbf === 'number' ? payload.nbf - tolerance : Number.NEGATIVE_INFINITY;
  return { validFromMs: fromSeconds * 1000, validUntilMs: untilSeconds * 1000 };
}

/** The failure of jose's verification, as the client may see it. */
function verificationFailure(e: unknown): AuthFailure {
  if (e instanceof KeySetUnavailable) {
    return new AuthFailure(
      'unavailable',
      'The token signing keys are unavailable',
      `jwks: ${codeOf(e.cause) ?? (e.cause as Error)?.name ?? 'error'}`,
    );
  }
  const code = codeOf(e);
  if (code === 'ERR_JWT_EXPIRED') return new AuthFailure('invalid_token', 'The access token expired', code);
  const claim = (e as { claim?: unknown }).claim;
  return new AuthFailure(
    'invalid_token',
    'The access token is invalid',
    `${code ?? (e as Error)?.name ?? 'error'}${typeof claim === 'string' ? ` (${claim})` : ''}`,
  );
}

/** The principal of a verified token's claims (RFC 9068), without `ip`. */
function principalOf(payload: JWTPayload, o: ResolvedJwtOptions): Principal {
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub.length === 0) {
    throw new AuthFailure('invalid_token', 'The access token is invalid', 'missing sub claim');
  }
  const scopes = o.scopeClaim
    ? stringList(claimAt(payload, o.scopeClaim), o.scopeClaim, true, true)
    : payload.scope !== undefined
      ? stringList(payload.scope, 'scope', false, true)
      : stringList(payload.scp, 'scp', true, true);
  const roles = o.rolesClaim ? stringList(claimAt(payload, o.rolesClaim), o.rolesClaim, true, true) : [];
  const clientId =
    typeof payload.client_id === 'string'
      ? payload.client_id
      : typeof payload.azp === 'string'
        ? payload.azp
        : undefined;
  const tenantValue = o.tenantClaim ? claimAt(payload, o.tenantClaim) : undefined;
  if (tenantValue !== undefined && typeof tenantValue !== 'string') {
    throw new AuthFailure(
      'invalid_token',
      'The access token is invalid',
      `malformed ${claimName(o.tenantClaim)} claim`,
    );
  }
  return createPrincipal({
    id: sub,
    kind: clientId !== undefined && clientId === sub ? 'service' : 'user',
    scopes,
    roles,
    clientId,
    tenant: tenantValue,
    authMethod: 'jwt',
    claims: payload as Record<string, unknown>,
  });
}
