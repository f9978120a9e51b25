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

  // Plans are shared by every response to the same document and operation until one reads a variable.
  it('a nested condition on a variable is applied per response, in either order', () => {
    const fragmentDocument = parse(
      'query ($n: Boolean!) { ...F } fragment F on Query { products(first: 3) { name } me @include(if: $n) { name } }',
    );
    const me = { ...data, me: { name: 'm' } };
    const figures = (n: boolean) => actualCost(schema, fragmentDocument, me, { variables: { n } });
    const included = figures(true);
    const excluded = figures(false);
    assert.notDeepEqual(included, excluded);
    assert.deepEqual(figures(true), included);
    assert.deepEqual(figures(false), excluded);
    assert.deepEqual(actualCost(schema, fragmentDocument, { ...data }, { variables: { n: false } }), excluded);
  });

  it('each operation of a document walks its own plans, whichever ran first', () => {
    const document = parse('query A { products(first: 3) { name } } query B { me { name } }');
    const both = { ...data, me: { name: 'm' } };
    const a = actualCost(schema, document, both, { operationName: 'A' });
    const b = actualCost(schema, document, both, { operationName: 'B' });
    assert.deepEqual(a, { cost: 3, fieldCost: 1 });
    assert.notDeepEqual(b, a);
    assert.deepEqual(actualCost(schema, document, both, { operationName: 'A' }), a);
    assert.deepEqual(actualCost(schema, document, both, { operationName: 'B' }), b);
  });

  it('a weighted leaf counts each value resolved; leaves of no weight add nothing', () => {
    const document = parse('{ products(first: 3) { name tags inventory } }');
    const full = { products: [1, 2, 3].map((n) => ({ name: `p${n}`, tags: ['a', 'b'], inventory: n })) };
    // 3 products (weight 1 each) + 3 inventories (@cost(weight: 3))
    assert.deepEqual(actualCost(schema, document, full), { cost: 3 + 3 * 3, fieldCost: 1 + 3 * 3 });
    const oneNull = { products: [{ name: 'p', tags: [], inventory: null }, ...full.products.slice(1)] };
    assert.deepEqual(actualCost(schema, document, oneNull), { cost: 3 + 2 * 3, fieldCost: 1 + 3 * 3 });
  });

  it('counts only own keys: inherited names (`constructor`, `__proto__`) are not in the data', () => {
    for (const alias of ['constructor', '__proto__', 'toString']) {
      const document = parse(`{ ${alias}: products(first: 3) { name } }`);
      assert.deepEqual(actualCost(schema, document, {}), { cost: 0, fieldCost: 0 }, alias);
      const own = JSON.parse(`{"${alias}":[{"name":"a"},{"name":"b"}]}`);
      assert.deepEqual(actualCost(schema, document, own), { cost: 2, fieldCost: 1 }, alias);
    }
  });

  it('a condition that is not a boolean keeps the selection (the upper bound)', () => {
    const document = parse('query ($skip: Boolean) { products(first: 3) @skip(if: $skip) { name } }');
    assert.deepEqual(actualCost(schema, document, data, { variables: { skip: 'yes' } }), { cost: 3, fieldCost: 1 });
  });
});
