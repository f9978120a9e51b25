import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSchema, parse } from 'graphql';
import { analyzeLimits, costDirectivesTypeDefs } from '../src/index.js';

const schema = buildSchema(`${costDirectivesTypeDefs}
  input Page { first: Int }
  type Query {
    items(first: Int = 5): [Item]
    paged(page: Page): [Item] @listSize(slicingArguments: ["page.first"], requireOneSlicingArgument: false)
    fixed: [Item]
  }
  type Item { id: ID }`);

describe('openVariables', () => {
  it('lists slicing arguments given an open variable, named and @listSize paths, once each', () => {
    const doc = parse(
      'query Q($n: Int, $m: Int = 3) { items(first: $n) { id } again: items(first: $n) { id } paged(page: { first: $m }) { id } fixed { id } }',
    );
    const a = analyzeLimits(schema, doc, { openVariables: new Set(['n', 'm']) });
    assert.deepEqual(a.unboundedSlicing, ['Query.items(first:)', 'Query.paged(page.first:)']);
    // the figures are those of the defaults: 5 + 5 + 3 + 10 items, and 1 for the `Page` input object
    assert.equal(a.cost, 24);
  });
  it('a variable with a value, a literal, or no openVariables option: nothing listed', () => {
    const doc = parse('query Q($n: Int) { items(first: $n) { id } fixed: items(first: 2) { id } }');
    assert.deepEqual(analyzeLimits(schema, doc, { openVariables: new Set() }).unboundedSlicing, []);
    assert.equal(analyzeLimits(schema, doc, { variables: { n: 1 } }).unboundedSlicing, undefined);
  });
});
