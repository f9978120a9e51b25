/** The one error type of credential checks, mapped to a 401/503 and a challenge by the authenticator. */

/** The DPoP part of a refusal: the error belongs to the `DPoP` challenge, with a fresh nonce when nonces are on. */
export interface DpopChallenge {
  /** A nonce for the client's next proof (sent as `DPoP-Nonce`). */
  readonly nonce?: string | undefined;
}

/** Why a credential was refused. */
export type AuthFailureKind =
  /** RFC 6750: the token (or API key) is invalid, expired, or presented the wrong way (401). */
  | 'invalid_token'
  /** RFC 6750: the request is malformed (two credentials, an unreadable Authorization header) (401). */
  | 'invalid_request'
  /** RFC 9449: the DPoP proof is missing or fails a check (401). */
  | 'invalid_dpop_proof'
  /** RFC 9449 §8: the proof must carry a server-issued nonce (401 with `DPoP-Nonce`). */
  | 'use_dpop_nonce'
  /** The signing keys (JWKS) or the DPoP replay store cannot be reached (401 or 503). */
  | 'unavailable';

/** A refused credential. */
export class AuthFailure extends Error {
  override readonly name = 'AuthFailure';
  constructor(
    readonly kind: AuthFailureKind,
    /** Safe to show the client (no secrets, no token content). */
    readonly description: string,
    /** For the decision record (jose error code, claim name). */
    readonly detail: string,
    /** Set when the refusal is the DPoP challenge's (the token was presented with `Authorization: DPoP`). */
    readonly dpop?: DpopChallenge,
  ) {
    super(description);
  }
}
