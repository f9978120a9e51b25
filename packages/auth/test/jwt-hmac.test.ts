import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authContext, createDevKeys, type DevKeys, type JwtOptions } from '@rampart/auth';
import { RampartConfigError } from '@rampart/core';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { exportSPKI, importJWK, type JWK, SignJWT } from 'jose';
import { ME, principalResolvers, principalTypeDefs } from './helpers.js';

const issuer = 'https://self.issuer.test';
const audience = 'https://api.test';
const SECRET = 'a-shared-secret-of-at-least-32-bytes!';
const secretA = new Uint8Array(48).fill(7);
const secretB = new Uint8Array(48).fill(9);
const octJwk = (bytes: Uint8Array, kid?: string): JWK => ({
  kty: 'oct',
  k: Buffer.from(bytes).toString('base64url'),
  ...(kid ? { kid } : {}),
});

let rsa: DevKeys;
const servers: TestServer<any>[] = [];

async function serve(jwt: Partial<JwtOptions>) {
  const s = await startTestServer(
    { typeDefs: principalTypeDefs, resolvers: principalResolvers },
    {
      context: authContext({
        authentication: { jwt: { issuer, audience, algorithms: ['HS256'], ...jwt } as JwtOptions },
      }) as never,
    },
  );
  servers.push(s);
  return s;
}

async function signHmac(
  secret: Uint8Array | string,
  alg = 'HS256',
  header: Record<string, unknown> = {},
  payload: Record<string, unknown> = {},
) {
  const now = Math.floor(Date.now() / 1000);
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  return new SignJWT({ iss: issuer, aud: audience, sub: 'user-1', iat: now, exp: now + 300, scope: 'read', ...payload })
    .setProtectedHeader({ alg, ...header })
    .sign(key);
}

async function signRsa(payload: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: issuer, aud: audience, sub: 'user-1', iat: now, exp: now + 300, ...payload })
    .setProtectedHeader({ alg: 'RS256', kid: rsa.kid })
    .sign(await importJWK(rsa.privateJwk, 'RS256'));
}

const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

async function assertInvalid(url: string, token: string) {
  const res = await postGraphQL(url, ME, bearer(token));
  assert.equal(res.status, 401, res.text);
  assert.equal(res.body.errors[0].extensions.code, 'UNAUTHENTICATED');
  assert.equal(
    res.headers.get('www-authenticate'),
    'Bearer realm="graphql", error="invalid_token", error_description="The access token is invalid"',
  );
}

before(async () => {
  rsa = await createDevKeys({ alg: 'RS256' });
});
after(async () => {
  for (const s of servers) await s.stop();
});

describe('HMAC with jwt.secret', () => {
  it('accepts a token signed with the secret (string) and builds the principal', async () => {
    const s = await serve({ secret: SECRET });
    const res = await postGraphQL(s.graphqlUrl, ME, bearer(await signHmac(SECRET)));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.me.id, 'user-1');
    assert.equal(res.body.data.me.authMethod, 'jwt');
    assert.deepEqual(res.body.data.me.scopes, ['read']);
  });

  it('accepts bytes and HS384/HS512; a kid in the token does not matter with a single secret', async () => {
    const s = await serve({ secret: secretA, algorithms: ['HS384', 'HS512'] });
    for (const alg of ['HS384', 'HS512']) {
      const res = await postGraphQL(s.graphqlUrl, ME, bearer(await signHmac(secretA, alg, { kid: 'k1' })));
      assert.equal(res.status, 200, res.text);
    }
  });

  it('refuses a wrong secret, an algorithm not configured, an RS256 token, and alg none', async () => {
    const s = await serve({ secret: SECRET });
    await assertInvalid(s.graphqlUrl, await signHmac(`${SECRET}x`));
    await assertInvalid(s.graphqlUrl, await signHmac(SECRET, 'HS512'));
    await assertInvalid(s.graphqlUrl, await signRsa());
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: issuer, aud: audience, sub: 'x', exp: Math.floor(Date.now() / 1000) + 60 }),
    ).toString('base64url')}.`;
    await assertInvalid(s.graphqlUrl, unsigned);
  });
});

describe('HMAC with { kty: "oct" } keys', () => {
  it('selects the key by kid; a kid naming another key or no kid among several keys is refused', async () => {
    const s = await serve({ keys: [octJwk(secretA, 'a'), octJwk(secretB, 'b')] });
    assert.equal(
      (await postGraphQL(s.graphqlUrl, ME, bearer(await signHmac(secretB, 'HS256', { kid: 'b' })))).status,
      200,
    );
    assert.equal(
      (await postGraphQL(s.graphqlUrl, ME, bearer(await signHmac(secretA, 'HS256', { kid: 'a' })))).status,
      200,
    );
    await assertInvalid(s.graphqlUrl, await signHmac(secretB, 'HS256', { kid: 'a' }));
    await assertInvalid(s.graphqlUrl, await signHmac(secretB, 'HS256', { kid: 'c' }));
    await assertInvalid(s.graphqlUrl, await signHmac(secretB));
  });

  it('one oct key without kid verifies tokens without kid; a key pinned to HS512 refuses HS256', async () => {
    const s = await serve({ keys: [{ ...octJwk(secretA), alg: 'HS512' }], algorithms: ['HS256', 'HS512'] });
    assert.equal((await postGraphQL(s.graphqlUrl, ME, bearer(await signHmac(secretA, 'HS512')))).status, 200);
    await assertInvalid(s.graphqlUrl, await signHmac(secretA, 'HS256'));
  });

  it('public and secret keys together: each algorithm family uses only its own keys', async () => {
    const s = await serve({ keys: [rsa.publicJwk, octJwk(secretA, 'hmac')], algorithms: ['RS256', 'HS256'] });
    assert.equal((await postGraphQL(s.graphqlUrl, ME, bearer(await signRsa()))).status, 200);
    assert.equal(
      (await postGraphQL(s.graphqlUrl, ME, bearer(await signHmac(secretA, 'HS256', { kid: 'hmac' })))).status,
      200,
    );
    // key confusion: HS256 signed with the RSA public key, naming the RSA key's kid
    const pem = await exportSPKI((await importJWK(rsa.publicJwk, 'RS256')) as Parameters<typeof exportSPKI>[0]);
    await assertInvalid(s.graphqlUrl, await signHmac(pem, 'HS256', { kid: rsa.kid }));
    await assertInvalid(s.graphqlUrl, await signHmac(JSON.stringify(rsa.publicJwk), 'HS256', { kid: rsa.kid }));
  });
});

describe('HMAC configuration errors at startup', () => {
  const fails = (jwt: Record<string, unknown>, option: string, message: RegExp) =>
    assert.throws(
      () => authContext({ authentication: { jwt: { issuer, audience, ...jwt } as unknown as JwtOptions } }),
      (e: unknown) => e instanceof RampartConfigError && e.option === option && message.test(e.message),
    );

  it('names the option and the reason', () => {
    fails({ algorithms: ['HS256'], secret: 'x'.repeat(31) }, 'authentication.jwt.secret', /at least 32 bytes/);
    fails({ algorithms: ['HS256'], secret: new Uint8Array(16) }, 'authentication.jwt.secret', /at least 32 bytes/);
    fails({ algorithms: ['HS256'], secret: 42 }, 'authentication.jwt.secret', /string or bytes/);
    fails({ algorithms: ['HS256', 'RS256'], secret: SECRET }, 'authentication.jwt.algorithms', /only for HMAC/);
    fails(
      { algorithms: ['HS256'], secret: SECRET, jwksUri: 'https://x.test/jwks' },
      'authentication.jwt',
      /exactly one of jwksUri, keys and secret/,
    );
    fails({ algorithms: ['HS256'], jwksUri: 'https://x.test/jwks' }, 'authentication.jwt.algorithms', /key confusion/);
    fails({ algorithms: ['HS256'], keys: [octJwk(new Uint8Array(31))] }, 'authentication.jwt.keys[0].k', /32 bytes/);
    fails({ algorithms: ['RS256'], keys: [octJwk(secretA)] }, 'authentication.jwt.keys', /need an HMAC algorithm/);
    fails({ algorithms: ['HS256'], keys: [rsa.publicJwk] }, 'authentication.jwt.keys', /at least one/);
  });
});
