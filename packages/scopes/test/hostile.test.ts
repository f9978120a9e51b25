import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postGraphQL } from '@rampart/testing';
import { as, startScopesServer } from './fixture.js';

type Server = Awaited<ReturnType<typeof startScopesServer>>;
const policies = { businessHours: () => true, isStaff: () => true, isAdmin: () => false, throws: () => true };

describe('hostile operations', () => {
  let s: Server;
  before(async () => {
    s = await startScopesServer({ policies });
  });
  after(() => s.stop());

  it('5,000 aliases of a protected field in a list: 200, errors capped at 100 + 1', async () => {
    const aliases = Array.from({ length: 5000 }, (_, i) => `e${i}: email`).join(' ');
    const r = await postGraphQL(s.graphqlUrl, { query: `{ users { name ${aliases} } }` }, { headers: as('x') });
    assert.equal(r.status, 200);
    assert.equal(r.body.errors.length, 101);
    assert.equal(r.body.errors[100].extensions.omittedPaths, 3 * 5000 - 100);
    assert.equal(r.body.data.users[2].e4999, null);
    assert.equal(r.body.data.users[2].name, 'Cy');
  });

  it('a client alias that collides with the rewrite key is left alone', async () => {
    const r = await postGraphQL(
      s.graphqlUrl,
      { query: '{ node(id: "u1") { __rampart_t: id secret } }' },
      { headers: as('x') },
    );
    assert.deepEqual(r.body.data, { node: { __rampart_t: 'u1', secret: null } });
    assert.equal(r.body.errors.length, 1);
  });

  it('variables of the wrong shape for a guarded input never give a 500', async () => {
    const q = 'query ($f: OrderFilter) { orders(filter: $f) { id } }';
    const cases: [unknown, number, string][] = [
      [[1, 2], 400, 'BAD_USER_INPUT'],
      ['x', 400, 'BAD_USER_INPUT'],
      [{ nested: [{ customerEmail: 1 }] }, 400, 'BAD_USER_INPUT'],
      // the input field is passed (whatever its value): refused before its value is even coerced
      [{ customerEmail: { deep: true } }, 403, 'FORBIDDEN'],
    ];
    for (const [f, status, code] of cases) {
      const r = await postGraphQL(s.graphqlUrl, { query: q, variables: { f } }, { headers: as('x', 'orders:read') });
      assert.equal(r.status, status, JSON.stringify(f));
      assert.equal(r.body.errors[0].extensions.code, code, JSON.stringify(f));
    }
  });

  it('deeply nested fragments are checked once each (linear), not once per path', async () => {
    // F0 spreads F1 twice under two aliases, F1 spreads F2 twice, … : 2^20 paths, 20 fragments
    const depth = 20;
    const frags = Array.from({ length: depth }, (_, i) =>
      i === depth - 1
        ? `fragment F${i} on User { email }`
        : `fragment F${i} on User { ...F${i + 1} ... on User { ...F${i + 1} } }`,
    ).join('\n');
    const r = await postGraphQL(
      s.graphqlUrl,
      { query: `{ user(id: "u1") { name ...F0 } } ${frags}` },
      { headers: as('x') },
    );
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data, { user: { name: 'Ada', email: null } });
    assert.equal(r.body.errors.length, 1);
  });
});
