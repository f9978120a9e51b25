import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'graphql';
import { actualCost } from '../src/actual.js';
import { shopSchema } from './fixtures.js';

const schema = shopSchema();
const data = { products: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] };

describe('actualCost: operation selection and @skip/@include (core semantics)', () => {
  it('walks the named operation of a document with several', () => {
    const document = parse('query A { products(first: 3) { name } } query B { me { name } }');
    assert.deepEqual(actualCost(schema, document, data, { operationName: 'A' }), { cost: 3, fieldCost: 1 });
  });

  // Changed with core's selectOperation: before, the first operation was walked.
  it('counts nothing for several operations and no name (graphql-js executes none)', () => {
    const document = parse('query A { products(first: 3) { name } } query B { me { name } }');
    assert.deepEqual(actualCost(schema, document, data), { cost: 0, fieldCost: 0 });
  });

  it('a variable condition not sent takes its declared default', () => {
    const document = parse('query ($skip: Boolean = true) { products(first: 3) @skip(if: $skip) { name } }');
    assert.deepEqual(actualCost(schema, document, data), { cost: 0, fieldCost: 0 });
    assert.deepEqual(actualCost(schema, document, data, { variables: { skip: false } }), { cost: 3, fieldCost: 1 });
  });

  it('a condition that is not a boolean keeps the selection (the upper bound)', () => {
    const document = parse('query ($skip: Boolean) { products(first: 3) @skip(if: $skip) { name } }');
    assert.deepEqual(actualCost(schema, document, data, { variables: { skip: 'yes' } }), { cost: 3, fieldCost: 1 });
  });
});
