/** The one error type of credential checks, mapped to a 401/503 and a challenge by the authenticator. */

/** Why a credential was refused: `invalid_token` (401), `unavailable` (JWKS unreachable: 401 or 503). */
export class AuthFailure extends Error {
  override readonly name = 'AuthFailure';
  constructor(
    /** RFC 6750 error class, or `unavailable` for a key-set outage. */
    readonly kind: 'invalid_token' | 'invalid_request' | 'unavailable',
    /** Safe to show the client (no secrets, no token content). */
    readonly description: string,
    /** For the decision record (jose error code, claim name). */
    readonly detail: string,
  ) {
    super(description);
  }
}
