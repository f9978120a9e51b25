/**
 * The client side of DPoP, for tests, scripts and examples: a proof for one request. In production,
 * clients use their OAuth library's DPoP support.
 */
import { randomUUID } from 'node:crypto';
import { importJWK, type JWK, SignJWT } from 'jose';
import { accessTokenHash } from './proof.js';

/** What {@link createDpopProof} signs. */
export interface DpopProofOptions {
  /** The HTTP method of the request (`htm`). */
  method: string;
  /** The request URL (`htu`; its query and fragment are dropped). */
  url: string;
  /** The access token the proof goes with (`ath`). @default undefined (no `ath`: a proof for a token request) */
  accessToken?: string | undefined;
  /** The server's nonce (`DPoP-Nonce`). @default undefined */
  nonce?: string | undefined;
  /** `iat`, seconds since the epoch. @default now */
  issuedAt?: number;
  /** `jti`. @default a random UUID */
  jti?: string;
}

/**
 * Signs a DPoP proof (RFC 9449 §4.2) with the client's key pair: `keys.privateJwk` signs,
 * `keys.publicJwk` goes in the header.
 */
export async function createDpopProof(
  keys: { readonly alg: string; readonly privateJwk: JWK; readonly publicJwk: JWK },
  o: DpopProofOptions,
): Promise<string> {
  const key = await importJWK(keys.privateJwk, keys.alg);
  const url = new URL(o.url);
  const { kty, crv, x, y, n, e } = keys.publicJwk;
  const jwk = Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined));
  return new SignJWT({
    jti: o.jti ?? randomUUID(),
    htm: o.method,
    htu: `${url.origin}${url.pathname}`,
    iat: o.issuedAt ?? Math.floor(Date.now() / 1000),
    ...(o.accessToken !== undefined ? { ath: accessTokenHash(o.accessToken) } : {}),
    ...(o.nonce !== undefined ? { nonce: o.nonce } : {}),
  })
    .setProtectedHeader({ alg: keys.alg, typ: 'dpop+jwt', jwk })
    .sign(key);
}
