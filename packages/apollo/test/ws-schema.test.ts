/**
 * The pieces of `graphqlWs()` that need no socket: the recursive-selections cap as a validation rule
 * (fragment bombs), and which Subscription fields reach a Rampart directive (the startup warning).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { rampart } from '@rampart/apollo';
import { parse, specifiedRules, validate } from 'graphql';
import { maxRecursiveSelectionsRule } from '../src/ws/recursive-selections.js';
import { guardedSubscriptionFields } from '../src/ws/schema-warning.js';

const security = rampart({ logger: { warn() {}, error() {} } });
const schemaOf = (sdl: string) => makeExecutableSchema({ typeDefs: [security.typeDefs, sdl] });

describe('maxRecursiveSelectionsRule', () => {
  const schema = schemaOf('type T { a: T, b: Int } type Query { t: T }');
  const bomb = (levels: number) => {
    let doc = 'query { t { ...F0 } }\nfragment F0 on T { b }\n';
    for (let i = 1; i <= levels; i++) doc += `fragment F${i} on T { a { ...F${i - 1} } b: a { ...F${i - 1} } }\n`;
    return doc.replace('...F0 } }', `...F${levels} } }`);
  };

  it('counts selections with fragments expanded, once per fragment (a bomb is refused quickly)', () => {
    const rules = [...specifiedRules, maxRecursiveSelectionsRule(1000)];
    // 2^30 selections once expanded, a few hundred bytes as text
    const started = performance.now();
    const errors = validate(schema, parse(bomb(30)), rules);
    assert.ok(performance.now() - started < 500);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.extensions.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.match(errors[0]!.message, /at most 1000/);
    assert.deepEqual(validate(schema, parse(bomb(5)), rules), []);
  });

  it('a fragment cycle is reported by graphql-js, not looped on', () => {
    const doc = parse('query { t { ...A } } fragment A on T { a { ...B } } fragment B on T { a { ...A } }');
    const errors = validate(schema, doc, [...specifiedRules, maxRecursiveSelectionsRule(10)]);
    assert.ok(errors.some((e) => /cannot spread fragment/i.test(e.message)));
  });
});

describe('guardedSubscriptionFields', () => {
  it('finds directives on the field, its arguments, and anything reachable from its result (cycles included)', () => {
    const schema = schemaOf(`
      type A { b: B, plain: Int }
      type B { a: A, secret: String @authenticated }
      type C { n: Int }
      union U = C | B
      interface I { id: ID }
      type Impl implements I { id: ID, hidden: Int @requiresScopes(scopes: [["x"]]) }
      type Query { ok: Int }
      type Subscription {
        viaCycle: A
        direct: Int @rateLimit(limit: 1, duration: 1)
        viaUnion: U
        viaInterface: I
        plain: C
      }
    `);
    assert.deepEqual(guardedSubscriptionFields(schema), [
      'Subscription.viaCycle',
      'Subscription.direct',
      'Subscription.viaUnion',
      'Subscription.viaInterface',
    ]);
    assert.deepEqual(guardedSubscriptionFields(schemaOf('type Query { ok: Int }')), []);
  });
});
