import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RampartConfigError } from '@rampart/core';
import { postGraphQL, startTestServer } from '@rampart/testing';
import { defaultScopesOptions, scopesModule, scopesPlugin, scopesTypeDefs } from '../src/index.js';
import { resolveScopesOptions } from '../src/options.js';
import { as, buildSchema, calls, startScopesServer } from './fixture.js';

const policies = { businessHours: () => true, isStaff: () => true, isAdmin: () => false, throws: () => true };

describe('mode reject', () => {
  it('refuses the whole operation when any field is unauthorized: 403, or 401 when anonymous', async () => {
    const s = await startScopesServer({ mode: 'reject', policies });
    try {
      const q = '{ user(id: "u1") { name email } }';
      const r = await postGraphQL(s.graphqlUrl, { query: q }, { headers: as('shopper', 'api:read') });
      assert.equal(r.status, 403);
      assert.equal(r.body.data, undefined);
      assert.equal(r.body.errors.length, 1);
      assert.equal(r.body.errors[0].extensions.code, 'FORBIDDEN');
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="graphql", error="insufficient_scope"');
      const ev = s.states.at(-1)?.events ?? [];
      assert.deepEqual(
        ev.map((e) => [e.source, e.outcome, e.code, e.coordinate, e.path]),
        [['scopes', 'denied', 'FORBIDDEN', 'User.email', 'user.email']],
      );
      const anon = await postGraphQL(s.graphqlUrl, { query: q });
      assert.equal(anon.status, 401);
      assert.equal(anon.body.errors[0].extensions.code, 'UNAUTHENTICATED');
      assert.equal(anon.headers.get('www-authenticate'), 'Bearer realm="graphql"');
      const ok = await postGraphQL(s.graphqlUrl, { query: q }, { headers: as('ops', 'pii:read') });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body, { data: { user: { name: 'Ada', email: 'ada@example.com' } } });
    } finally {
      await s.stop();
    }
  });

  it('exposeRequirements puts the missing scopes in the error and the challenge', async () => {
    const s = await startScopesServer({ mode: 'reject', exposeRequirements: true, realm: 'shop', policies });
    try {
      const r = await postGraphQL(s.graphqlUrl, { query: '{ users { email } }' }, { headers: as('u') });
      assert.equal(r.status, 403);
      assert.deepEqual(r.body.errors[0].extensions.missingScopes, ['pii:read']);
      assert.equal(
        r.headers.get('www-authenticate'),
        'Bearer realm="shop", error="insufficient_scope", scope="pii:read"',
      );
    } finally {
      await s.stop();
    }
  });
});

describe('exposeRequirements in filter mode', () => {
  it('adds the coordinate and the missing scopes to each field error', async () => {
    const s = await startScopesServer({ exposeRequirements: true, policies });
    try {
      const r = await postGraphQL(s.graphqlUrl, { query: '{ me { name } version }' });
      assert.deepEqual(r.body.errors[0].extensions, {
        coordinate: 'Query.me',
        authenticationRequired: true,
        code: 'UNAUTHORIZED_FIELD_OR_TYPE',
      });
      const c = await postGraphQL(s.graphqlUrl, { query: '{ products { cost } version }' }, { headers: as('u') });
      assert.deepEqual(c.body.errors[0].extensions, {
        coordinate: 'Product.cost',
        missingScopes: ['catalog:admin'],
        code: 'UNAUTHORIZED_FIELD_OR_TYPE',
      });
      assert.deepEqual(c.body.errors[0].path, ['products', 0, 'cost']);
    } finally {
      await s.stop();
    }
  });
});

describe('operation-level options', () => {
  it('requireAuthentication: 401 for every anonymous operation, even on public fields', async () => {
    const s = await startScopesServer({ requireAuthentication: true, policies });
    try {
      const anon = await postGraphQL(s.graphqlUrl, { query: '{ version }' });
      assert.equal(anon.status, 401);
      assert.equal(anon.body.errors[0].extensions.code, 'UNAUTHENTICATED');
      assert.equal(anon.headers.get('www-authenticate'), 'Bearer realm="graphql"');
      const ok = await postGraphQL(s.graphqlUrl, { query: '{ version }' }, { headers: as('u') });
      assert.deepEqual(ok.body, { data: { version: '1.0' } });
    } finally {
      await s.stop();
    }
  });

  it('operationScopes: read-only storefront vs read-write back office', async () => {
    const s = await startScopesServer({
      operationScopes: { query: 'api:read', mutation: [['api:write'], ['api:admin']] },
      policies,
    });
    try {
      const storefront = as('storefront-app', 'api:read');
      const backOffice = as('backoffice-app', 'api:read api:write catalog:write pii:read');
      const read = await postGraphQL(s.graphqlUrl, { query: '{ products { name price } }' }, { headers: storefront });
      assert.deepEqual(read.body, {
        data: {
          products: [
            { name: 'Lamp', price: 30 },
            { name: 'Desk', price: 300 },
          ],
        },
      });
      const before = calls.get('placeOrder') ?? 0;
      const write = await postGraphQL(
        s.graphqlUrl,
        { query: 'mutation { placeOrder(productId: "p1") { id } }' },
        { headers: storefront },
      );
      assert.equal(write.status, 403);
      assert.equal(write.body.errors[0].extensions.code, 'FORBIDDEN');
      assert.equal(calls.get('placeOrder') ?? 0, before);
      assert.deepEqual(
        s.states.at(-1)?.events.map((e) => [e.outcome, e.coordinate, e.details?.missingScopes]),
        // of equally close alternatives, the first in canonical (sorted) order is reported
        [['denied', 'mutation', ['api:admin']]],
      );
      const boWrite = await postGraphQL(
        s.graphqlUrl,
        { query: 'mutation { updatePrice(id: "p2", price: 5) { id } }' },
        { headers: backOffice },
      );
      assert.deepEqual(boWrite.body, { data: { updatePrice: { id: 'p2' } } });
      const pii = await postGraphQL(s.graphqlUrl, { query: '{ users { email } }' }, { headers: storefront });
      assert.equal(pii.status, 403, 'nothing authorized remains for the storefront');
      const piiBo = await postGraphQL(s.graphqlUrl, { query: '{ users { email } }' }, { headers: backOffice });
      assert.equal(piiBo.body.data.users[0].email, 'ada@example.com');
      const anon = await postGraphQL(s.graphqlUrl, { query: '{ version }' });
      assert.equal(anon.status, 401);
    } finally {
      await s.stop();
    }
  });

  it('dryRun records every decision and enforces nothing', async () => {
    const s = await startScopesServer({ dryRun: true, requireAuthentication: true, policies });
    try {
      const r = await postGraphQL(s.graphqlUrl, { query: '{ users { email } me { name } }' });
      assert.equal(r.status, 200);
      assert.equal(r.body.errors, undefined);
      assert.equal(r.body.data.users[0].email, 'ada@example.com');
      const ev = s.states.at(-1)?.events ?? [];
      assert.deepEqual(
        ev.map((e) => [e.outcome, e.code, e.coordinate ?? null, e.details?.dryRun]),
        [
          ['denied', 'UNAUTHENTICATED', null, true],
          ['denied', 'UNAUTHENTICATED', 'User.email', true],
          ['denied', 'UNAUTHENTICATED', 'Query.me', true],
        ],
      );
    } finally {
      await s.stop();
    }
  });
});

describe('startup and options', () => {
  it('fails at startup when the schema names a policy that is not configured', async () => {
    await assert.rejects(
      startTestServer({ schema: buildSchema(), plugins: [scopesPlugin({ policies: { businessHours: () => true } })] }),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'scopes.policies' && /isStaff/.test(e.message),
    );
  });

  it('rejects bad options naming them', () => {
    assert.throws(
      () => resolveScopesOptions({ mode: 'block' as never }),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'scopes.mode',
    );
    assert.throws(
      () => resolveScopesOptions({ operationScopes: { querry: 'x' } as never }),
      (e: unknown) =>
        e instanceof RampartConfigError && e.option === 'scopes.operationScopes' && /querry/.test(e.message),
    );
    assert.throws(
      () => resolveScopesOptions({ drYrun: true } as never),
      (e: unknown) => e instanceof RampartConfigError && /did you mean "dryRun"/.test(e.message),
    );
    assert.throws(
      () => resolveScopesOptions({ policies: { a: 'yes' } as never }),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'scopes.policies',
    );
    assert.equal(resolveScopesOptions(), defaultScopesOptions);
  });

  it('scopesModule carries the directive definitions and one plugin, no schema transform', () => {
    const m = scopesModule({ policies });
    assert.equal(m.name, 'scopes');
    assert.equal(m.typeDefs, scopesTypeDefs);
    assert.equal(m.plugins?.length, 1);
    assert.equal(m.transformSchema, undefined);
    assert.match(scopesTypeDefs, /directive @requiresScopes\(scopes: \[\[Scope!\]!\]!\) on OBJECT \| FIELD_DEFINITION/);
    assert.match(scopesTypeDefs, /ARGUMENT_DEFINITION \| INPUT_FIELD_DEFINITION/);
  });

  it('a schema without any directive costs nothing and changes nothing', async () => {
    const { makeExecutableSchema } = await import('@graphql-tools/schema');
    const schema = makeExecutableSchema({
      typeDefs: [scopesTypeDefs, 'type Query { hello: String }'],
      resolvers: { Query: { hello: () => 'hi' } },
    });
    const s = await startTestServer({ schema, plugins: [scopesPlugin()] });
    try {
      const r = await postGraphQL(s.graphqlUrl, { query: '{ hello }' });
      assert.deepEqual(r.body, { data: { hello: 'hi' } });
    } finally {
      await s.stop();
    }
  });
});
