/**
 * Whether a verified access token was presented as its key binding asks (RFC 9449 §7): a token bound
 * to a key (`cnf.jkt`) only with `Authorization: DPoP` and a valid proof; an unbound token with
 * `Authorization: DPoP`, or with `Bearer` when DPoP is required, is refused.
 */
import { ownProperty } from '@rampart/core';
import type { JWTPayload } from 'jose';
import { AuthFailure } from '../auth-failure.js';
import { NonceIssuer } from './nonce.js';
import { type DpopMode, type DpopOptions, resolveDpopOptions } from './options.js';
import { checkProof, type ProofChecker, type ProofRequest } from './proof.js';
import { ProofKeyCache } from './proof-keys.js';

/** How the request presented the token, and what the proof check reads of it. */
export interface TokenPresentation extends ProofRequest {
  /** `Authorization: Bearer` or `Authorization: DPoP`. */
  readonly scheme: 'bearer' | 'dpop';
}

/** A presentation as a bearer token, without request details (tools and tests). */
export const BEARER_PRESENTATION: TokenPresentation = Object.freeze({
  scheme: 'bearer',
  proof: undefined,
  method: undefined,
  url: undefined,
  host: undefined,
});

/** The proof checker of one issuer configuration's `dpop` option. */
export function createProofChecker(options: DpopMode | DpopOptions, path: string): ProofChecker {
  const resolved = resolveDpopOptions(options, path);
  const nonces = resolved.nonce ? new NonceIssuer(resolved.nonce.secret, resolved.nonce.lifetimeSeconds) : undefined;
  return {
    options: resolved,
    nonces,
    keys: new ProofKeyCache(),
    challenge: (now) => ({ nonce: nonces?.issue(now) }),
  };
}

/** The token's `cnf.jkt`, when it is bound to a key. */
function boundKey(payload: JWTPayload): string | undefined {
  const cnf = ownProperty(payload, 'cnf');
  const jkt = cnf !== null && typeof cnf === 'object' ? ownProperty(cnf, 'jkt') : undefined;
  return typeof jkt === 'string' && jkt.length > 0 ? jkt : undefined;
}

/**
 * Checks the presentation of a token whose signature and claims jose verified.
 * @throws AuthFailure when the binding or the proof is not as required.
 */
export async function checkBinding(
  checker: ProofChecker | undefined,
  payload: JWTPayload,
  token: string,
  presentation: TokenPresentation,
  now: number,
  clockToleranceSeconds: number,
): Promise<void> {
  const jkt = boundKey(payload);
  if (checker === undefined) {
    if (presentation.scheme === 'dpop') {
      throw new AuthFailure('invalid_token', 'DPoP is not accepted for this issuer', 'dpop not configured');
    }
    return;
  }
  if (presentation.scheme === 'bearer') {
    if (jkt !== undefined) {
      throw new AuthFailure(
        'invalid_token',
        'The access token is bound to a key: present it with DPoP',
        'bound token as bearer',
      );
    }
    if (checker.options.mode === 'required') {
      throw new AuthFailure(
        'invalid_token',
        'A DPoP-bound access token is required',
        'bearer token',
        checker.challenge(now),
      );
    }
    return;
  }
  if (jkt === undefined) {
    throw new AuthFailure(
      'invalid_token',
      'The access token is not bound to a key',
      'no cnf.jkt',
      checker.challenge(now),
    );
  }
  await checkProof(checker, presentation, token, jkt, now, clockToleranceSeconds);
}
