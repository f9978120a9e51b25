import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authContext, createDevKeys, type DevKeys, type JwtOptions } from '@rampart/auth';
import { RampartConfigError } from '@rampart/core';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { importJWK, SignJWT } from 'jose';
import { type JwksServer, ME, principalResolvers, principalTypeDefs, startJwksServer } from './helpers.js';

const idp = { issuer: 'https://idp.example.com/', audience: 'https://api.example.com' };
const self = { issuer: 'https://self.example.com', audience: 'internal-api' };
const SECRET = new Uint8Array(32).fill(42);

let rsa: DevKeys;
let jwks: JwksServer;
let server: TestServer<any>;

function configs(): JwtOptions[] {
  return [
    { ...idp, algorithms: ['RS256'], jwksUri: jwks.url, rolesClaim: 'roles' },
    { ...self, algorithms: ['HS256'], secret: SECRET, rolesClaim: 'groups', scopeClaim: 'perms' },
  ];
}

async function signRsa(payload: Record<string, unknown>) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'alice', iat: now, exp: now + 300, ...payload })
    .setProtectedHeader({ alg: 'RS256', kid: rsa.kid })
    .sign(await importJWK(rsa.privateJwk, 'RS256'));
}
async function signHmac(payload: Record<string, unknown>) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'batch-job', iat: now, exp: now + 300, ...payload })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(SECRET);
}
const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

async function assertInvalid(token: string) {
  const res = await postGraphQL(server.graphqlUrl, ME, bearer(token));
  assert.equal(res.status, 401, res.text);
  assert.equal(res.body.errors[0].extensions.code, 'UNAUTHENTICATED');
  assert.equal(
    res.headers.get('www-authenticate'),
    'Bearer realm="graphql", error="invalid_token", error_description="The access token is invalid"',
  );
}

before(async () => {
  rsa = await createDevKeys({ alg: 'RS256' });
  jwks = await startJwksServer([rsa.publicJwk]);
  server = await startTestServer(
    { typeDefs: principalTypeDefs, resolvers: principalResolvers },
    { context: authContext({ authentication: { jwt: configs() } }) as never },
  );
});
after(async () => {
  try {
    await server?.stop();
  } finally {
    await jwks?.close();
  }
});

describe('several issuers, selected by iss', () => {
  it('verifies each issuer with its own keys and claim mapping', async () => {
    const a = await postGraphQL(
      server.graphqlUrl,
      ME,
      bearer(await signRsa({ ...idpClaims(), roles: ['admin'], scope: 'orders:read' })),
    );
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.body.data.me.roles, ['admin']);
    assert.deepEqual(a.body.data.me.scopes, ['orders:read']);
    const b = await postGraphQL(
      server.graphqlUrl,
      ME,
      bearer(await signHmac({ iss: self.issuer, aud: self.audience, groups: ['ops'], perms: ['jobs:run'] })),
    );
    assert.equal(b.status, 200, b.text);
    assert.equal(b.body.data.me.id, 'batch-job');
    assert.deepEqual(b.body.data.me.roles, ['ops']);
    assert.deepEqual(b.body.data.me.scopes, ['jobs:run']);
  });

  it('refuses an unknown or missing iss before any key is fetched', async () => {
    const hits = jwks.hits();
    await assertInvalid(await signRsa({ iss: 'https://evil.example.com', aud: idp.audience }));
    await assertInvalid(await signRsa({ iss: 'https://idp.example.com', aud: idp.audience })); // no trailing slash
    await assertInvalid(await signRsa({ aud: idp.audience }));
    await assertInvalid(await signRsa({ iss: ['https://idp.example.com/'], aud: idp.audience }));
    await assertInvalid(await signRsa({ iss: '__proto__', aud: idp.audience }));
    assert.equal(jwks.hits(), hits, 'no JWKS fetch for a token no configuration accepts');
  });

  it("one issuer's token cannot pass with another issuer's keys, algorithms or audience", async () => {
    // iss of the HMAC issuer, signed with the RSA key: that issuer accepts HS256 only
    await assertInvalid(await signRsa({ iss: self.issuer, aud: self.audience }));
    // iss of the JWKS issuer, signed with the shared secret: that issuer accepts RS256 only
    await assertInvalid(await signHmac({ iss: idp.issuer, aud: idp.audience }));
    // right issuer and key, audience of the other issuer
    await assertInvalid(await signHmac({ iss: self.issuer, aud: idp.audience }));
  });
});

function idpClaims() {
  return { iss: idp.issuer, aud: idp.audience };
}

describe('several issuers: configuration errors', () => {
  const fails = (jwt: unknown, option: string, message: RegExp) =>
    assert.throws(
      () => authContext({ authentication: { jwt: jwt as JwtOptions[] } }),
      (e: unknown) => e instanceof RampartConfigError && e.option === option && message.test(e.message),
    );
  it('names the entry', () => {
    const [a, b] = configs() as [JwtOptions, JwtOptions];
    fails([a, { ...b, issuer: idp.issuer }], 'authentication.jwt[1].issuer', /already configured/);
    fails([a, { ...b, audience: undefined }], 'authentication.jwt[1].audience', /mandatory/);
    fails(
      [a, { ...b, algorithms: ['HS256'], jwksUri: jwks.url, secret: undefined }],
      'authentication.jwt[1].algorithms',
      /key confusion/,
    );
    fails([], 'authentication.jwt', /at least one/);
  });
});
