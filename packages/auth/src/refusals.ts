/**
 * How authentication refuses: a decision recorded in the security state, then a `rampartError` with
 * the status and the RFC 6750 challenge that says which class of failure it was, and nothing more.
 */
import { ErrorCode, rampartError, type SecurityState } from '@rampart/core';
import type { AuthFailure } from './auth-failure.js';

/** What a refusal says to the client. */
export interface ChallengeSettings {
  /** `realm` of the challenge. */
  readonly realm: string;
  /** Whether `error_description` is added. */
  readonly describeErrors: boolean;
  /** Status of a JWKS outage. */
  readonly unavailableStatus: 401 | 503;
}

/** The `WWW-Authenticate` value: `Bearer realm="…"`, with the error class and its description. */
export function challenge(settings: ChallengeSettings, error?: string, description?: string): string {
  let h = `Bearer realm="${settings.realm}"`;
  if (error) h += `, error="${error}"`;
  if (error && description && settings.describeErrors) h += `, error_description="${description}"`;
  return h;
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
  const errorClass = failure.kind === 'invalid_request' ? 'invalid_request' : 'invalid_token';
  throw rampartError(ErrorCode.UNAUTHENTICATED, failure.description, {
    status,
    headers:
      status === 503
        ? { 'Retry-After': '5' }
        : { 'WWW-Authenticate': challenge(settings, errorClass, failure.description), 'Cache-Control': 'no-store' },
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
