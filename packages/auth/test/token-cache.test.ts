/**
 * The verified-token cache (issue 16): a token seen again is not verified again while a fresh
 * verification would give the same answer — to the second, with an injected clock — and is verified
 * again when its issuer's key set loses a key. A cache hit returns the very principal of the first
 * verification; a verification returns a new one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuthFailure, createDevKeys, createJwtVerifier, type DevKeys, type JwtOptions } from '@rampart/auth';
import { RampartConfigError } from '@rampart/core';
import { importJWK, SignJWT } from 'jose';
import { resolveAuthenticationOptions } from '../src/options.js';
import { VerifiedTokenCache } from '../src/token-cache.js';
import { type JwksServer, startJwksServer } from './helpers.js';

const issuer = 'https://issuer.cache.test';
const audience = 'https://api.cache.test';
/** A whole second (ms) on the test's clock. */
const T0 = Date.UTC(2026, 11, 5, 8, 0, 0);

let keyA: DevKeys;
let keyB: DevKeys;

async function sign(keys: DevKeys, claims: Record<string, unknown>): Promise<string> {
  const key = await importJWK(keys.privateJwk, keys.alg);
  return new SignJWT({ sub: 'user-1', ...claims })
    .setProtectedHeader({ alg: keys.alg, kid: keys.kid })
    .setIssuer(issuer)
    .setAudience(audience)
    .sign(key);
}

function localVerifier(extra: Partial<JwtOptions> = {}, cacheSize?: number) {
  const options = {
    issuer,
    audience,
    algorithms: ['ES256'],
    keys: [keyA.publicJwk],
    clockToleranceSeconds: 0,
    ...extra,
  };
  return createJwtVerifier(options, undefined, 'authentication.jwt', cacheSize);
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AuthFailure, String(e));
    return e.detail;
  }
  assert.fail('the token was accepted');
}

before(async () => {
  keyA = await createDevKeys({ alg: 'ES256', kid: 'key-a' });
  keyB = await createDevKeys({ alg: 'ES256', kid: 'key-b' });
});

describe('verified-token cache: time', () => {
  it('serves a token until its exp, to the second, then refuses it as jose does', async () => {
    const verifier = localVerifier();
    const token = await sign(keyA, { exp: T0 / 1000 + 60 });
    const first = await verifier.verify(token, T0);
    assert.equal(await verifier.verify(token, T0 + 59_999), first, 'a hit returns the first principal');
    assert.equal(await refusal(verifier.verify(token, T0 + 60_000)), 'ERR_JWT_EXPIRED');
  });

  it('with a clock tolerance, until exp plus the tolerance', async () => {
    const verifier = localVerifier({ clockToleranceSeconds: 5 });
    const token = await sign(keyA, { exp: T0 / 1000 + 60 });
    const first = await verifier.verify(token, T0);
    assert.equal(await verifier.verify(token, T0 + 64_999), first);
    assert.equal(await refusal(verifier.verify(token, T0 + 65_000)), 'ERR_JWT_EXPIRED');
  });

  it('maxTokenAgeSeconds ends the cached verification as it ends a fresh one', async () => {
    const verifier = localVerifier({ maxTokenAgeSeconds: 30 });
    const token = await sign(keyA, { iat: T0 / 1000, exp: T0 / 1000 + 3600 });
    const first = await verifier.verify(token, T0);
    assert.equal(await verifier.verify(token, T0 + 30_999), first);
    assert.equal(await refusal(verifier.verify(token, T0 + 31_000)), 'ERR_JWT_EXPIRED');
  });

  it('never before nbf: a clock set back is answered by jose, not the cache', async () => {
    const verifier = localVerifier();
    const token = await sign(keyA, { nbf: T0 / 1000, exp: T0 / 1000 + 60 });
    const first = await verifier.verify(token, T0);
    assert.equal(await verifier.verify(token, T0 + 1000), first);
    assert.equal(await refusal(verifier.verify(token, T0 - 1)), 'ERR_JWT_CLAIM_VALIDATION_FAILED (nbf)');
    // after nbf again, still served from the cache
    assert.equal(await verifier.verify(token, T0 + 2000), first);
  });

  it('a token without exp is verified every time (never cached)', async () => {
    const verifier = localVerifier({ requiredClaims: ['sub'] });
    const token = await sign(keyA, {});
    const first = await verifier.verify(token, T0);
    assert.notEqual(await verifier.verify(token, T0), first);
  });
});

describe('verified-token cache: tokens and failures', () => {
  it('a token with one byte changed is verified again and refused', async () => {
    const verifier = localVerifier();
    const token = await sign(keyA, { exp: T0 / 1000 + 60 });
    await verifier.verify(token, T0);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    assert.equal(
      await refusal(verifier.verify(`${header}.${payload}.${flipped}`, T0)),
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    );
  });

  it('a failed verification is not kept: the same token is checked (and refused) each time', async () => {
    const verifier = localVerifier();
    const token = await new SignJWT({ sub: 'user-1', exp: T0 / 1000 + 60 })
      .setProtectedHeader({ alg: keyA.alg, kid: keyA.kid })
      .setIssuer(issuer)
      .setAudience('https://another.api')
      .sign(await importJWK(keyA.privateJwk, keyA.alg));
    for (let i = 0; i < 2; i++) {
      assert.equal(await refusal(verifier.verify(token, T0)), 'ERR_JWT_CLAIM_VALIDATION_FAILED (aud)');
    }
  });

  it('size 0 turns it off: every request verifies', async () => {
    const verifier = localVerifier({}, 0);
    const token = await sign(keyA, { exp: T0 / 1000 + 60 });
    assert.notEqual(await verifier.verify(token, T0), await verifier.verify(token, T0));
  });

  it('holds at most its size, the oldest dropped first', async () => {
    const verifier = localVerifier({}, 2);
    const tokens = await Promise.all([1, 2, 3].map((i) => sign(keyA, { sub: `user-${i}`, exp: T0 / 1000 + 60 })));
    const principals = [];
    for (const t of tokens) principals.push(await verifier.verify(t, T0));
    assert.equal(await verifier.verify(tokens[2]!, T0), principals[2]);
    assert.equal(await verifier.verify(tokens[1]!, T0), principals[1]);
    assert.notEqual(await verifier.verify(tokens[0]!, T0), principals[0], 'the first token was dropped');
    assert.equal(new VerifiedTokenCache(0).size, 0);
  });

  it('the size is checked at startup', () => {
    assert.throws(
      () =>
        createJwtVerifier(
          { issuer, audience, algorithms: ['ES256'], keys: [keyA.publicJwk] },
          undefined,
          'authentication.jwt',
          -1,
        ),
      RangeError,
    );
  });
});

describe('verified-token cache: key rotation', () => {
  let jwks: JwksServer;
  before(async () => {
    jwks = await startJwksServer([keyA.publicJwk]);
  });
  after(() => jwks.close());

  function remoteVerifier() {
    return createJwtVerifier({ issuer, audience, algorithms: ['ES256'], jwksUri: jwks.url, jwksCooldownMs: 0 });
  }

  it('a key added to the set keeps cached tokens; a key removed evicts the tokens verified before', async () => {
    jwks.keys = [keyA.publicJwk];
    const verifier = remoteVerifier();
    const now = Date.now();
    const tokenA = await sign(keyA, { exp: Math.floor(now / 1000) + 300 });
    const tokenB = await sign(keyB, { exp: Math.floor(now / 1000) + 300 });
    const first = await verifier.verify(tokenA, now);
    // B is added: verifying a B token refetches the set (unknown kid), A's verification stands
    jwks.keys = [keyA.publicJwk, keyB.publicJwk];
    await verifier.verify(tokenB, now);
    assert.equal(await verifier.verify(tokenA, now), first);
    // A is removed: the next refetch (another unknown kid) drops A's cached tokens
    jwks.keys = [keyB.publicJwk];
    const keyC = await createDevKeys({ alg: 'ES256', kid: 'key-c' });
    await refusal(verifier.verify(await sign(keyC, { exp: Math.floor(now / 1000) + 300 }), now));
    assert.equal(await refusal(verifier.verify(tokenA, now)), 'ERR_JWKS_NO_MATCHING_KEY');
  });

  it('the authentication option: verifiedTokenCacheSize is checked', async () => {
    assert.throws(
      () => resolveAuthenticationOptions({ verifiedTokenCacheSize: -5 }),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'authentication.verifiedTokenCacheSize',
    );
  });
});
