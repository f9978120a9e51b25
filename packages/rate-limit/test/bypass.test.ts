import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createPrincipal } from '@rampart/core';
import { postGraphQL } from '@rampart/testing';
import { GraphQLScalarType, valueFromASTUntyped } from 'graphql';
import { defaultKeyGenerator, MemoryStore } from '../src/index.js';
import { ipKey } from '../src/keys.js';
import { resolveRateLimitOptions } from '../src/options.js';
import {
  addressKeys,
  guessingFromManyAddresses,
  onlyInvalidDocuments,
  operationLimitBeforeParsing,
} from './bypass-scenarios.js';
import { baseTypeDefs, type Harness, startHarness, TestClock } from './helpers.js';

const harnesses: Harness[] = [];
after(async () => {
  for (const h of harnesses) await h.stop();
});
const memory = async () => ({ store: new MemoryStore() });

describe('rate limits before the expensive part (memory store)', () => {
  test('standalone plugin: a client at its operation limit gets 429 for invalid documents, none parsed', () =>
    operationLimitBeforeParsing(memory, harnesses, false));
  test('module onHttpRequest (rampart().context): the same, refused in the context function', () =>
    operationLimitBeforeParsing(memory, harnesses, true));
  test('a client sending only invalid documents is limited by calls and by the cost budget', () =>
    onlyInvalidDocuments(memory, harnesses));
});

describe('guessing spread over many addresses (memory store)', () => {
  test('25 failed attempts at one e-mail from 25 addresses: 5 evaluated, paced not locked', () =>
    guessingFromManyAddresses(memory, harnesses));
  test('IPv6: one key per address whatever its spelling, one per /64 by default', () => addressKeys(memory, harnesses));
  test('ipKey and defaultKeyGenerator canonicalise; ipv6Prefix is checked', () => {
    const p = (ip: string) => createPrincipal({ id: 'anonymous', kind: 'anonymous', authMethod: 'none', ip });
    assert.equal(ipKey(p('2001:DB8:0:0:1::5')), 'ip:2001:db8::/64');
    assert.equal(ipKey(p('2001:db8::1:0:0:5'), 128), 'ip:2001:db8::1:0:0:5');
    assert.equal(defaultKeyGenerator(p('::ffff:10.0.0.1')), 'ip:10.0.0.1');
    assert.equal(ipKey(p('not an address')), 'ip:unknown');
    assert.throws(() => resolveRateLimitOptions({ ipv6Prefix: 0 }), /rateLimit\.ipv6Prefix/);
    assert.throws(() => resolveRateLimitOptions({ ipv6Prefix: 129 }), /rateLimit\.ipv6Prefix/);
    assert.throws(
      () =>
        resolveRateLimitOptions({
          bruteForce: [{ field: 'Mutation.login', identifierDelaySeconds: 10, identifierMaxDelaySeconds: 5 }],
        }),
      /rateLimit\.bruteForce\[0\].identifierMaxDelaySeconds/,
    );
    // the earlier names are aliases of the unit-suffixed ones; both names disagreeing is a startup error
    const aliased = resolveRateLimitOptions({
      bruteForce: [{ field: 'Mutation.login', identifierDelay: 2, identifierMaxDelay: 8, window: 60, block: 30 }],
    }).bruteForce[0]!;
    assert.deepEqual(
      [aliased.identifierDelaySeconds, aliased.identifierMaxDelaySeconds, aliased.windowSeconds, aliased.blockSeconds],
      [2, 8, 60, 30],
    );
    assert.throws(
      () => resolveRateLimitOptions({ bruteForce: [{ field: 'Mutation.login', block: 30, blockSeconds: 60 }] }),
      /rateLimit\.bruteForce\[0\]\.block: contradicts rateLimit\.bruteForce\[0\]\.blockSeconds/,
    );
    assert.throws(
      () => resolveRateLimitOptions({ costBudget: { maximumAvailable: 1, restoreRate: 1, invalidDocumentCost: -1 } }),
      /rateLimit\.costBudget\.invalidDocumentCost/,
    );
  });
});

describe('arguments are untrusted JSON: keys read own properties only', () => {
  const JSONScalar = new GraphQLScalarType({
    name: 'JSON',
    parseValue: (v) => v, // as graphql-type-json: the variables' JSON as sent
    parseLiteral: (ast) => valueFromASTUntyped(ast),
    serialize: (v) => v,
  });
  const typeDefs = `${baseTypeDefs}
    scalar JSON
    extend type Query {
      lookup(filter: JSON): Boolean @rateLimit(limit: 2, duration: 60, by: "args.filter.email")
      byName(constructor: String, toString: String): Boolean @rateLimit(limit: 2, duration: 60, by: "args.constructor")
      byNested(filter: JSON): Boolean @rateLimit(limit: 2, duration: 60, by: "args.filter.toString")
    }
    extend type Mutation { loginJson(input: JSON): LoginResult }
  `;
  let h: Harness;
  let loginJson = 0;
  test('setup', async () => {
    h = await startHarness(
      { bruteForce: [{ field: 'Mutation.loginJson', identifierArgument: 'input.email' }] },
      {
        clock: new TestClock(),
        typeDefs,
        resolvers: {
          JSON: JSONScalar as never,
          Query: { lookup: () => true, byName: () => true, byNested: () => true },
          Mutation: {
            loginJson: () => {
              loginJson++;
              return { ok: false, token: null };
            },
          },
        },
      },
    );
    harnesses.push(h);
  });

  // raw JSON bodies: `JSON.stringify` of an object literal with `__proto__` would not write the key
  const send = (user: string, variables: string, query = 'query($f: JSON) { lookup(filter: $f) }') =>
    postGraphQL(h.url, `{"query": ${JSON.stringify(query)}, "variables": ${variables}}`, {
      headers: { 'x-user': user },
    });

  test('"__proto__" at the top, nested in objects and in lists never gives the key of the e-mail inside', async () => {
    for (let i = 0; i < 2; i++)
      assert.deepEqual((await send('a', '{"f": {"email": "x@shop.test"}}')).body.data, { lookup: true });
    const used = await send('a', '{"f": {"email": "x@shop.test"}}');
    assert.equal(used.body.errors[0].extensions.code, 'RATE_LIMITED', 'the key of x@shop.test is used up');
    const hostile = [
      '{"f": {"__proto__": {"email": "x@shop.test"}}}',
      '{"f": {"inner": {"__proto__": {"email": "x@shop.test"}}, "__proto__": {"email": "x@shop.test"}}}',
      '{"f": [{"__proto__": {"email": "x@shop.test"}}, {"email": "x@shop.test"}]}',
      '{"f": {"constructor": {"prototype": {"email": "x@shop.test"}}}}',
      '{"__proto__": {"f": {"email": "x@shop.test"}}}',
    ];
    for (const [i, v] of hostile.entries()) {
      const r = await send(`b${i}`, v);
      assert.equal(r.body.errors, undefined, v);
      assert.deepEqual(r.body.data, { lookup: true }, v);
    }
  });

  test('an argument named like a prototype member (constructor, toString) that is not sent: the principal key', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await send('c', '{}', '{ byName }');
      assert.equal(r.body.errors, undefined);
      assert.deepEqual(r.body.data, { byName: true });
    }
    assert.equal((await send('c', '{}', '{ byName }')).body.errors[0].extensions.code, 'RATE_LIMITED');
    const sent = await send('d', '{}', '{ byName(constructor: "k") }');
    assert.deepEqual(sent.body.data, { byName: true });
    const nested = await send('e', '{"f": {}}', 'query($f: JSON) { byNested(filter: $f) }');
    assert.equal(nested.body.errors, undefined);
    assert.deepEqual(nested.body.data, { byNested: true });
  });

  test('the brute-force identifier behind "__proto__" is no identifier: the real one keeps its burst', async () => {
    const attempt = (ip: string, input: string) =>
      postGraphQL(
        h.url,
        `{"query": "mutation($i: JSON) { loginJson(input: $i) { ok } }", "variables": {"i": ${input}}}`,
        { headers: { 'x-test-ip': ip } },
      );
    for (let i = 0; i < 6; i++) await attempt(`198.51.100.${i}`, '{"__proto__": {"email": "v@shop.test"}}');
    assert.equal(loginJson, 6, 'no identifier: not paced');
    for (let i = 0; i < 6; i++) await attempt(`198.51.100.${50 + i}`, '{"email": "v@shop.test"}');
    assert.equal(loginJson, 6 + 5, 'the real identifier: its whole burst, then paced');
  });
});
