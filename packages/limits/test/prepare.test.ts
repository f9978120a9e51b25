// LimitsEngine.prepare: the analyses of a document known in advance (a trusted document) computed
// once, at load, and the same as the analysis of a request that brings the document unprepared.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSchema, parse } from 'graphql';
import { analyzeLimits } from '../src/analyze.js';
import { costDirectivesTypeDefs } from '../src/directives.js';
import { LimitsEngine } from '../src/engine.js';
import { resolveLimitsOptions } from '../src/options.js';

const schema = buildSchema(/* GraphQL */ `
  ${costDirectivesTypeDefs}
  type Item { id: ID!, children(first: Int): [Item!]! @listSize(slicingArguments: ["first"]) }
  type Query { items(first: Int): [Item!]! @listSize(slicingArguments: ["first"]) }
`);
const fixed = parse('query Fixed { items(first: 5) { id children(first: 3) { id } } }');
const sliced = parse('query Sliced($n: Int, $m: Int) { items(first: $n) { id children(first: $m) { id } } }');
const options = { cost: { max: 1000 } };

describe('LimitsEngine.prepare (trusted documents)', () => {
  it('a variable-independent analysis is computed at load and served to every request', () => {
    const engine = new LimitsEngine(resolveLimitsOptions(options));
    engine.prepare(schema, fixed);
    const request = { schema, document: fixed, operationName: 'Fixed', variables: {} };
    const first = engine.analysisFor(request);
    assert.equal(engine.analysisFor(request), first, 'the same object: nothing analyzed again');
    assert.deepEqual(first, analyzeLimits(schema, fixed, { ...options, operationName: 'Fixed' }));
    assert.equal(first.cost, 5 + 5 * 3);
  });

  it('a variable-dependent analysis is kept per set of values and equals a fresh one', () => {
    const engine = new LimitsEngine(resolveLimitsOptions(options));
    engine.prepare(schema, sliced);
    const at = (n: number, m: number) =>
      engine.analysisFor({ schema, document: sliced, operationName: 'Sliced', variables: { n, m } });
    const a = at(10, 2);
    assert.equal(a.variableDependent, true);
    assert.equal(a.cost, 10 + 10 * 2);
    assert.equal(at(10, 2), a, 'the same values: the kept analysis');
    const b = at(40, 30);
    assert.equal(b.cost, 40 + 40 * 30);
    assert.equal(b.violations[0]?.code, 'COST_ESTIMATED_TOO_EXPENSIVE');
    assert.deepEqual(
      b,
      analyzeLimits(schema, sliced, { ...options, operationName: 'Sliced', variables: { n: 40, m: 30 } }),
    );
    assert.equal(at(10, 2), a);
  });

  it('documents not prepared, and another schema, are analyzed per request as before', () => {
    const engine = new LimitsEngine(resolveLimitsOptions(options));
    const request = { schema, document: sliced, operationName: 'Sliced', variables: { n: 1, m: 1 } };
    assert.notEqual(engine.analysisFor(request), engine.analysisFor(request));
    engine.prepare(schema, sliced);
    const other = buildSchema(printedSchema());
    const elsewhere = { ...request, schema: other };
    assert.notEqual(engine.analysisFor(elsewhere), engine.analysisFor(elsewhere));
  });

  it('huge variables are analyzed, not kept', () => {
    const engine = new LimitsEngine(resolveLimitsOptions(options));
    engine.prepare(schema, sliced);
    const request = {
      schema,
      document: sliced,
      operationName: 'Sliced',
      variables: { n: 1, m: 1, pad: 'x'.repeat(5000) },
    };
    assert.notEqual(engine.analysisFor(request), engine.analysisFor(request));
  });
});

function printedSchema(): string {
  return `${costDirectivesTypeDefs}
  type Item { id: ID!, children(first: Int): [Item!]! @listSize(slicingArguments: ["first"]) }
  type Query { items(first: Int): [Item!]! @listSize(slicingArguments: ["first"]) }`;
}
