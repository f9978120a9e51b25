// The one bearer token every request carries and the key every server verifies it with.
// TOKEN_ALG=RS256 (default): the load generator makes an RSA key pair, signs the token with the private
// key and hands the public JWK to the servers (environment variable); every server verifies against
// that local key. TOKEN_ALG=HS256: a shared secret (a local `oct` JWK for Rampart), for when
// @rampart/auth verifies HMAC tokens from local keys (issue 14).
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** The token's issuer and audience, checked by every server. */
export const TOKEN_ISSUER = 'https://idp.bench.example/';
export const TOKEN_AUDIENCE = 'https://api.bench.example/';
/** The algorithm of the token (RS256 or HS256). */
export const TOKEN_ALG = process.env.TOKEN_ALG ?? 'RS256';
if (TOKEN_ALG !== 'RS256' && TOKEN_ALG !== 'HS256') throw new Error(`TOKEN_ALG must be RS256 or HS256`);

const HS256_SECRET = 'rampart-bench-stack-hs256-secret-0123456789abcdef';
const PUBLIC_JWK_ENV = 'BENCH_STACK_PUBLIC_JWK';

/**
 * Makes the token (an admin, `roles: ['admin']`, with the `orders:read` scope, so every rule grants and
 * every field resolves; valid for a day) and publishes its verification key to the servers this
 * process starts afterwards.
 */
export async function prepareBenchToken(): Promise<string> {
  let key: Parameters<SignJWT['sign']>[0];
  if (TOKEN_ALG === 'RS256') {
    const pair = await generateKeyPair('RS256', { extractable: true });
    process.env[PUBLIC_JWK_ENV] = JSON.stringify({ ...(await exportJWK(pair.publicKey)), alg: 'RS256', kid: 'k1' });
    key = pair.privateKey;
  } else {
    key = new TextEncoder().encode(HS256_SECRET);
  }
  return new SignJWT({ scope: 'orders:read', roles: ['admin'] })
    .setProtectedHeader({ alg: TOKEN_ALG, typ: 'JWT', ...(TOKEN_ALG === 'RS256' ? { kid: 'k1' } : {}) })
    .setSubject('admin-1')
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('1d')
    .sign(key);
}

/** The verification key as a JWK (in a server process started after {@link prepareBenchToken}). */
export function verificationJwk(): JWK {
  if (TOKEN_ALG === 'HS256') return { kty: 'oct', k: Buffer.from(HS256_SECRET).toString('base64url'), alg: 'HS256' };
  const json = process.env[PUBLIC_JWK_ENV];
  if (!json) throw new Error(`${PUBLIC_JWK_ENV} is not set: start the servers from run.ts`);
  return JSON.parse(json) as JWK;
}
