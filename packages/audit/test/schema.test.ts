import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLInputType } from 'graphql';
import { auditTypeDefs } from '../src/index.js';
import { createRedactor, redactArguments, redactInput } from '../src/redact.js';
import { nameMatcher, REDACTED, sanitizeValue } from '../src/sanitize.js';
import { indexSchema } from '../src/schema.js';

const schema = makeExecutableSchema({
  typeDefs: [
    auditTypeDefs,
    /* GraphQL */ `
      scalar Password @sensitive
      input Secret @sensitive {
        value: String
      }
      input Login {
        user: String
        password: Password
        secret: Secret
        note: String
      }
      interface Account {
        id: ID!
        balance: Float @sensitive @audit(level: RESPONSE)
        owner(reveal: String @sensitive): String @audit
      }
      type Savings implements Account {
        id: ID!
        balance: Float
        owner(reveal: String): String @audit(level: REQUEST)
      }
      type Checking implements Account {
        id: ID!
        balance: Float @audit(level: METADATA)
        owner(reveal: String): String
      }
      type Query {
        accounts: [Account!]!
        login(input: Login): Boolean
      }
    `,
  ],
});

/** Records are dictionaries with no prototype: compare them as the JSON they are written as. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

describe('schema index', () => {
  const index = indexSchema(schema);

  it('implementing fields inherit @audit and @sensitive from the interface (most thorough level wins)', () => {
    assert.equal(index.audited.get('Savings.balance'), 'response');
    assert.equal(index.audited.get('Checking.balance'), 'response', 'RESPONSE from the interface beats METADATA');
    assert.equal(index.audited.get('Savings.owner'), 'request');
    assert.ok(index.audited.has('Checking.owner'));
    assert.equal(index.audited.get('Checking.owner'), undefined, 'no level: the configured default');
    assert.ok(index.sensitiveFields.has('Savings.balance'));
    assert.ok(index.sensitiveFields.has('Checking.balance'));
    assert.ok(index.sensitiveArgs.has('Savings.owner(reveal:)'));
    assert.ok(index.sensitiveArgs.has('Checking.owner(reveal:)'));
    assert.equal(index.audited.has('Account.balance'), false, 'interfaces themselves are not resolved');
  });

  it('@sensitive scalars and input objects are redacted wherever they appear', () => {
    const r = createRedactor(index, nameMatcher([]), { maxStringLength: 100, maxItems: 10, maxDepth: 5 });
    const login = schema.getType('Login') as GraphQLInputType;
    assert.deepEqual(plain(redactInput(r, { user: 'ada', password: 'p', secret: { value: 's' }, note: 'n' }, login)), {
      user: 'ada',
      password: REDACTED,
      secret: REDACTED,
      note: 'n',
    });
    const field = schema.getQueryType()?.getFields().login;
    assert.deepEqual(
      plain(redactArguments(r, 'Query.login', field?.args ?? [], { input: { user: 'bob', password: 'x' } })),
      {
        input: { user: 'bob', password: REDACTED },
      },
    );
  });

  it('caps depth and list length of logged inputs', () => {
    const r = createRedactor(index, nameMatcher(['password']), { maxStringLength: 100, maxItems: 2, maxDepth: 2 });
    const deep = { a: { b: { c: { password: 'x' } } } };
    const login = schema.getType('Login') as GraphQLInputType;
    assert.deepEqual(plain(redactInput(r, { user: 'u', note: 'n', secret: null } as never, login)), {
      user: 'u',
      note: 'n',
      '[truncated]': '1 more keys',
    });
    assert.deepEqual(plain(sanitizeValue(deep, r.limits, r.isSensitiveName)), { a: { b: '[TRUNCATED]' } });
    assert.deepEqual(sanitizeValue([1, 2, 3, 4], r.limits), [1, 2, '[+2 items]']);
  });
});
