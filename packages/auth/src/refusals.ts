/**
 * How authentication refuses: a decision recorded in the security state, then a `rampartError` with
 * the status and the RFC 6750 challenge that says which class of failure it was, and nothing more.
 */
import { authChallenge, bearerChallenge, ErrorCode, rampartError, type SecurityState } from '@rampart/core';
import type { AuthFailure } from './auth-failure.js';

/** What a refusal says to the client. */
export interface ChallengeSettings {
  /** `realm` of the challenge. */
  readonly realm: string;
  /** Whether `error_description` is added. */
  readonly describeErrors: boolean;
  /** Status of a JWKS outage. */
  readonly unavailableStatus: 401 | 503;
  /** The DPoP proof algorithms accepted (empty: DPoP is off and no `DPoP` challenge is offered). */
  readonly dpopAlgorithms: readonly string[];
}

/**
 * The `WWW-Authenticate` value: `Bearer realm="…"` (core's `bearerChallenge`), then, when DPoP is
 * on, `DPoP algs="…"` (RFC 9449 §7.1); the error class and its description go with the challenge
 * of the scheme that failed.
 */
export function challenge(settings: ChallengeSettings, error?: string, description?: string, dpop = false): string {
  const shown = error && settings.describeErrors ? description : undefined;
  const bearer = bearerChallenge(settings.realm, dpop ? {} : { error, description: shown });
  if (settings.dpopAlgorithms.length === 0) return bearer;
  const offer = authChallenge('DPoP', {
    algs: settings.dpopAlgorithms.join(' '),
    ...(dpop ? { error, error_description: error ? shown : undefined } : {}),
  });
  return `${bearer}, ${offer}`;
}

/** The error class a failure shows in its challenge. */
function errorClassOf(failure: AuthFailure): string {
  return failure.kind === 'unavailable' ? 'invalid_token' : failure.kind;
}

/** Records and throws the 401 (or 503 for a JWKS outage) of `failure`. */
export function refuse(settings: ChallengeSettings, state: SecurityState, failure: AuthFailure, method: string): never {
  const unavailable = failure.kind === 'unavailable';
  const status = unavailable ? settings.unavailableStatus : 401;
  state.record({
    source: 'auth',
    outcome: unavailable ? 'error' : 'denied',
    code: ErrorCode.UNAUTHENTICATED,
    reason: failure.description,
    details: { method, detail: failure.detail, status },
  });
  const dpop = failure.dpop !== undefined || failure.kind === 'invalid_dpop_proof' || failure.kind === 'use_dpop_nonce';
  const nonce = failure.dpop?.nonce;
  throw rampartError(ErrorCode.UNAUTHENTICATED, failure.description, {
    status,
    headers:
      status === 503
        ? { 'Retry-After': '5' }
        : {
            'WWW-Authenticate': challenge(settings, errorClassOf(failure), failure.description, dpop),
            'Cache-Control': 'no-store',
            ...(nonce !== undefined ? { 'DPoP-Nonce': nonce } : {}),
          },
  });
}

/** Records and throws the 401 of a request without credentials when they are required. */
export function refuseAnonymous(settings: ChallengeSettings, state: SecurityState): never {
  state.record({ source: 'auth', outcome: 'denied', code: ErrorCode.UNAUTHENTICATED, reason: 'credentials required' });
  throw rampartError(ErrorCode.UNAUTHENTICATED, 'Authentication required', {
    headers: { 'WWW-Authenticate': challenge(settings), 'Cache-Control': 'no-store' },
  });
}

/** Records and throws the 403 of an address the IP rules (global or an API key's) do not allow. */
export function forbidAddress(state: SecurityState, address: string | undefined, reason: string, rule: string): never {
  state.record({
    source: 'ip-filter',
    outcome: 'denied',
    code: ErrorCode.FORBIDDEN,
    rule,
    reason,
    details: { ip: address },
  });
  throw rampartError(ErrorCode.FORBIDDEN, 'Access from this address is not allowed');
}
