import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postGraphQL } from '@rampart/testing';
import { as, calls, startScopesServer } from './fixture.js';

type Server = Awaited<ReturnType<typeof startScopesServer>>;
const policies = { businessHours: () => true, isStaff: () => true, isAdmin: () => false, throws: () => true };
const ALL = 'pii:read secret:read vault:read catalog:admin catalog:write orders:read';

function errorPaths(body: { errors?: { path?: unknown[]; extensions?: { code?: string } }[] }) {
  return (body.errors ?? []).map((e) => `${e.extensions?.code}@${(e.path ?? []).join('.')}`);
}

describe('filter mode (default): unauthorized fields are removed before execution', () => {
  let s: Server;
  before(async () => {
    s = await startScopesServer({ policies });
  });
  after(() => s.stop());

  it('a caller with every scope gets everything, no errors', async () => {
    const r = await postGraphQL(
      s.graphqlUrl,
      { query: '{ user(id: "u1") { name email secret } }' },
      { headers: as('admin', ALL) },
    );
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { data: { user: { name: 'Ada', email: 'ada@example.com', secret: 'u1-secret' } } });
  });

  it('removes a field the caller lacks scopes for: null at its path, one error, resolver never runs', async () => {
    const before = calls.get('User.email') ?? 0;
    const r = await postGraphQL(
      s.graphqlUrl,
      { query: '{ user(id: "u1") { email name } }' },
      { headers: as('shopper', '') },
    );
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data, { user: { email: null, name: 'Ada' } });
    assert.deepEqual(r.body.errors, [
      {
        message: 'Unauthorized field or type',
        locations: [{ line: 1, column: 20 }],
        path: ['user', 'email'],
        extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
      },
    ]);
    // keys keep the order the client asked for
    assert.ok(r.text.indexOf('"email"') < r.text.indexOf('"name"'));
    assert.equal(calls.get('User.email') ?? 0, before);
    const events = s.states.at(-1)?.events.filter((e) => e.source === 'scopes') ?? [];
    assert.equal(events.length, 1);
    assert.deepEqual(
      { ...events[0], at: 0 },
      {
        source: 'scopes',
        outcome: 'removed',
        code: 'UNAUTHORIZED_FIELD_OR_TYPE',
        coordinate: 'User.email',
        path: 'user.email',
        rule: undefined,
        reason: 'missing scopes pii:read',
        details: { missingScopes: ['pii:read'], failedPolicies: undefined, principal: 'shopper', dryRun: undefined },
        at: 0,
      },
    );
  });

  it('Apollo Router example: anonymous me is null, user.email is null, two errors', async () => {
    const r = await postGraphQL(s.graphqlUrl, {
      query: '{ me { name email } user(id: "u1") { name email } }',
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data, { me: null, user: { name: 'Ada', email: null } });
    assert.deepEqual(errorPaths(r.body), ['UNAUTHORIZED_FIELD_OR_TYPE@me', 'UNAUTHORIZED_FIELD_OR_TYPE@user.email']);
  });

  it('Router example /users/@/email: one error per list item with its index', async () => {
    const r = await postGraphQL(s.graphqlUrl, { query: '{ users { name email } }' }, { headers: as('shopper') });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data.users, [
      { name: 'Ada', email: null },
      { name: 'Bob', email: null },
      { name: 'Cy', email: null },
    ]);
    assert.deepEqual(errorPaths(r.body), [
      'UNAUTHORIZED_FIELD_OR_TYPE@users.0.email',
      'UNAUTHORIZED_FIELD_OR_TYPE@users.1.email',
      'UNAUTHORIZED_FIELD_OR_TYPE@users.2.email',
    ]);
    const events = s.states.at(-1)?.events ?? [];
    assert.deepEqual(
      events.map((e) => [e.coordinate, e.path]),
      [['User.email', 'users.@.email']],
    );
  });

  it('nested lists and aliases through fragments: exact paths', async () => {
    const query = `{
      first: user(id: "u1") { ...Contact }
      second: user(id: "u2") { mail: email }
      everyone: users { ... on User { who: name, e1: email } ...Contact }
    }
    fragment Contact on User { name contact: email }`;
    const r = await postGraphQL(s.graphqlUrl, { query }, { headers: as('shopper') });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data.first, { name: 'Ada', contact: null });
    assert.deepEqual(r.body.data.second, { mail: null });
    assert.deepEqual(r.body.data.everyone[1], { who: 'Bob', e1: null, name: 'Bob', contact: null });
    assert.deepEqual(errorPaths(r.body), [
      'UNAUTHORIZED_FIELD_OR_TYPE@first.contact',
      'UNAUTHORIZED_FIELD_OR_TYPE@second.mail',
      'UNAUTHORIZED_FIELD_OR_TYPE@everyone.0.e1',
      'UNAUTHORIZED_FIELD_OR_TYPE@everyone.0.contact',
      'UNAUTHORIZED_FIELD_OR_TYPE@everyone.1.e1',
      'UNAUTHORIZED_FIELD_OR_TYPE@everyone.1.contact',
      'UNAUTHORIZED_FIELD_OR_TYPE@everyone.2.e1',
      'UNAUTHORIZED_FIELD_OR_TYPE@everyone.2.contact',
    ]);
  });

  it('no interface bypass: { node { secret } } hides a User secret but not a Product one', async () => {
    const u = await postGraphQL(
      s.graphqlUrl,
      { query: '{ node(id: "u1") { id secret } }' },
      { headers: as('shopper') },
    );
    assert.equal(u.status, 200);
    assert.deepEqual(u.body.data, { node: { id: 'u1', secret: null } });
    assert.deepEqual(errorPaths(u.body), ['UNAUTHORIZED_FIELD_OR_TYPE@node.secret']);
    assert.ok(!u.text.includes('u1-secret'));

    const p = await postGraphQL(
      s.graphqlUrl,
      { query: '{ node(id: "p1") { id secret } }' },
      { headers: as('shopper') },
    );
    assert.deepEqual(p.body, { data: { node: { id: 'p1', secret: 'p1-public' } } });

    const withSecretScope = await postGraphQL(
      s.graphqlUrl,
      { query: '{ node(id: "u1") { secret } }' },
      { headers: as('ops', 'secret:read') },
    );
    assert.deepEqual(withSecretScope.body, { data: { node: { secret: 'u1-secret' } } });
  });

  it('no interface bypass through a fragment on the interface, nor through __typename games', async () => {
    const query = `{ node(id: "u2") { ...N __typename } } fragment N on Node { s: secret }`;
    const r = await postGraphQL(s.graphqlUrl, { query }, { headers: as('shopper') });
    assert.deepEqual(r.body.data, { node: { s: null, __typename: 'User' } });
    assert.deepEqual(errorPaths(r.body), ['UNAUTHORIZED_FIELD_OR_TYPE@node.s']);
  });

  it('no bypass through an interface fragment inside a union', async () => {
    const r = await postGraphQL(
      s.graphqlUrl,
      { query: '{ search { ... on Node { id secret } } }' },
      { headers: as('shopper') },
    );
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data.search, [
      { id: 'p1', secret: 'p1-public' },
      { id: 'u2', secret: null },
      { id: 'p2', secret: 'p2-public' },
    ]);
    assert.deepEqual(errorPaths(r.body), ['UNAUTHORIZED_FIELD_OR_TYPE@search.1.secret']);
    assert.ok(!r.text.includes('u2-secret'));
  });

  it('a type-level requirement applies to every field of the type, also selected through the interface', async () => {
    const r = await postGraphQL(s.graphqlUrl, { query: '{ nodes { id } }' }, { headers: as('shopper') });
    assert.equal(r.status, 200);
    // Vault.id is ID!: the null propagates to the list item (nullable)
    assert.deepEqual(r.body.data, { nodes: [{ id: 'u1' }, { id: 'p1' }, null] });
    assert.deepEqual(errorPaths(r.body), ['UNAUTHORIZED_FIELD_OR_TYPE@nodes.2.id']);
    const ok = await postGraphQL(s.graphqlUrl, { query: '{ nodes { id } }' }, { headers: as('ops', 'vault:read') });
    assert.deepEqual(ok.body, { data: { nodes: [{ id: 'u1' }, { id: 'p1' }, { id: 'v1' }] } });
  });

  it('Router example: a type requiring auth can be queried through its interface, its own fragment is removed', async () => {
    const r = await postGraphQL(
      s.graphqlUrl,
      { query: '{ nodes { ... on Vault { secret } ... on Product { name } } }' },
      {},
    );
    assert.deepEqual(r.body.data, { nodes: [{}, { name: 'Lamp' }, { secret: null }] });
    assert.deepEqual(errorPaths(r.body), ['UNAUTHORIZED_FIELD_OR_TYPE@nodes.2.secret']);
  });

  it('unions: only the members whose field is refused get null and an error', async () => {
    const query = '{ search { __typename ... on User { name email } ... on Product { title: name cost } } }';
    const r = await postGraphQL(s.graphqlUrl, { query }, { headers: as('analyst', 'finance:read') });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data.search, [
      { __typename: 'Product', title: 'Lamp', cost: 12 },
      { __typename: 'User', name: 'Bob', email: null },
      { __typename: 'Product', title: 'Desk', cost: 120 },
    ]);
    assert.deepEqual(errorPaths(r.body), ['UNAUTHORIZED_FIELD_OR_TYPE@search.1.email']);
  });

  it('@skip of a protected field: no error; @include(if: false) likewise; the same field included is removed', async () => {
    const query = 'query ($s: Boolean!) { user(id: "u1") { name email @skip(if: $s) } }';
    const skipped = await postGraphQL(s.graphqlUrl, { query, variables: { s: true } }, { headers: as('shopper') });
    assert.deepEqual(skipped.body, { data: { user: { name: 'Ada' } } });
    const kept = await postGraphQL(s.graphqlUrl, { query, variables: { s: false } }, { headers: as('shopper') });
    assert.deepEqual(errorPaths(kept.body), ['UNAUTHORIZED_FIELD_OR_TYPE@user.email']);
    const inc = await postGraphQL(
      s.graphqlUrl,
      { query: '{ user(id: "u1") { name ... @include(if: false) { email } } }' },
      { headers: as('shopper') },
    );
    assert.deepEqual(inc.body, { data: { user: { name: 'Ada' } } });
  });

  it('argument requirement: passing the argument literally or by variable removes the field; omitting it does not', async () => {
    const literal = await postGraphQL(
      s.graphqlUrl,
      { query: '{ products(includeHidden: true) { name } version }' },
      { headers: as('shopper') },
    );
    assert.deepEqual(literal.body.data, { products: null, version: '1.0' });
    assert.deepEqual(errorPaths(literal.body), ['UNAUTHORIZED_FIELD_OR_TYPE@products']);
    assert.equal(s.states.at(-1)?.events[0]?.coordinate, 'Query.products(includeHidden:)');

    const q = 'query ($h: Boolean) { products(includeHidden: $h) { name } version }';
    const viaVar = await postGraphQL(s.graphqlUrl, { query: q, variables: { h: true } }, { headers: as('shopper') });
    assert.deepEqual(errorPaths(viaVar.body), ['UNAUTHORIZED_FIELD_OR_TYPE@products']);
    const explicitNull = await postGraphQL(
      s.graphqlUrl,
      { query: q, variables: { h: null } },
      { headers: as('shopper') },
    );
    assert.deepEqual(errorPaths(explicitNull.body), ['UNAUTHORIZED_FIELD_OR_TYPE@products']);
    const omitted = await postGraphQL(s.graphqlUrl, { query: q }, { headers: as('shopper') });
    assert.deepEqual(omitted.body, { data: { products: [{ name: 'Lamp' }, { name: 'Desk' }], version: '1.0' } });
    const admin = await postGraphQL(
      s.graphqlUrl,
      { query: q, variables: { h: true } },
      { headers: as('a', 'catalog:admin') },
    );
    assert.equal(admin.body.errors, undefined);
  });

  it('input-field requirement: literal, variable object, nested, and absent', async () => {
    const h = as('clerk', 'orders:read');
    const lit = await postGraphQL(
      s.graphqlUrl,
      { query: '{ orders(filter: { customerEmail: "a@b" }) { id } version }' },
      { headers: h },
    );
    assert.deepEqual(lit.body.data, { orders: null, version: '1.0' });
    assert.deepEqual(errorPaths(lit.body), ['UNAUTHORIZED_FIELD_OR_TYPE@orders']);

    const q = 'query ($f: OrderFilter) { orders(filter: $f) { id } version }';
    const nested = await postGraphQL(
      s.graphqlUrl,
      { query: q, variables: { f: { status: 'paid', nested: { customerEmail: 'a@b' } } } },
      { headers: h },
    );
    assert.deepEqual(errorPaths(nested.body), ['UNAUTHORIZED_FIELD_OR_TYPE@orders']);
    const fine = await postGraphQL(s.graphqlUrl, { query: q, variables: { f: { status: 'paid' } } }, { headers: h });
    assert.deepEqual(fine.body, { data: { orders: [{ id: 'o1' }], version: '1.0' } });
    const inner = await postGraphQL(
      s.graphqlUrl,
      { query: 'query ($e: String) { orders(filter: { status: "x", customerEmail: $e }) { id } version }' },
      { headers: h },
    );
    assert.deepEqual(inner.body.data.orders, [{ id: 'o1' }], 'an unset variable leaves the input field absent');
    const granted = await postGraphQL(
      s.graphqlUrl,
      { query: q, variables: { f: { customerEmail: 'a@b' } } },
      { headers: as('clerk', 'orders:read pii:read') },
    );
    assert.deepEqual(granted.body, { data: { orders: [{ id: 'o1' }], version: '1.0' } });
  });

  it('a composite field whose every subfield is removed keeps its object, with nulls inside', async () => {
    const r = await postGraphQL(
      s.graphqlUrl,
      { query: '{ user(id: "u1") { email } version }' },
      { headers: as('shopper') },
    );
    assert.deepEqual(r.body.data, { user: { email: null }, version: '1.0' });
    assert.ok(!r.text.includes('__rampart'));
  });

  it('the cached document is not changed: the same query text then works for an authorized caller', async () => {
    const query = '{ user(id: "u3") { name email } }';
    const denied = await postGraphQL(s.graphqlUrl, { query }, { headers: as('shopper') });
    assert.deepEqual(denied.body.data, { user: { name: 'Cy', email: null } });
    const allowed = await postGraphQL(s.graphqlUrl, { query }, { headers: as('ops', 'pii:read') });
    assert.deepEqual(allowed.body, { data: { user: { name: 'Cy', email: 'cy@example.com' } } });
  });

  it('when nothing authorized remains the operation is refused: 403, or 401 with a Bearer challenge when anonymous', async () => {
    const before = calls.get('updatePrice') ?? 0;
    const m = 'mutation { updatePrice(id: "p1", price: 1) { id } }';
    const r = await postGraphQL(s.graphqlUrl, { query: m }, { headers: as('shopper', 'pii:read') });
    assert.equal(r.status, 403);
    assert.equal(r.body.errors[0].extensions.code, 'FORBIDDEN');
    assert.equal(r.body.data, undefined);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="graphql", error="insufficient_scope"');
    assert.equal(calls.get('updatePrice') ?? 0, before, 'the mutation never ran');
    const ev = s.states.at(-1)?.events ?? [];
    assert.deepEqual(
      ev.map((e) => [e.outcome, e.code, e.coordinate]),
      [['denied', 'FORBIDDEN', 'Mutation.updatePrice']],
    );

    const anon = await postGraphQL(s.graphqlUrl, { query: '{ me { name } }' });
    assert.equal(anon.status, 401);
    assert.equal(anon.body.errors[0].extensions.code, 'UNAUTHENTICATED');
    assert.equal(anon.headers.get('www-authenticate'), 'Bearer realm="graphql"');
  });

  it('policies: evaluated once per request however often they are named, async allowed, throwing denies', async () => {
    let count = 0;
    const logged: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error(message: string) {
        logged.push(message);
      },
    };
    const p = await startScopesServer(
      {
        policies: {
          businessHours: async () => {
            count++;
            await new Promise((r) => setImmediate(r));
            return true;
          },
          isStaff: () => false,
          isAdmin: () => true,
          throws: () => {
            throw new Error('boom');
          },
        },
      },
      undefined,
      logger,
    );
    try {
      const query =
        '{ a: report { title } b: report { title } ...R stats } fragment R on Query { c: report { title } }';
      const r = await postGraphQL(p.graphqlUrl, { query }, { headers: as('u') });
      assert.deepEqual(r.body, { data: { a: { title: 'Q3' }, b: { title: 'Q3' }, c: { title: 'Q3' }, stats: 7 } });
      assert.equal(count, 1);
      const none = await postGraphQL(p.graphqlUrl, { query: '{ version }' }, { headers: as('u') });
      assert.deepEqual(none.body, { data: { version: '1.0' } });
      assert.equal(count, 1, 'not evaluated when nothing names it');
      const broken = await postGraphQL(p.graphqlUrl, { query: '{ broken version }' }, { headers: as('u') });
      assert.deepEqual(broken.body.data, { broken: null, version: '1.0' });
      assert.deepEqual(errorPaths(broken.body), ['UNAUTHORIZED_FIELD_OR_TYPE@broken']);
      const ev = p.states.at(-1)?.events ?? [];
      assert.deepEqual(
        ev.map((e) => [e.outcome, e.rule]),
        [
          ['error', 'throws'],
          ['removed', 'throws'],
        ],
      );
      const again = await postGraphQL(p.graphqlUrl, { query: '{ broken version }' }, { headers: as('u') });
      assert.deepEqual(again.body.data, { broken: null, version: '1.0' });
      const policyLines = logged.filter((line) => line.includes('policy "throws" threw'));
      assert.equal(policyLines.length, 1, 'logged once per policy, not once per request');
      assert.match(policyLines[0] ?? '', /Error: boom/);
    } finally {
      await p.stop();
    }
  });

  it('policies: OR of AND groups (businessHours AND isStaff, or isAdmin)', async () => {
    let calledStaff = 0;
    const p = await startScopesServer({
      policies: {
        businessHours: () => true,
        isStaff: () => {
          calledStaff++;
          return true;
        },
        isAdmin: () => false,
        throws: () => true,
      },
    });
    try {
      const r = await postGraphQL(p.graphqlUrl, { query: '{ stats }' }, { headers: as('u') });
      assert.deepEqual(r.body, { data: { stats: 7 } }, 'businessHours AND isStaff grants');
      assert.equal(calledStaff, 1);
    } finally {
      await p.stop();
    }
  });

  it('caps the number of path errors and counts the rest', async () => {
    const p = await startScopesServer({ maxFieldErrors: 2, policies });
    try {
      const r = await postGraphQL(p.graphqlUrl, { query: '{ users { email } version }' }, { headers: as('shopper') });
      assert.equal(r.body.errors.length, 3);
      assert.deepEqual(r.body.errors[2].extensions, { omittedPaths: 1, code: 'UNAUTHORIZED_FIELD_OR_TYPE' });
      assert.equal(r.body.data.users.length, 3);
    } finally {
      await p.stop();
    }
  });
});
