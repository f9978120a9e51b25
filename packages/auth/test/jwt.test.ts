import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authContext, createDevKeys, type DevKeys, type JwtOptions, mintToken } from '@rampart/auth';
import { RampartConfigError } from '@rampart/core';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { exportSPKI, importJWK, SignJWT } from 'jose';
import { resolveJwtOptions } from '../src/jwt-options.js';
import { b64url, type JwksServer, ME, principalResolvers, principalTypeDefs, startJwksServer } from './helpers.js';

const issuer = 'https://issuer.test';
const audience = 'https://api.test';

let keyA: DevKeys;
let keyB: DevKeys;
let attacker: DevKeys;
let jwks: JwksServer;
let attackerJwks: JwksServer;
const servers: TestServer<any>[] = [];

async function serve(jwt: Partial<JwtOptions> = {}, extra: Record<string, unknown> = {}) {
  const s = await startTestServer(
    { typeDefs: principalTypeDefs, resolvers: principalResolvers },
    {
      context: authContext({
        authentication: {
          jwt: { issuer, audience, algorithms: ['RS256', 'ES256'], jwksUri: jwks.url, typ: 'at+jwt', ...jwt },
          ...extra,
        },
      }) as never,
    },
  );
  servers.push(s);
  return s;
}

async function sign(keys: DevKeys, payload: Record<string, unknown>, header: Record<string, unknown> = {}, opts = {}) {
  const now = Math.floor(Date.now() / 1000);
  const key = await importJWK(keys.privateJwk, keys.alg);
  return new SignJWT({ iss: issuer, aud: audience, sub: 'user-1', iat: now, exp: now + 300, scope: 'read', ...payload })
    .setProtectedHeader({ alg: keys.alg, kid: keys.kid, typ: 'at+jwt', ...header })
    .sign(key, opts);
}

const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

function assertInvalidToken(
  res: { status: number; headers: Headers; body: any },
  description = 'The access token is invalid',
) {
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.equal(res.body.errors[0].extensions.code, 'UNAUTHENTICATED');
  assert.equal(
    res.headers.get('www-authenticate'),
    `Bearer realm="graphql", error="invalid_token", error_description="${description}"`,
  );
  assert.equal(res.body.data, undefined);
}

before(async () => {
  keyA = await createDevKeys({ alg: 'RS256' });
  keyB = await createDevKeys({ alg: 'ES256' });
  attacker = await createDevKeys({ alg: 'RS256' });
  jwks = await startJwksServer([keyA.publicJwk, keyB.publicJwk]);
  attackerJwks = await startJwksServer([attacker.publicJwk]);
});
after(async () => {
  for (const s of servers) await s.stop();
  await jwks.close();
  await attackerJwks.close();
});

describe('JWT configuration', () => {
  it('fails at startup without issuer, audience or algorithms', () => {
    for (const missing of ['issuer', 'audience', 'algorithms'] as const) {
      const jwt: Record<string, unknown> = { issuer, audience, algorithms: ['RS256'], jwksUri: 'https://x.test/jwks' };
      delete jwt[missing];
      assert.throws(
        () => authContext({ authentication: { jwt: jwt as unknown as JwtOptions } }),
        (e: unknown) => e instanceof RampartConfigError && e.option === `authentication.jwt.${missing}`,
      );
    }
  });
  it('refuses "none", HMAC with a JWKS, both or neither key source, unknown options', () => {
    const base = { issuer, audience, jwksUri: 'https://x.test/jwks' };
    assert.throws(
      () => authContext({ authentication: { jwt: { ...base, algorithms: ['RS256', 'None'] } } }),
      /never accepted/,
    );
    assert.throws(() => authContext({ authentication: { jwt: { ...base, algorithms: ['HS256'] } } }), /key confusion/);
    assert.throws(
      () => authContext({ authentication: { jwt: { ...base, algorithms: ['RS256'], keys: [keyA.publicJwk] } } }),
      /exactly one of jwksUri, keys and secret/,
    );
    assert.throws(
      () =>
        authContext({
          authentication: { jwt: { ...base, algorithms: ['RS256'], jwksUri: 'http://idp.example/jwks' } },
        }),
      (e: unknown) =>
        e instanceof RampartConfigError && e.option === 'authentication.jwt.jwksUri' && /https/.test(e.message),
    );
    assert.throws(
      () => authContext({ authentication: { jwt: { ...base, algorithms: ['RS256'], audiance: 'x' } as never } }),
      /did you mean "audience"/,
    );
  });

  it('maps the deprecated duration names to the unit-suffixed ones; both names disagreeing is a startup error', () => {
    const base = { issuer, audience, algorithms: ['RS256'], jwksUri: 'https://x.test/jwks' };
    const old = { jwksTimeout: 900, jwksCooldown: 0, jwksCacheMaxAge: 1000, clockTolerance: 7, maxTokenAge: 60 };
    const resolved = resolveJwtOptions({ ...base, ...old });
    assert.deepEqual(
      [
        resolved.jwksTimeoutMs,
        resolved.jwksCooldownMs,
        resolved.jwksCacheMaxAgeMs,
        resolved.clockToleranceSeconds,
        resolved.maxTokenAgeSeconds,
      ],
      [900, 0, 1000, 7, 60],
    );
    for (const name of Object.keys(old)) assert.equal(Object.hasOwn(resolved, name), false, name);
    assert.equal(resolveJwtOptions({ ...base, clockTolerance: 3, clockToleranceSeconds: 3 }).clockToleranceSeconds, 3);
    assert.throws(
      () => resolveJwtOptions({ ...base, clockTolerance: 3, clockToleranceSeconds: 4 }),
      (e: unknown) =>
        e instanceof RampartConfigError &&
        e.option === 'authentication.jwt.clockTolerance' &&
        /use clockToleranceSeconds only/.test(e.message),
    );
    assert.throws(
      () => resolveJwtOptions({ ...base, jwksTimeout: 0 }),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'authentication.jwt.jwksTimeoutMs',
    );
  });
});

describe('JWT over a JWKS served on loopback', () => {
  let server: TestServer<any>;
  before(async () => {
    server = await serve({ maxTokenAgeSeconds: 3600, rolesClaim: 'realm_access.roles' });
  });

  it('accepts a valid token and builds the principal (scope string, roles from a claim path)', async () => {
    const token = await sign(keyA, {
      scope: 'orders:read orders:write',
      client_id: 'web',
      realm_access: { roles: ['admin'] },
    });
    const res = await postGraphQL(server.graphqlUrl, ME, bearer(token));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data.me, {
      id: 'user-1',
      kind: 'user',
      scopes: ['orders:read', 'orders:write'],
      roles: ['admin'],
      clientId: 'web',
      ip: '127.0.0.1',
      authMethod: 'jwt',
    });
  });

  it('accepts scp as an array and as a string; a second key type (ES256) from the same JWKS', async () => {
    const t1 = await sign(keyA, { scope: undefined, scp: ['a', 'b'] });
    const t2 = await sign(keyB, { scope: undefined, scp: 'c d', sub: 'svc', client_id: 'svc' });
    const r1 = await postGraphQL(server.graphqlUrl, ME, bearer(t1));
    const r2 = await postGraphQL(server.graphqlUrl, ME, bearer(t2));
    assert.equal(r1.status, 200, r1.text);
    assert.equal(r2.status, 200, r2.text);
    assert.deepEqual(r1.body.data.me.scopes, ['a', 'b']);
    assert.deepEqual(r2.body.data.me.scopes, ['c', 'd']);
    assert.equal(r2.body.data.me.kind, 'service');
  });

  it('no credentials → anonymous principal (rules decide)', async () => {
    const res = await postGraphQL(server.graphqlUrl, ME);
    assert.equal(res.status, 200);
    assert.equal(res.body.data.me.kind, 'anonymous');
    assert.equal(res.body.data.me.authMethod, 'none');
  });

  it('rejects alg "none" in any capitalisation', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const token = `${b64url({ alg, typ: 'at+jwt' })}.${b64url({ iss: issuer, aud: audience, sub: 'x', exp: now + 60, iat: now })}.`;
      assertInvalidToken(await postGraphQL(server.graphqlUrl, ME, bearer(token)));
    }
  });

  it('rejects HS256 signed with the RSA public key (key confusion)', async () => {
    const pem = await exportSPKI((await importJWK(keyA.publicJwk, 'RS256')) as Parameters<typeof exportSPKI>[0]);
    const now = Math.floor(Date.now() / 1000);
    for (const secret of [pem, JSON.stringify(keyA.publicJwk), keyA.publicJwk.n as string]) {
      const token = await new SignJWT({ iss: issuer, aud: audience, sub: 'admin', exp: now + 60, iat: now })
        .setProtectedHeader({ alg: 'HS256', kid: keyA.kid, typ: 'at+jwt' })
        .sign(new TextEncoder().encode(secret));
      assertInvalidToken(await postGraphQL(server.graphqlUrl, ME, bearer(token)));
    }
  });

  it('rejects injected kids and ignores jku/jwk headers pointing at an attacker key', async () => {
    const before = attackerJwks.hits();
    for (const kid of ['../../../../dev/null', "' OR 1=1 --", keyA.kid, 'x'.repeat(2000)]) {
      const token = await sign(attacker, {}, { kid, jku: attackerJwks.url, jwk: attacker.publicJwk });
      assertInvalidToken(await postGraphQL(server.graphqlUrl, ME, bearer(token)));
    }
    assert.equal(attackerJwks.hits(), before, 'the attacker JWKS must never be fetched');
  });

  it('rejects an unknown crit header', async () => {
    const token = await sign(keyA, {}, { crit: ['urn:x-evil'], 'urn:x-evil': true }, { crit: { 'urn:x-evil': true } });
    assertInvalidToken(await postGraphQL(server.graphqlUrl, ME, bearer(token)));
  });

  it('rejects expired, not-yet-valid, wrong issuer, wrong audience, wrong typ, too old, unknown key', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const t of [await sign(keyA, { exp: now - 60 }), await sign(keyA, { iat: now - 7200, exp: now + 60 })]) {
      // expired, and older than maxTokenAgeSeconds (jose reports both as expiry)
      assertInvalidToken(await postGraphQL(server.graphqlUrl, ME, bearer(t)), 'The access token expired');
    }
    const cases = [
      await sign(keyA, { nbf: now + 600 }),
      await sign(keyA, { iss: 'https://evil.test' }),
      await sign(keyA, { aud: 'https://other-api.test' }),
      await sign(keyA, {}, { typ: 'JWT' }),
      await sign(keyA, { exp: undefined }),
      await sign(keyA, { sub: undefined }),
      await sign(attacker, {}, { kid: 'unknown-kid' }),
    ];
    for (const t of cases) assertInvalidToken(await postGraphQL(server.graphqlUrl, ME, bearer(t)));
  });

  it('rejects a malformed scope claim', async () => {
    for (const scope of [123, ['a', 'b'], 'a "b"', { a: 1 }]) {
      assertInvalidToken(await postGraphQL(server.graphqlUrl, ME, bearer(await sign(keyA, { scope }))));
    }
    assertInvalidToken(
      await postGraphQL(server.graphqlUrl, ME, bearer(await sign(keyA, { scope: undefined, scp: [1] }))),
    );
  });

  it('rejects garbage of every shape with 401 and a challenge, never 500', async () => {
    const garbage = [
      'abc',
      'a.b.c',
      '..',
      `${b64url('{')}.${b64url('{}')}.x`,
      `${b64url({ alg: 'RS256' })}.bm90IGpzb24.AAAA`,
      'x'.repeat(10_000),
    ];
    for (const t of garbage) assertInvalidToken(await postGraphQL(server.graphqlUrl, ME, bearer(t)));
    for (const authorization of ['Bearer', 'Bearer a b', 'Basic dXNlcjpwYXNz', 'Token x']) {
      const res = await postGraphQL(server.graphqlUrl, ME, { headers: { authorization } });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="graphql", error="invalid_request"/);
    }
  });
});

describe('JWKS rotation, cooldown and outages', () => {
  it('fetches a new kid once (cooldown 0), then serves it from the cache', async () => {
    const rotating = await startJwksServer([keyA.publicJwk]);
    try {
      const s = await serve({ jwksUri: rotating.url, jwksCooldownMs: 0 });
      assert.equal((await postGraphQL(s.graphqlUrl, ME, bearer(await sign(keyA, {})))).status, 200);
      assert.equal(rotating.hits(), 1);
      rotating.keys = [keyA.publicJwk, keyB.publicJwk];
      const tB = await sign(keyB, {});
      assert.equal((await postGraphQL(s.graphqlUrl, ME, bearer(tB))).status, 200);
      assert.equal(rotating.hits(), 2);
      assert.equal((await postGraphQL(s.graphqlUrl, ME, bearer(tB))).status, 200);
      assert.equal((await postGraphQL(s.graphqlUrl, ME, bearer(await sign(keyA, {})))).status, 200);
      assert.equal(rotating.hits(), 2);
    } finally {
      await rotating.close();
    }
  });

  it('respects the cooldown: unknown kids do not trigger fetches while it runs', async () => {
    const rotating = await startJwksServer([keyA.publicJwk]);
    try {
      const s = await serve({ jwksUri: rotating.url, jwksCooldownMs: 60_000 });
      assert.equal((await postGraphQL(s.graphqlUrl, ME, bearer(await sign(keyA, {})))).status, 200);
      rotating.keys = [keyA.publicJwk, keyB.publicJwk];
      for (let i = 0; i < 5; i++) assertInvalidToken(await postGraphQL(s.graphqlUrl, ME, bearer(await sign(keyB, {}))));
      assert.equal(rotating.hits(), 1);
    } finally {
      await rotating.close();
    }
  });

  it('JWKS that never answers → 401 within the fetch timeout; 503 by option; HTTP 500 and refused connections too', async () => {
    const down = await startJwksServer([keyA.publicJwk]);
    try {
      down.mode = 'hang';
      const t = await sign(keyA, {});
      const s401 = await serve({ jwksUri: down.url, jwksTimeoutMs: 200 });
      const r1 = await postGraphQL(s401.graphqlUrl, ME, bearer(t));
      assertInvalidToken(r1, 'The token signing keys are unavailable');
      const s503 = await serve({ jwksUri: down.url, jwksTimeoutMs: 200 }, { jwksUnavailableStatus: 503 });
      const r2 = await postGraphQL(s503.graphqlUrl, ME, bearer(t));
      assert.equal(r2.status, 503);
      assert.equal(r2.body.errors[0].extensions.code, 'UNAUTHENTICATED');
      assert.equal(r2.headers.get('retry-after'), '5');
      down.mode = 'error';
      const s500 = await serve({ jwksUri: down.url, jwksTimeoutMs: 200 });
      assertInvalidToken(await postGraphQL(s500.graphqlUrl, ME, bearer(t)), 'The token signing keys are unavailable');
    } finally {
      await down.close();
    }
    const refused = await serve({ jwksUri: 'http://127.0.0.1:9/jwks.json', jwksTimeoutMs: 500 });
    assertInvalidToken(
      await postGraphQL(refused.graphqlUrl, ME, bearer(await sign(keyA, {}))),
      'The token signing keys are unavailable',
    );
  });
});

describe('JWT time checks use the injected clock', () => {
  it('a token valid by the wall clock is expired by a clock one hour ahead', async () => {
    const s = await startTestServer(
      { typeDefs: principalTypeDefs, resolvers: principalResolvers },
      {
        context: authContext({
          authentication: { jwt: { issuer, audience, algorithms: ['RS256'], keys: [keyA.publicJwk] } },
          clock: { now: () => Date.now() + 3_600_000 },
        }) as never,
      },
    );
    servers.push(s);
    const token = await mintToken(keyA, { issuer, audience, subject: 'u', scopes: ['x'], expiresIn: 300 });
    assertInvalidToken(await postGraphQL(s.graphqlUrl, ME, bearer(token)), 'The access token expired');
  });

  it('mintToken tokens verify against local keys', async () => {
    const s = await startTestServer(
      { typeDefs: principalTypeDefs, resolvers: principalResolvers },
      {
        context: authContext({
          authentication: {
            jwt: {
              issuer,
              audience,
              algorithms: ['RS256'],
              keys: [keyA.publicJwk],
              typ: 'at+jwt',
              rolesClaim: 'roles',
            },
          },
        }) as never,
      },
    );
    servers.push(s);
    const token = await mintToken(keyA, {
      issuer,
      audience,
      subject: 'alice',
      scopes: ['a', 'b'],
      roles: ['admin'],
      expiresIn: '5m',
    });
    const res = await postGraphQL(s.graphqlUrl, ME, bearer(token));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data.me.scopes, ['a', 'b']);
    assert.deepEqual(res.body.data.me.roles, ['admin']);
  });
});
