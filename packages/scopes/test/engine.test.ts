import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anonymousPrincipal, createPrincipal, selectOperation } from '@rampart/core';
import { parse, print } from 'graphql';
import { analyzeScopes } from '../src/analyze.js';
import { Evaluator } from '../src/evaluate.js';
import { isRequirementFree } from '../src/requirement-free.js';
import { modelOf, RequirementTable } from '../src/requirements.js';
import { pickAliases, rewriteDocument } from '../src/rewrite.js';
import { buildSchema } from './fixture.js';

const schema = buildSchema();
const model = modelOf(schema);
const user = (scopes: string[] = []) => createPrincipal({ id: 'u', kind: 'user', authMethod: 'jwt', scopes });

describe('requirement model', () => {
  it('merges so the most restrictive wins: field + interface field + type + return type', () => {
    assert.deepEqual(model.field('Vault', 'secret')?.requirement?.scopes, [[['vault:read']]]);
    const me = model.field('Query', 'me')?.requirement;
    assert.equal(me?.authenticated, true);
    assert.equal(model.field('Query', 'version'), undefined);
    assert.equal(model.field('User', 'name'), undefined);
    // an interface field refused for some implementations is known per type
    const ai = model.abstractField('Node', 'secret');
    assert.deepEqual([...(ai?.perType.keys() ?? [])].sort(), ['User', 'Vault']);
    assert.deepEqual(ai?.possibleTypes.slice().sort(), ['Product', 'User', 'Vault']);
  });

  it('a directive on a scalar or an enum applies to every field returning it', async () => {
    const { makeExecutableSchema } = await import('@graphql-tools/schema');
    const { scopesTypeDefs } = await import('../src/index.js');
    const m = modelOf(
      makeExecutableSchema({
        typeDefs: [
          scopesTypeDefs,
          `enum Tier @requiresScopes(scopes: [["tier:read"]]) { GOLD SILVER }
           scalar Secret @authenticated
           type Query { tier: Tier tiers: [Tier!]! code: Secret plain: Int }`,
        ],
      }),
    );
    assert.deepEqual(m.field('Query', 'tier')?.requirement?.scopes, [[['tier:read']]]);
    assert.deepEqual(m.field('Query', 'tiers')?.requirement?.scopes, [[['tier:read']]]);
    assert.equal(m.field('Query', 'code')?.requirement?.authenticated, true);
    assert.equal(m.field('Query', 'plain'), undefined);
  });

  it('interns equal requirements and merges DNFs by conjunction', () => {
    const t = new RequirementTable();
    const a = t.make(false, [[['b', 'a'], ['c']]], []);
    const b = t.make(false, [[['c'], ['a', 'b']]], []);
    assert.equal(a, b);
    const m = t.merge(a, t.make(true, [[['x']]], []));
    assert.equal(m?.authenticated, true);
    assert.equal(m?.scopes.length, 2);
    assert.equal(t.make(false, [[[]]], []), undefined, '[[]] grants everyone');
  });

  it('an empty alternative list grants nobody', () => {
    const t = new RequirementTable();
    const r = t.make(false, [[]], []);
    assert.equal(new Evaluator(user(['anything'])).check(r).ok, false);
  });

  it('reports the closest alternative as the missing scopes', () => {
    const r = model.field('Product', 'cost')?.requirement;
    const v = new Evaluator(user(['catalog:read'])).check(r);
    assert.equal(v.ok, false);
    assert.equal(v.missingScopes.length, 1);
    assert.equal(new Evaluator(user(['finance:read'])).check(r).ok, true);
    assert.equal(
      new Evaluator(anonymousPrincipal()).check(model.field('Query', 'me')?.requirement).unauthenticated,
      true,
    );
  });
});

describe('analysis and rewrite', () => {
  function run(query: string, scopes: string[] = [], variables?: Record<string, unknown>) {
    const doc = parse(query);
    const op = doc.definitions.find((d) => d.kind === 'OperationDefinition');
    if (op?.kind !== 'OperationDefinition') throw new Error('no op');
    const fr = selectOperation(doc).fragments;
    const a = analyzeScopes(model, new Evaluator(user(scopes)), op, fr, variables);
    return { doc, op, a };
  }

  it('rewrites without touching the original document; splits interface fields by allowed type', () => {
    const { doc, op, a } = run('{ node(id: "x") { id secret } }');
    const before = print(doc);
    const r = rewriteDocument(schema, doc, op, a, pickAliases(a));
    assert.equal(print(doc), before);
    assert.equal(
      print(r.document).replace(/\s+/g, ' '),
      // Vault (type-level vault:read) refuses even `id`; User refuses `secret`
      '{ node(id: "x") { ... on User { id } ... on Product { id } ... on Product { secret } __rampart_t: __typename } }',
    );
  });

  it('fragments are checked once, however often they are spread', () => {
    const spreads = Array.from({ length: 200 }, (_, i) => `a${i}: users { ...F }`).join(' ');
    const { a } = run(`{ ${spreads} } fragment F on User { name email }`);
    assert.equal(a.denials.length, 1);
    assert.equal(a.keptLeaf, true);
  });

  // Changed with core's selectOperation: before, the last definition of a name was checked.
  it('a fragment defined twice is checked as its first definition (graphql-js keeps the first)', () => {
    const { a } = run('{ users { ...F } } fragment F on User { name } fragment F on User { email }');
    assert.equal(a.denials.length, 0);
    const { a: reversed } = run('{ users { ...F } } fragment F on User { email } fragment F on User { name }');
    assert.equal(reversed.denials.length, 1);
  });

  it('avoids a typename alias the client already uses', () => {
    const { doc, op, a } = run('{ user(id: "1") { __rampart_t: name email } }');
    const r = rewriteDocument(schema, doc, op, a, pickAliases(a));
    assert.match(print(r.document), /__rampart_t: name/);
    assert.deepEqual(pickAliases(a), { typename: '__rampart_t1', name: '__rampart_n1' });
    assert.equal(a.reservedKeys.has('__rampart_t'), true);
  });

  it('refuses hostile, very deep input values instead of recursing without bound', () => {
    let v: unknown = { customerEmail: 'x' };
    for (let i = 0; i < 5000; i++) v = { nested: v };
    const { a } = run('query ($f: OrderFilter) { orders(filter: $f) { id } }', ['orders:read'], { f: v });
    assert.equal(a.denials.length, 1);
  });
});

describe('isRequirementFree (skips the per-request analysis)', () => {
  const free = (query: string, filterIntrospection = false) => {
    const doc = parse(query);
    const op = doc.definitions.find((d) => d.kind === 'OperationDefinition');
    assert.ok(op && op.kind === 'OperationDefinition');
    return isRequirementFree(model, op, selectOperation(doc).fragments, filterIntrospection);
  };

  it('true when nothing the operation can reach declares anything', () => {
    assert.equal(free('{ version }'), true);
    assert.equal(free('{ user(id: "1") { name orders { id total } } }'), true);
    assert.equal(free('{ search { __typename } }'), true);
    assert.equal(free('mutation { placeOrder(productId: "1") { id total } }'), true);
    assert.equal(free('{ __schema { types { name } } }'), true);
  });

  it('false as soon as one field, argument, fragment or possible type declares something', () => {
    assert.equal(free('{ me { name } }'), false);
    assert.equal(free('{ user(id: "1") { ...F } } fragment F on User { email }'), false);
    assert.equal(free('{ search { ... on User { email } } }'), false);
    assert.equal(free('{ node(id: "1") { id } }'), false); // Vault.id needs vault:read
    assert.equal(free('{ products { name } }'), false); // a scoped argument exists
    assert.equal(free('query($f: OrderFilter) { orders(filter: $f) { id } }'), false);
  });

  it('conservative: @skip/@include do not make a field disappear; filtered introspection counts', () => {
    assert.equal(free('{ user(id: "1") { name email @skip(if: true) } }'), false);
    assert.equal(free('{ user(id: "1") { name ... @include(if: false) { email } } }'), false);
    assert.equal(free('{ __schema { types { name } } }', true), false);
    assert.equal(free('{ __type(name: "User") { name } }', true), false);
  });
});
