import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type CustomAuthenticator,
  createDevKeys,
  type DevKeys,
  generateApiKey,
  mintToken,
  rule,
  shield,
} from '@rampart/auth';
import { createPrincipal, ErrorCode, getSecurityState, rampartError } from '@rampart/core';
import { postGraphQL, type TestServer } from '@rampart/testing';
import { ME } from './helpers.js';
import { capturingLogger, serveModule } from './module-server.js';

const issuer = 'https://issuer.test';
const audience = 'https://api.test';
const sessions: Record<string, { user: string; roles: string[] }> = { s1: { user: 'alice', roles: ['admin'] } };

/** Cookie sessions, a gateway's opaque bearer tokens, and a refusal for a revoked session. */
let calls = 0;
const custom: CustomAuthenticator = async (request, _state) => {
  calls++;
  const cookie = request.headers.get('cookie') ?? '';
  const session = /(?:^|; )session=([^;]+)/.exec(cookie)?.[1];
  if (session === 'revoked') throw rampartError(ErrorCode.UNAUTHENTICATED, 'The session was revoked');
  if (session === 'blocked') throw rampartError(ErrorCode.FORBIDDEN, 'This account is blocked');
  if (session === 'bug') throw new TypeError('cannot read properties of undefined');
  if (session === 'shapeless') return { id: 42 } as never;
  if (session === 'nobody') return null;
  if (session !== undefined) {
    const s = sessions[session];
    return s ? createPrincipal({ id: s.user, kind: 'user', roles: s.roles, authMethod: 'ignored' }) : undefined;
  }
  const authorization = request.headers.get('authorization');
  if (authorization === 'Bearer gateway-opaque-token')
    return { id: 'svc-gw', kind: 'service', scopes: ['orders:read'] };
  if (authorization === 'Session s1') return { id: 'alice', kind: 'user' };
  return undefined;
};

const isAdmin = rule('isAdmin', { cache: 'contextual' })((_p, _a, ctx) =>
  getSecurityState(ctx)!.principal.roles.has('admin'),
);

let keys: DevKeys;
const partner = generateApiKey();
const servers: TestServer<any>[] = [];
const logger = capturingLogger();
let withRules: TestServer<any>;
let withJwt: TestServer<any>;

before(async () => {
  keys = await createDevKeys();
  withRules = await serveModule({ authentication: { custom }, rules: shield({ Query: { me: isAdmin } }) }, logger);
  withJwt = await serveModule({
    authentication: {
      custom,
      jwt: { issuer, audience, algorithms: ['RS256'], keys: keys.jwks.keys, rolesClaim: 'roles' },
      apiKeys: { keys: [{ clientId: 'partner', hash: partner.hash }] },
    },
  });
  servers.push(withRules, withJwt);
});
after(async () => {
  for (const s of servers) await s.stop();
});

const cookie = (session: string) => ({ headers: { cookie: `theme=dark; session=${session}` } });

describe('authentication.custom', () => {
  it("its principal is marked authMethod 'custom' with the client address, and rules read its roles", async () => {
    const res = await postGraphQL(withRules.graphqlUrl, ME, cookie('s1'));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.data.me, {
      id: 'alice',
      kind: 'user',
      scopes: [],
      roles: ['admin'],
      clientId: null,
      ip: '127.0.0.1',
      authMethod: 'custom',
    });
  });

  it("with rules and no jwt, a bearer token is the custom authenticator's business", async () => {
    const res = await postGraphQL(
      withRules.graphqlUrl,
      { query: '{ me { id authMethod } }' },
      {
        headers: { authorization: 'Bearer gateway-opaque-token' },
      },
    );
    // recognised (no admin role, so the rule denies: 403 on the sole root field, not 401)
    assert.equal(res.status, 403, res.text);
    assert.equal(res.body.errors[0].extensions.code, 'FORBIDDEN');
    const other = await postGraphQL(withJwt.graphqlUrl, ME, { headers: { authorization: 'Session s1' } });
    assert.equal(other.status, 200, other.text);
    assert.equal(other.body.data.me.authMethod, 'custom');
  });

  it('a bearer token or Authorization it does not recognise is still refused (never downgraded to anonymous)', async () => {
    const bearer = await postGraphQL(withRules.graphqlUrl, ME, { headers: { authorization: 'Bearer something-else' } });
    assert.equal(bearer.status, 401);
    assert.equal(
      bearer.headers.get('www-authenticate'),
      'Bearer realm="graphql", error="invalid_token", error_description="Bearer tokens are not accepted"',
    );
    const basic = await postGraphQL(withRules.graphqlUrl, ME, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(basic.status, 401);
    assert.match(basic.headers.get('www-authenticate') ?? '', /error="invalid_request"/);
  });

  it('undefined and null mean "no credentials of mine": anonymous, or 401 when required', async () => {
    for (const options of [cookie('unknown'), cookie('nobody'), {}]) {
      const res = await postGraphQL(withJwt.graphqlUrl, ME, options);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.me.kind, 'anonymous');
    }
    const strict = await serveModule({ authentication: { custom, required: true } });
    servers.push(strict);
    const res = await postGraphQL(strict.graphqlUrl, ME, cookie('nobody'));
    assert.equal(res.status, 401);
    assert.equal(res.body.errors[0].message, 'Authentication required');
  });

  it('a Rampart error it throws reaches the client as it is (401, 403)', async () => {
    const revoked = await postGraphQL(withRules.graphqlUrl, ME, cookie('revoked'));
    assert.equal(revoked.status, 401);
    assert.equal(revoked.body.errors[0].message, 'The session was revoked');
    assert.equal(revoked.body.errors[0].extensions.code, 'UNAUTHENTICATED');
    const blocked = await postGraphQL(withRules.graphqlUrl, ME, cookie('blocked'));
    assert.equal(blocked.status, 403);
    assert.equal(blocked.body.errors[0].extensions.code, 'FORBIDDEN');
  });

  it('any other throw or a value that is no principal: 401, logged once per kind through the server logger', async () => {
    for (let i = 0; i < 3; i++) {
      for (const session of ['bug', 'shapeless']) {
        const res = await postGraphQL(withRules.graphqlUrl, ME, cookie(session));
        assert.equal(res.status, 401, res.text);
        assert.equal(res.body.errors[0].message, 'The credentials are invalid');
        assert.equal(
          res.headers.get('www-authenticate'),
          'Bearer realm="graphql", error="invalid_token", error_description="The credentials are invalid"',
        );
      }
    }
    assert.equal(logger.errors.length, 2, logger.errors.join('\n'));
    assert.match(
      logger.errors[0] ?? '',
      /^\[rampart\] authentication\.custom threw.*TypeError: cannot read properties/s,
    );
    assert.match(logger.errors[1] ?? '', /authentication\.custom returned a principal without a string id/);
  });

  it('order: an API key, then a bearer JWT, then custom — custom is not asked when either was presented', async () => {
    calls = 0;
    const key = await postGraphQL(withJwt.graphqlUrl, ME, {
      headers: { 'x-api-key': partner.key, cookie: 'session=s1' },
    });
    assert.equal(key.body.data.me.authMethod, 'api-key');
    const token = await mintToken(keys, { issuer, audience, subject: 'bob', scopes: ['a'] });
    const jwt = await postGraphQL(withJwt.graphqlUrl, ME, {
      headers: { authorization: `Bearer ${token}`, cookie: 'session=s1' },
    });
    assert.equal(jwt.body.data.me.authMethod, 'jwt');
    const badJwt = await postGraphQL(withJwt.graphqlUrl, ME, {
      headers: { authorization: 'Bearer gateway-opaque-token', cookie: 'session=s1' },
    });
    assert.equal(badJwt.status, 401, "with jwt configured, a bearer token is the JWT verifier's alone");
    assert.equal(calls, 0);
    const session = await postGraphQL(withJwt.graphqlUrl, ME, cookie('s1'));
    assert.equal(session.body.data.me.authMethod, 'custom');
    assert.equal(calls, 1);
  });
});
