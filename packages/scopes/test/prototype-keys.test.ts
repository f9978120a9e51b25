import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ownProperty, RampartConfigError } from '@rampart/core';
import { postGraphQL, startTestServer } from '@rampart/testing';
import { scopesPlugin } from '../src/index.js';
import { as, buildSchema, calls, startScopesServer } from './fixture.js';

// Request variables are untrusted JSON: `JSON.parse` makes "__proto__", "constructor" and "prototype"
// own keys, and GraphQL names (aliases, fragment names, variable names) may be "__proto__" too.
// The bodies below are raw JSON strings, so those keys reach the server exactly as written.

type Server = Awaited<ReturnType<typeof startScopesServer>>;
const policies = { businessHours: () => true, isStaff: () => true, isAdmin: () => false, throws: () => true };
const extra = /* GraphQL */ `
  extend type Query {
    bulk(filters: [OrderFilter!]): Int @requiresScopes(scopes: [["orders:read"]])
  }
`;

/** Posts a raw JSON body (so `"__proto__"` keys stay own keys on the server). */
function post(s: Server, body: string, headers: Record<string, string>) {
  return postGraphQL(s.graphqlUrl, body, { headers });
}

function body(query: string, variablesJson?: string): string {
  return `{"query":${JSON.stringify(query)}${variablesJson === undefined ? '' : `,"variables":${variablesJson}`}}`;
}

describe('prototype-like keys in variables, aliases and fragment names', () => {
  let s: Server;
  before(async () => {
    s = await startScopesServer({ policies }, buildSchema([extra]));
  });
  after(() => s.stop());

  it('a response key "__proto__" survives the response rewrite, as graphql-js writes it', async () => {
    const r = await post(
      s,
      body('{ __proto__: user(id: "u1") { name email } constructor: version hasOwnProperty: version }'),
      as('x'),
    );
    assert.equal(r.status, 200);
    // The response text has the key, with the removed field nulled inside it, in the client's order.
    assert.equal(
      JSON.stringify(r.body.data),
      '{"__proto__":{"name":"Ada","email":null},"constructor":"1.0","hasOwnProperty":"1.0"}',
    );
    assert.deepEqual(Object.keys(r.body.data), ['__proto__', 'constructor', 'hasOwnProperty']);
    assert.equal(r.body.errors.length, 1);
    assert.deepEqual(r.body.errors[0].path, ['__proto__', 'email']);
    assert.equal(r.body.errors[0].extensions.code, 'UNAUTHORIZED_FIELD_OR_TYPE');
  });

  it('a removed field aliased "__proto__" is null at its own key, with the error at that path', async () => {
    const r = await post(s, body('{ users { name __proto__: email constructor: email } }'), as('x'));
    assert.equal(r.status, 200);
    assert.equal(r.body.data.users.length, 3);
    for (const u of r.body.data.users) {
      assert.deepEqual(Object.keys(u), ['name', '__proto__', 'constructor']);
      assert.equal(ownProperty(u, '__proto__'), null);
      assert.equal(ownProperty(u, 'constructor'), null);
    }
    assert.equal(r.body.errors.length, 6);
    assert.deepEqual(r.body.errors[0].path, ['users', 0, '__proto__']);
    assert.deepEqual(r.body.errors[1].path, ['users', 0, 'constructor']);
  });

  it('fragments named __proto__, constructor and hasOwnProperty are checked like any other', async () => {
    const q = `{ user(id: "u1") { name ...__proto__ ...constructor ...hasOwnProperty } }
      fragment __proto__ on User { email }
      fragment constructor on User { secret }
      fragment hasOwnProperty on User { id }`;
    const r = await post(s, body(q), as('x'));
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data, { user: { name: 'Ada', email: null, secret: null, id: 'u1' } });
    assert.deepEqual(
      r.body.errors.map((e: { path: unknown }) => e.path),
      [
        ['user', 'email'],
        ['user', 'secret'],
      ],
    );
    // reject mode refuses on a denial reached through the fragment named __proto__
    const strict = await startScopesServer({ policies, mode: 'reject' });
    try {
      const refused = await postGraphQL(
        strict.graphqlUrl,
        body('{ user(id: "u1") { ...__proto__ } } fragment __proto__ on User { name email }'),
        { headers: as('x') },
      );
      assert.equal(refused.status, 403);
      assert.equal(refused.body.errors[0].extensions.code, 'FORBIDDEN');
    } finally {
      await strict.stop();
    }
  });

  it('@skip/@include read only own variables: a "__proto__" entry never hides a protected field', async () => {
    const before = calls.get('User.email') ?? 0;
    // graphql-js: $x is not sent (only "__proto__" is), so it takes its default false: email is selected.
    const skip = await post(
      s,
      body('query ($x: Boolean = false) { user(id: "u1") { name email @skip(if: $x) } }', '{"__proto__":{"x":true}}'),
      as('x'),
    );
    assert.equal(skip.status, 200);
    assert.deepEqual(skip.body.data, { user: { name: 'Ada', email: null } });
    assert.equal(skip.body.errors.length, 1);
    assert.deepEqual(skip.body.errors[0].path, ['user', 'email']);
    // …and an own "constructor" variable is a variable like any other.
    const own = await post(
      s,
      body(
        'query ($constructor: Boolean = false) { user(id: "u1") { name email @include(if: $constructor) } }',
        '{"__proto__":{"constructor":false},"constructor":true}',
      ),
      as('x'),
    );
    assert.deepEqual(own.body.data, { user: { name: 'Ada', email: null } });
    assert.equal(own.body.errors.length, 1);
    // With $x: Boolean! unsent, graphql-js refuses the request: so does everyone, without a 500.
    const required = await post(
      s,
      body('query ($x: Boolean!) { user(id: "u1") { name email @skip(if: $x) } }', '{"__proto__":{"x":true}}'),
      as('x'),
    );
    assert.equal(required.status, 400);
    assert.equal(required.body.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.equal(calls.get('User.email') ?? 0, before, 'the protected resolver never ran');
  });

  it('a variable named $__proto__ is read as graphql-js reads it (an own key)', async () => {
    const q = 'query ($__proto__: Boolean = true) { user(id: "u1") { name email @skip(if: $__proto__) } }';
    const sent = await post(s, body(q, '{"__proto__":false}'), as('x'));
    assert.equal(sent.status, 200);
    assert.deepEqual(sent.body.data, { user: { name: 'Ada', email: null } });
    assert.equal(sent.body.errors.length, 1);
    const guarded = await post(
      s,
      body(
        'query ($__proto__: OrderFilter) { orders(filter: $__proto__) { id } }',
        '{"__proto__":{"customerEmail":"a"}}',
      ),
      as('x', 'orders:read'),
    );
    assert.equal(guarded.status, 403);
    assert.equal(guarded.body.errors[0].extensions.code, 'FORBIDDEN');
  });

  it('prototype keys nested in input objects and lists: guarded input fields are still refused', async () => {
    const one = 'query ($f: OrderFilter) { orders(filter: $f) { id } }';
    const list = 'query ($fs: [OrderFilter!]) { bulk(filters: $fs) }';
    const both = 'query ($f: OrderFilter, $fs: [OrderFilter!]) { orders(filter: $f) { id } bulk(filters: $fs) }';
    const cases: [string, string, number, string][] = [
      // a guarded input field sent next to a "__proto__" entry, at the top, nested and in a list
      [one, '{"f":{"__proto__":{"status":"x"},"customerEmail":"a"}}', 403, 'FORBIDDEN'],
      [one, '{"f":{"nested":{"__proto__":{"status":"x"},"customerEmail":"a"}}}', 403, 'FORBIDDEN'],
      [
        list,
        '{"fs":[{"status":"a"},{"constructor":{"status":"x"},"prototype":1,"customerEmail":"a"}]}',
        403,
        'FORBIDDEN',
      ],
      // only inside "__proto__"/"constructor": graphql-js refuses the unknown input field
      [one, '{"f":{"__proto__":{"customerEmail":"a"}}}', 400, 'BAD_USER_INPUT'],
      [one, '{"f":{"nested":{"constructor":{"customerEmail":"a"}}}}', 400, 'BAD_USER_INPUT'],
      [list, '{"fs":[{"__proto__":{"customerEmail":"a"}}]}', 400, 'BAD_USER_INPUT'],
      // top-level "__proto__" holding the variables: none is sent, nothing guarded is passed
      [both, '{"__proto__":{"f":{"customerEmail":"a"},"fs":[{"customerEmail":"a"}]}}', 200, ''],
    ];
    for (const [query, variables, status, code] of cases) {
      const r = await post(s, body(query, variables), as('x', 'orders:read'));
      assert.equal(r.status, status, variables);
      if (code) assert.equal(r.body.errors[0].extensions.code, code, variables);
      else assert.deepEqual(r.body, { data: { orders: [{ id: 'o1' }], bulk: null } }, variables);
    }
  });
});

describe('policy names that are Object.prototype members', () => {
  it('a @policy named "constructor" or "toString" must be configured: startup fails otherwise', async () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      const schema = buildSchema([`extend type Query { odd: Int @policy(policies: [["${name}"]]) }`]);
      await assert.rejects(
        startTestServer({ schema, plugins: [scopesPlugin({ policies })] }),
        (e: unknown) =>
          e instanceof RampartConfigError && e.option === 'scopes.policies' && e.message.includes(`"${name}"`),
        name,
      );
    }
  });

  it('a configured policy named "constructor" is the one called', async () => {
    const schema = buildSchema([`extend type Query { odd: Int @policy(policies: [["constructor"]]) }`]);
    const seen: string[] = [];
    const s = await startScopesServer(
      {
        policies: {
          ...policies,
          constructor: ({ policy }: { policy: string }) => {
            seen.push(policy);
            return true;
          },
        },
      },
      schema,
    );
    try {
      const r = await postGraphQL(s.graphqlUrl, { query: '{ odd version }' }, { headers: as('x') });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.data, { odd: null, version: '1.0' });
      assert.deepEqual(seen, ['constructor']);
    } finally {
      await s.stop();
    }
  });
});
