import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postGraphQL } from '@rampart/testing';
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery, printSchema } from 'graphql';
import { as, startScopesServer } from './fixture.js';

type Server = Awaited<ReturnType<typeof startScopesServer>>;
const policies = { businessHours: () => true, isStaff: () => false, isAdmin: () => false, throws: () => true };

describe('filterIntrospection', () => {
  let s: Server;
  before(async () => {
    s = await startScopesServer({ filterIntrospection: true, policies });
  });
  after(() => s.stop());

  it('__type shows only the fields the caller may select, whatever the aliases', async () => {
    const r = await postGraphQL(
      s.graphqlUrl,
      { query: '{ __type(name: "User") { n: name f: fields { name } } }' },
      {
        headers: as('shopper'),
      },
    );
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      data: { __type: { n: 'User', f: [{ name: 'id' }, { name: 'name' }, { name: 'orders' }] } },
    });
  });

  it('works when the client does not even select names', async () => {
    const r = await postGraphQL(
      s.graphqlUrl,
      { query: '{ __type(name: "User") { fields { description } } }' },
      {
        headers: as('shopper'),
      },
    );
    assert.equal(r.body.data.__type.fields.length, 3);
    assert.ok(!r.text.includes('__rampart'));
  });

  it('hides types, possible types, arguments and input fields; __type of a hidden type is null', async () => {
    const q = `{
      vault: __type(name: "Vault") { name }
      node: __type(name: "Node") { possibleTypes { name } }
      query: __type(name: "Query") { fields { name args { name } } }
      filter: __type(name: "OrderFilter") { inputFields { name } }
      __schema { types { name } }
    }`;
    const r = await postGraphQL(s.graphqlUrl, { query: q });
    assert.equal(r.status, 200);
    assert.equal(r.body.data.vault, null);
    assert.deepEqual(r.body.data.node.possibleTypes.map((t: { name: string }) => t.name).sort(), ['Product', 'User']);
    const fields = r.body.data.query.fields as { name: string; args: { name: string }[] }[];
    assert.deepEqual(
      fields.map((f) => f.name),
      ['user', 'users', 'node', 'nodes', 'search', 'products', 'report', 'broken', 'version'],
    );
    assert.deepEqual(
      fields.find((f) => f.name === 'products')?.args.map((a) => a.name),
      ['first'],
    );
    assert.deepEqual(
      r.body.data.filter.inputFields.map((f: { name: string }) => f.name),
      ['status', 'nested'],
    );
    const types = (r.body.data.__schema.types as { name: string }[]).map((t) => t.name);
    assert.ok(!types.includes('Vault'));
    assert.ok(types.includes('User'));
  });

  it('the full introspection query still builds a valid client schema; a caller with every scope sees everything', async () => {
    const anon = await postGraphQL(s.graphqlUrl, { query: getIntrospectionQuery() });
    assert.equal(anon.status, 200);
    const limited = buildClientSchema(anon.body.data as IntrospectionQuery);
    assert.equal(limited.getType('Vault'), undefined);
    assert.equal(limited.getQueryType()?.getFields().me, undefined);
    assert.ok(!printSchema(limited).includes('email'));

    const full = await postGraphQL(
      s.graphqlUrl,
      { query: getIntrospectionQuery() },
      {
        headers: as('admin', 'pii:read secret:read vault:read catalog:admin orders:read'),
      },
    );
    const all = buildClientSchema(full.body.data as IntrospectionQuery);
    assert.ok(all.getType('Vault'));
    assert.ok(printSchema(all).includes('email'));
    assert.ok(printSchema(all).includes('includeHidden'));
    // stats needs isAdmin or (businessHours and isStaff): both false here
    assert.equal(all.getQueryType()?.getFields().stats, undefined);
  });

  it('filters introspection mixed with data, and keeps removing data fields', async () => {
    const r = await postGraphQL(
      s.graphqlUrl,
      {
        query: '{ user(id: "u1") { name email } __type(name: "User") { fields { name } } }',
      },
      { headers: as('shopper') },
    );
    assert.deepEqual(r.body.data.user, { name: 'Ada', email: null });
    assert.equal(r.body.data.__type.fields.length, 3);
    assert.equal(r.body.errors.length, 1);
  });
});
