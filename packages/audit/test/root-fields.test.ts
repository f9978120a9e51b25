import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSchema, type OperationDefinitionNode, parse } from 'graphql';
import { rootFieldsOf } from '../src/internals.js';

const document = parse(`
  query Q { me { id } ... on Query { product { id } } ...F __typename me2: me { id } }
  fragment F on Query { orders { id } }
`);
const operation = document.definitions[0] as OperationDefinitionNode;

describe('rootFieldsOf: the root field coordinates of an operation', () => {
  it('goes through fragments and inline fragments, leaves out __typename, names a field once', () => {
    const schema = buildSchema('type Query { me: T product: T orders: [T] } type T { id: ID }');
    assert.deepEqual(rootFieldsOf(operation, schema, document), ['Query.me', 'Query.product', 'Query.orders']);
    // remembered per operation: the same answer again
    assert.deepEqual(rootFieldsOf(operation, schema, document), ['Query.me', 'Query.product', 'Query.orders']);
  });

  it("answers with each schema's root type name for the same operation", () => {
    const renamed = buildSchema('schema { query: Root } type Root { me: T product: T orders: [T] } type T { id: ID }');
    const plain = buildSchema('type Query { me: T product: T orders: [T] } type T { id: ID }');
    assert.deepEqual(rootFieldsOf(operation, renamed, document), ['Root.me', 'Root.product', 'Root.orders']);
    assert.deepEqual(rootFieldsOf(operation, plain, document), ['Query.me', 'Query.product', 'Query.orders']);
    assert.deepEqual(rootFieldsOf(operation, renamed, document), ['Root.me', 'Root.product', 'Root.orders']);
  });
});
