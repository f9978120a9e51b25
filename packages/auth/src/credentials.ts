/**
 * The credentials a request presents: `Authorization: Bearer|ApiKey <value>` (and `DPoP <token>` when
 * DPoP is configured) and the API-key header.
 * Anything else in `Authorization` is left for a custom authenticator (or refused without one).
 */
import type { RequestInfo } from '@rampart/core';
import { AuthFailure } from './auth-failure.js';

/** Longest `Authorization` value read. */
const MAX_CREDENTIAL = 16_384;

/** What the request presents. */
export interface Credentials {
  /** The access token of `Authorization: Bearer <token>` (or `DPoP <token>`, then `dpop` is true). */
  readonly bearer: string | undefined;
  /** The token came with `Authorization: DPoP` (only read when DPoP is configured). */
  readonly dpop?: boolean;
  /** The API key, from its header or `Authorization: ApiKey <key>`. */
  readonly apiKey: string | undefined;
  /** An `Authorization` header Rampart does not read (another scheme, or malformed). */
  readonly otherAuthorization: boolean;
}

const twoCredentials = (detail: string) =>
  new AuthFailure('invalid_request', 'More than one credential was given', detail);

/**
 * Reads the credentials; refuses a request presenting two (bearer and API key, two API keys, the API-key
 * header with another `Authorization`).
 * @throws AuthFailure `invalid_request`.
 */
export function readCredentials(
  headers: RequestInfo['headers'],
  apiKeyHeader: string | undefined,
  acceptDpop = false,
): Credentials {
  const authorization = headers.get('authorization');
  const headerKey = apiKeyHeader ? headers.get(apiKeyHeader) : undefined;
  if (authorization === undefined) return { bearer: undefined, apiKey: headerKey, otherAuthorization: false };
  const m =
    authorization.length <= MAX_CREDENTIAL ? /^([A-Za-z][A-Za-z0-9_-]*) +(\S+)$/.exec(authorization.trim()) : null;
  const scheme = m?.[1]?.toLowerCase();
  if (headerKey !== undefined) {
    throw twoCredentials(scheme === 'apikey' ? 'two api keys' : 'api key and authorization header');
  }
  if (scheme === 'bearer') return { bearer: m?.[2], apiKey: undefined, otherAuthorization: false };
  if (scheme === 'dpop' && acceptDpop)
    return { bearer: m?.[2], dpop: true, apiKey: undefined, otherAuthorization: false };
  if (scheme === 'apikey') return { bearer: undefined, apiKey: m?.[2], otherAuthorization: false };
  return { bearer: undefined, apiKey: undefined, otherAuthorization: true };
}
