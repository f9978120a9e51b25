/**
 * DPoP (RFC 9449): every check of §4.3 failing alone, replay, another URL, another key, bearer use
 * of a bound token, nonces — over real HTTP with jose verifying every signature.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  authContext,
  createDevKeys,
  createDpopProof,
  type DevKeys,
  type DpopOptions,
  type JwtOptions,
  MemoryReplayStore,
  mintToken,
} from '@rampart/auth';
import { RampartConfigError } from '@rampart/core';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { importJWK, SignJWT } from 'jose';
import { ME, principalResolvers, principalTypeDefs } from './helpers.js';

const issuer = 'https://issuer.test';
const audience = 'https://api.test';
/** The server's clock (seconds matter: `iat` windows). */
let nowMs = Math.floor(Date.now() / 1000) * 1000;
const clock = { now: () => nowMs };
const seconds = () => Math.floor(nowMs / 1000);

let issuerKeys: DevKeys;
let client: DevKeys;
let otherClient: DevKeys;
const servers: TestServer<any>[] = [];

async function serve(dpop: JwtOptions['dpop'], extra: Partial<JwtOptions> = {}) {
  const s = await startTestServer(
    { typeDefs: principalTypeDefs, resolvers: principalResolvers },
    {
      context: authContext({
        clock,
        authentication: {
          jwt: { issuer, audience, algorithms: ['ES256'], keys: [issuerKeys.publicJwk], dpop, ...extra },
        },
      }) as never,
    },
  );
  servers.push(s);
  return s;
}

/** A token bound to `key` (or unbound), valid on the server's clock. */
async function token(key: DevKeys | null = client) {
  return mintToken(issuerKeys, {
    issuer,
    audience,
    subject: 'user-1',
    scopes: ['read'],
    expiresIn: seconds() + 300 - Math.floor(Date.now() / 1000),
    ...(key ? { boundTo: key.publicJwk } : {}),
  });
}

/** A proof for a POST to `url`, valid on the server's clock unless `o` says otherwise. */
function proof(url: string, accessToken: string, o: Partial<Parameters<typeof createDpopProof>[1]> = {}, by = client) {
  return createDpopProof(by, { method: 'POST', url, accessToken, issuedAt: seconds(), ...o });
}

function send(s: TestServer<any>, headers: Record<string, string>) {
  return postGraphQL(s.graphqlUrl, ME, { headers });
}

function assertDpopRefusal(res: Awaited<ReturnType<typeof send>>, error: string, description?: string) {
  assert.equal(res.status, 401, res.text);
  assert.equal(res.body.errors[0].extensions.code, 'UNAUTHENTICATED');
  const challenge = res.headers.get('www-authenticate') ?? '';
  const dpopPart = challenge.slice(challenge.indexOf('DPoP '));
  assert.ok(dpopPart.startsWith('DPoP algs="'), challenge);
  assert.match(dpopPart, new RegExp(`error="${error}"`), challenge);
  if (description) assert.match(dpopPart, new RegExp(`error_description="${description}"`), challenge);
}

before(async () => {
  issuerKeys = await createDevKeys({ alg: 'ES256' });
  client = await createDevKeys({ alg: 'ES256' });
  otherClient = await createDevKeys({ alg: 'ES256' });
});
after(async () => {
  for (const s of servers) await s.stop();
});

describe('DPoP: a valid proof', () => {
  let s: TestServer<any>;
  before(async () => {
    s = await serve('allowed');
  });

  it('accepts a bound token with its proof (Authorization: DPoP)', async () => {
    const t = await token();
    const res = await send(s, { authorization: `DPoP ${t}`, dpop: await proof(s.graphqlUrl, t) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.me.id, 'user-1');
    assert.equal(res.body.data.me.authMethod, 'jwt');
  });

  it("still accepts unbound bearer tokens in 'allowed' mode", async () => {
    const res = await send(s, { authorization: `Bearer ${await token(null)}` });
    assert.equal(res.status, 200, res.text);
  });
});

describe('DPoP: each check failing alone', () => {
  let s: TestServer<any>;
  let t: string;
  before(async () => {
    s = await serve('allowed');
    t = await token();
  });

  /** Signs a proof with a header and claims of the test's choosing (everything else valid). */
  async function craft(header: Record<string, unknown>, claims: Record<string, unknown>, by = client) {
    const key = await importJWK(by.privateJwk, by.alg);
    const { kty, crv, x, y } = by.publicJwk;
    const base = {
      jti: crypto.randomUUID(),
      htm: 'POST',
      htu: s.graphqlUrl,
      iat: seconds(),
      ath: (await import('node:crypto')).createHash('sha256').update(t).digest('base64url'),
    };
    return new SignJWT({ ...base, ...claims })
      .setProtectedHeader({ alg: by.alg, typ: 'dpop+jwt', jwk: { kty, crv, x, y }, ...header })
      .sign(key);
  }

  const cases: Array<[string, () => Promise<Record<string, string>>]> = [
    ['no DPoP header', async () => ({ authorization: `DPoP ${t}` })],
    [
      'two proofs (two DPoP headers joined)',
      async () => ({ authorization: `DPoP ${t}`, dpop: `${await craft({}, {})}, ${await craft({}, {})}` }),
    ],
    ['not a JWS', async () => ({ authorization: `DPoP ${t}`, dpop: 'not-a-jwt' })],
    ['typ other than dpop+jwt', async () => ({ authorization: `DPoP ${t}`, dpop: await craft({ typ: 'JWT' }, {}) })],
    [
      'symmetric alg (HS256)',
      async () => {
        const secret = new Uint8Array(32).fill(7);
        const jwsWithHmac = await new SignJWT({ jti: 'x', htm: 'POST', htu: s.graphqlUrl, iat: seconds() })
          .setProtectedHeader({
            alg: 'HS256',
            typ: 'dpop+jwt',
            jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } as never,
          })
          .sign(secret);
        return { authorization: `DPoP ${t}`, dpop: jwsWithHmac };
      },
    ],
    [
      'signature not by the header key',
      async () => {
        const forged = await craft(
          { jwk: (({ kty, crv, x, y }) => ({ kty, crv, x, y }))(client.publicJwk) },
          {},
          otherClient,
        );
        return { authorization: `DPoP ${t}`, dpop: forged };
      },
    ],
    [
      'private key in the header jwk',
      async () => ({ authorization: `DPoP ${t}`, dpop: await craft({ jwk: client.privateJwk }, {}) }),
    ],
    ['htm another method', async () => ({ authorization: `DPoP ${t}`, dpop: await craft({}, { htm: 'GET' }) })],
    [
      'htu another URL',
      async () => ({ authorization: `DPoP ${t}`, dpop: await craft({}, { htu: 'https://elsewhere.test/graphql' }) }),
    ],
    [
      'htu another path',
      async () => ({
        authorization: `DPoP ${t}`,
        dpop: await craft({}, { htu: s.graphqlUrl.replace('/graphql', '/admin') }),
      }),
    ],
    [
      'iat too old',
      async () => ({ authorization: `DPoP ${t}`, dpop: await craft({}, { iat: seconds() - 60 - 5 - 1 }) }),
    ],
    [
      'iat in the future',
      async () => ({ authorization: `DPoP ${t}`, dpop: await craft({}, { iat: seconds() + 5 + 2 }) }),
    ],
    ['no iat', async () => ({ authorization: `DPoP ${t}`, dpop: await craft({}, { iat: undefined }) })],
    ['no jti', async () => ({ authorization: `DPoP ${t}`, dpop: await craft({}, { jti: undefined }) })],
    [
      'ath of another token',
      async () => ({ authorization: `DPoP ${t}`, dpop: await craft({}, { ath: 'A'.repeat(43) }) }),
    ],
    ['no ath', async () => ({ authorization: `DPoP ${t}`, dpop: await craft({}, { ath: undefined }) })],
    [
      'signed by another key than cnf.jkt',
      async () => ({ authorization: `DPoP ${t}`, dpop: await craft({}, {}, otherClient) }),
    ],
  ];
  for (const [name, headers] of cases) {
    it(`${name}: 401 invalid_dpop_proof`, async () => {
      assertDpopRefusal(await send(s, await headers()), 'invalid_dpop_proof', 'The DPoP proof is invalid');
    });
  }

  it('the same proof is accepted once (replay: 401)', async () => {
    const p = await craft({}, {});
    assert.equal((await send(s, { authorization: `DPoP ${t}`, dpop: p })).status, 200);
    assertDpopRefusal(await send(s, { authorization: `DPoP ${t}`, dpop: p }), 'invalid_dpop_proof');
  });

  it('htu with a query, a fragment, the default port and another case of scheme and host is this URL', async () => {
    const url = new URL(s.graphqlUrl);
    const htu = `HTTP://${url.hostname.toUpperCase()}:${url.port}${url.pathname}?x=1#f`;
    const res = await send(s, { authorization: `DPoP ${t}`, dpop: await craft({}, { htu }) });
    assert.equal(res.status, 200, res.text);
    // the path is compared as sent: another case of the path is another URL
    const upper = `${url.origin}${url.pathname.toUpperCase()}`;
    assertDpopRefusal(
      await send(s, { authorization: `DPoP ${t}`, dpop: await craft({}, { htu: upper }) }),
      'invalid_dpop_proof',
    );
  });

  it('a proof at the edges of the window is accepted (iat 65 s old, iat 5 s ahead)', async () => {
    for (const iat of [seconds() - 65, seconds() + 5]) {
      const res = await send(s, { authorization: `DPoP ${t}`, dpop: await craft({}, { iat }) });
      assert.equal(res.status, 200, res.text);
    }
  });
});

describe('DPoP: how the token is presented', () => {
  let allowed: TestServer<any>;
  let required: TestServer<any>;
  let off: TestServer<any>;
  before(async () => {
    allowed = await serve('allowed');
    required = await serve('required');
    off = await serve(undefined);
  });

  it('a bound token used as a bearer token: 401 invalid_token', async () => {
    const res = await send(allowed, { authorization: `Bearer ${await token()}` });
    assert.equal(res.status, 401);
    assert.equal(
      res.headers.get('www-authenticate'),
      'Bearer realm="graphql", error="invalid_token", error_description="The access token is bound to a key: present it with DPoP", ' +
        'DPoP algs="ES256 ES384 EdDSA Ed25519 PS256 RS256"',
    );
  });

  it('an unbound token with Authorization: DPoP: 401', async () => {
    const t = await token(null);
    const res = await send(allowed, { authorization: `DPoP ${t}`, dpop: await proof(allowed.graphqlUrl, t) });
    assertDpopRefusal(res, 'invalid_token', 'The access token is not bound to a key');
  });

  it("'required': an unbound bearer token is refused, a bound one with its proof accepted", async () => {
    assertDpopRefusal(
      await send(required, { authorization: `Bearer ${await token(null)}` }),
      'invalid_token',
      'A DPoP-bound access token is required',
    );
    const t = await token();
    const ok = await send(required, { authorization: `DPoP ${t}`, dpop: await proof(required.graphqlUrl, t) });
    assert.equal(ok.status, 200, ok.text);
  });

  it('DPoP off: Authorization: DPoP is an unsupported scheme (401 invalid_request), no DPoP challenge', async () => {
    const t = await token();
    const res = await send(off, { authorization: `DPoP ${t}`, dpop: await proof(off.graphqlUrl, t) });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="graphql", error="invalid_request"/);
    assert.doesNotMatch(res.headers.get('www-authenticate') ?? '', /DPoP/);
  });
});

describe('DPoP: publicUrl and nonces', () => {
  it('publicUrl: proofs must name it, not the address the server listens on', async () => {
    const s = await serve({ mode: 'required', publicUrl: 'https://api.example.com/graphql' });
    const t = await token();
    assertDpopRefusal(
      await send(s, { authorization: `DPoP ${t}`, dpop: await proof(s.graphqlUrl, t) }),
      'invalid_dpop_proof',
    );
    const res = await send(s, {
      authorization: `DPoP ${t}`,
      dpop: await proof('https://api.example.com:443/graphql', t),
    });
    assert.equal(res.status, 200, res.text);
  });

  it('nonce: a proof without one gets use_dpop_nonce and a DPoP-Nonce; with it, 200; a stale one again 401', async () => {
    const s = await serve({ mode: 'required', nonce: { lifetimeSeconds: 120 } });
    const t = await token();
    const first = await send(s, { authorization: `DPoP ${t}`, dpop: await proof(s.graphqlUrl, t) });
    assertDpopRefusal(first, 'use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    assert.ok(nonce && nonce.length > 10, 'DPoP-Nonce header');
    const second = await send(s, { authorization: `DPoP ${t}`, dpop: await proof(s.graphqlUrl, t, { nonce }) });
    assert.equal(second.status, 200, second.text);
    nowMs += 121_000;
    const t2 = await token();
    const stale = await send(s, { authorization: `DPoP ${t2}`, dpop: await proof(s.graphqlUrl, t2, { nonce }) });
    assertDpopRefusal(stale, 'use_dpop_nonce');
    assert.notEqual(stale.headers.get('dpop-nonce'), nonce);
  });

  it('a shared nonce secret: a nonce from one replica is accepted by another', async () => {
    const secret = 'a-nonce-secret-of-at-least-32-bytes!';
    const a = await serve({ mode: 'required', nonce: { secret } });
    const b = await serve({ mode: 'required', nonce: { secret } });
    const t = await token();
    const nonce = (await send(a, { authorization: `DPoP ${t}`, dpop: await proof(a.graphqlUrl, t) })).headers.get(
      'dpop-nonce',
    );
    const res = await send(b, {
      authorization: `DPoP ${t}`,
      dpop: await proof(b.graphqlUrl, t, { nonce: nonce ?? '' }),
    });
    assert.equal(res.status, 200, res.text);
  });
});

describe('DPoP: configuration', () => {
  const cases: Array<[string, DpopOptions | string, string]> = [
    ['a symmetric proof algorithm', { mode: 'required', algorithms: ['HS256'] }, 'authentication.jwt.dpop.algorithms'],
    ['an unknown mode', 'require', 'authentication.jwt.dpop.mode'],
    ['no mode', {} as DpopOptions, 'authentication.jwt.dpop.mode'],
    ['a relative publicUrl', { mode: 'allowed', publicUrl: '/graphql' }, 'authentication.jwt.dpop.publicUrl'],
    ['a short nonce secret', { mode: 'allowed', nonce: { secret: 'short' } }, 'authentication.jwt.dpop.nonce.secret'],
    ['a typo', { mode: 'allowed', maxAge: 60 } as never, 'authentication.jwt.dpop.maxAge'],
  ];
  for (const [name, dpop, option] of cases) {
    it(`${name}: a startup error naming ${option}`, () => {
      assert.throws(
        () =>
          authContext({
            authentication: {
              jwt: { issuer, audience, algorithms: ['ES256'], keys: [issuerKeys.publicJwk], dpop: dpop as never },
            },
          }),
        (e: unknown) => e instanceof RampartConfigError && e.option === option,
      );
    });
  }
});

describe('MemoryReplayStore', () => {
  const op = (key: string) => [{ type: 'counter' as const, key, limit: 1, cost: 1, ttlMs: 1000 }];
  it('refuses a key until it expires', async () => {
    const store = new MemoryReplayStore();
    assert.equal((await store.apply(op('a'), 0)).allowed, true);
    assert.equal((await store.apply(op('a'), 999)).allowed, false);
    assert.equal((await store.apply(op('a'), 1000)).allowed, true);
  });
  it('holds at most its capacity, dropping expired keys first, then the oldest', async () => {
    const store = new MemoryReplayStore(3);
    await store.apply(op('a'), 0);
    await store.apply(op('b'), 500);
    await store.apply(op('c'), 600);
    await store.apply(op('d'), 1200); // a expired: dropped
    assert.equal(store.size, 3);
    assert.equal((await store.apply(op('b'), 1200)).allowed, false);
    await store.apply(op('e'), 1300); // nothing expired: the oldest live key (b) goes
    assert.equal(store.size, 3);
    assert.equal((await store.apply(op('c'), 1300)).allowed, false);
    assert.equal((await store.apply(op('b'), 1300)).allowed, true);
  });
});
