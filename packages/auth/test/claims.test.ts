import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { authContext, type ClaimPath } from '@rampart/auth';
import { RampartConfigError } from '@rampart/core';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { SignJWT } from 'jose';
import { ME, principalResolvers, principalTypeDefs } from './helpers.js';

const issuer = 'https://tenant.auth0.example/';
const audience = 'https://api.example.com';
const SECRET = 'claims-test-secret-claims-test-secret';
const servers: TestServer<any>[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

async function me(claims: { rolesClaim?: ClaimPath; scopeClaim?: ClaimPath }, payload: Record<string, unknown>) {
  const s = await startTestServer(
    { typeDefs: principalTypeDefs, resolvers: principalResolvers },
    {
      context: authContext({
        authentication: { jwt: { issuer, audience, algorithms: ['HS256'], secret: SECRET, ...claims } },
      }) as never,
    },
  );
  servers.push(s);
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ iss: issuer, aud: audience, sub: 'u1', exp: now + 60, ...payload })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));
  const res = await postGraphQL(s.graphqlUrl, ME, { headers: { authorization: `Bearer ${token}` } });
  return res;
}

describe('claim paths', () => {
  it('Auth0: a namespaced URL claim is read by its exact name (it contains dots)', async () => {
    const res = await me(
      { rolesClaim: 'https://myapp.example.com/roles' },
      { 'https://myapp.example.com/roles': ['admin', 'support'] },
    );
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.data.me.roles, ['admin', 'support']);
  });

  it('Keycloak: realm_access.roles as a dotted path and as an array path', async () => {
    const payload = { realm_access: { roles: ['admin'] }, resource_access: { shop: { roles: ['clerk'] } } };
    const dotted = await me({ rolesClaim: 'realm_access.roles' }, payload);
    assert.deepEqual(dotted.body.data.me.roles, ['admin']);
    const array = await me({ rolesClaim: ['resource_access', 'shop', 'roles'] }, payload);
    assert.deepEqual(array.body.data.me.roles, ['clerk']);
  });

  it('an array path reads keys that contain dots as they are', async () => {
    const res = await me(
      { scopeClaim: ['https://myapp.example.com/authz', 'permissions'] },
      { 'https://myapp.example.com/authz': { permissions: ['orders:read'] } },
    );
    assert.deepEqual(res.body.data.me.scopes, ['orders:read']);
  });

  it('the exact claim name wins over the dotted path', async () => {
    const res = await me(
      { rolesClaim: 'realm_access.roles' },
      { 'realm_access.roles': ['exact'], realm_access: { roles: ['nested'] } },
    );
    assert.deepEqual(res.body.data.me.roles, ['exact']);
  });

  it('reads own properties only: nothing comes from the prototype chain', async () => {
    for (const rolesClaim of ['constructor.name', ['constructor', 'name'], 'toString', 'realm_access.__proto__.x']) {
      const res = await me({ rolesClaim }, { realm_access: { roles: ['a'] } });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data.me.roles, [], JSON.stringify(rolesClaim));
    }
  });

  it('a claim path that is empty or not strings is refused at startup', () => {
    for (const rolesClaim of ['', [], [1]]) {
      assert.throws(
        () =>
          authContext({
            authentication: {
              jwt: { issuer, audience, algorithms: ['HS256'], secret: SECRET, rolesClaim: rolesClaim as ClaimPath },
            },
          }),
        (e: unknown) => e instanceof RampartConfigError && e.option === 'authentication.jwt.rolesClaim',
      );
    }
  });
});
