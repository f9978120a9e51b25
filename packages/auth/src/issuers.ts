/**
 * Several issuers: the token's `iss`, decoded without verification and used only to choose, selects
 * the issuer configuration whose keys, audience, algorithms and claim mapping then verify it.
 */
import { createDictionary, ownProperty, RampartConfigError } from '@rampart/core';
import { decodeJwt } from 'jose';
import { BEARER_PRESENTATION } from './dpop/binding.js';
import { AuthFailure, createIssuerVerifier, type IssuerVerifier, type JwtVerifier } from './jwt.js';
import type { KeySetMonitor } from './jwt-keys.js';
import type { JwtOptions } from './jwt-options.js';
import { DEFAULT_TOKEN_CACHE_SIZE, VerifiedTokenCache } from './token-cache.js';

/** The unverified `iss` of a compact JWS, or `undefined` when the token cannot be decoded. */
function unverifiedIssuer(token: string): unknown {
  try {
    return ownProperty(decodeJwt(token), 'iss');
  } catch {
    return undefined;
  }
}

/**
 * Builds the bearer-token verifier of one issuer configuration or of several (each issuer may appear
 * in one configuration only), with a verified-token cache of `cacheSize` tokens (0: off). Fails at
 * startup on any invalid configuration, naming it (`authentication.jwt[1].audience`).
 */
export function createJwtVerifier(
  user: JwtOptions | readonly JwtOptions[],
  monitor?: KeySetMonitor,
  path = 'authentication.jwt',
  cacheSize = DEFAULT_TOKEN_CACHE_SIZE,
): JwtVerifier {
  const list = Array.isArray(user) ? (user as readonly JwtOptions[]) : [user as JwtOptions];
  if (list.length === 0) throw new RampartConfigError(path, 'must hold at least one issuer configuration');
  const byIssuer = createDictionary<IssuerVerifier>();
  const verifiers: IssuerVerifier[] = [];
  list.forEach((options, i) => {
    const at = Array.isArray(user) ? `${path}[${i}]` : path;
    const verifier = createIssuerVerifier(options, at, monitor);
    verifiers.push(verifier);
    for (const issuer of verifier.issuers) {
      if (byIssuer[issuer] !== undefined) {
        throw new RampartConfigError(`${at}.issuer`, `"${issuer}" is already configured by another entry`);
      }
      byIssuer[issuer] = verifier;
    }
  });
  const dpopAlgorithms = [...new Set(verifiers.flatMap((v) => v.dpopAlgorithms))];
  const cache = new VerifiedTokenCache(cacheSize);
  return {
    dpopAlgorithms,
    health: () => verifiers.flatMap((v) => (v.keys.health ? [v.keys.health()] : [])),
    async verify(token, now, presentation = BEARER_PRESENTATION) {
      const cached = cache.get(token, now);
      if (cached !== undefined) {
        await cached.issuer.checkPresentation(cached.verified.payload, token, presentation, now);
        return cached.verified.principal;
      }
      const issuer = issuerOf(byIssuer, token);
      const version = issuer.keys.keySetVersion();
      const verified = await issuer.verifyToken(token, now);
      cache.set(token, verified, issuer, version);
      await issuer.checkPresentation(verified.payload, token, presentation, now);
      return verified.principal;
    },
  };
}

/** The issuer configuration the token's (unverified) `iss` selects. @throws AuthFailure */
function issuerOf(byIssuer: Record<string, IssuerVerifier>, token: string): IssuerVerifier {
  const iss = unverifiedIssuer(token);
  const verifier = typeof iss === 'string' ? byIssuer[iss] : undefined;
  if (verifier === undefined) {
    throw new AuthFailure(
      'invalid_token',
      'The access token is invalid',
      typeof iss === 'string' ? 'unknown issuer' : 'no iss claim',
    );
  }
  return verifier;
}
