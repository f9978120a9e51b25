import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  authChallenge,
  bearerChallenge,
  DEFAULT_REALM,
  isIncluded,
  isThenable,
  selectOperation,
  toDictionary,
  variableDefinitionsOf,
} from '@rampart/core';
import { type FieldNode, type OperationDefinitionNode, parse } from 'graphql';

function firstField(source: string): { field: FieldNode; operation: OperationDefinitionNode } {
  const { operation } = selectOperation(parse(source));
  assert.ok(operation);
  return { field: operation.selectionSet.selections[0] as FieldNode, operation };
}

describe('selectOperation', () => {
  const document = parse('query A { a ...F } query B { b } fragment F on Query { c } fragment F on Query { d }');

  it('chooses the named operation and keeps the first definition of each fragment', () => {
    const { operation, fragments, problem } = selectOperation(document, 'B');
    assert.equal(operation?.name?.value, 'B');
    assert.equal(problem, undefined);
    assert.equal(fragments.size, 1);
    const fragment = fragments.get('F');
    assert.ok(fragment);
    assert.equal((fragment.selectionSet.selections[0] as FieldNode).name.value, 'c');
  });

  it('explains an unknown name, a missing name among several operations, and a document without operation', () => {
    assert.equal(selectOperation(document, 'C').problem, 'Unknown operation named "C".');
    assert.match(selectOperation(document).problem ?? '', /operation name when the document has several/);
    assert.equal(selectOperation(parse('fragment F on Query { a }')).problem, 'The document has no operation.');
    assert.equal(selectOperation(parse('{ a }')).operation?.operation, 'query');
  });
});

describe('isIncluded', () => {
  it('reads literals', () => {
    assert.equal(isIncluded(firstField('{ a @skip(if: true) }').field.directives, {}), false);
    assert.equal(isIncluded(firstField('{ a @include(if: false) }').field.directives, {}), false);
    assert.equal(isIncluded(firstField('{ a @include(if: true) @skip(if: false) }').field.directives, {}), true);
  });

  it('reads own boolean variables, then declared defaults; anything else keeps the selection', () => {
    const { field, operation } = firstField(
      'query Q($s: Boolean = true, $i: Boolean!) { a @skip(if: $s) @include(if: $i) }',
    );
    const definitions = variableDefinitionsOf(operation);
    let reads = 0;
    const count = () => {
      reads++;
    };
    assert.equal(isIncluded(field.directives, { i: true }, definitions, count), false, 'declared default true skips');
    assert.equal(isIncluded(field.directives, { s: false, i: true }, definitions, count), true);
    assert.equal(isIncluded(field.directives, { s: false, i: false }, definitions), false);
    assert.equal(isIncluded(field.directives, { s: 'yes', i: 1 }, definitions), true, 'not booleans: kept');
    assert.equal(isIncluded(field.directives, { s: false }, undefined), true, 'unsent, no definitions: kept');
    assert.equal(reads, 3, 'the first call stops at the skip');
  });

  it('never reads an inherited property as a variable', () => {
    const { field, operation } = firstField('query Q($s: Boolean) { a @skip(if: $s) }');
    const variables = toDictionary(JSON.parse('{"__proto__": {"s": true}}'));
    assert.equal(isIncluded(field.directives, variables, variableDefinitionsOf(operation)), true);
    assert.equal(isIncluded(field.directives, Object.create({ s: true }), variableDefinitionsOf(operation)), true);
  });
});

describe('isThenable and bearerChallenge', () => {
  it('recognises promises and thenables only', () => {
    assert.equal(isThenable(Promise.resolve(1)), true);
    assert.equal(isThenable(Object.fromEntries([['then', () => {}]])), true);
    assert.equal(isThenable(Object.fromEntries([['then', 1]])), false);
    assert.equal(isThenable(null), false);
    assert.equal(isThenable(1), false);
  });

  it('builds a challenge of any scheme: parameters in order, empty ones left out, nothing breaks out', () => {
    assert.equal(
      authChallenge('DPoP', { algs: 'ES256 EdDSA', error: 'invalid_dpop_proof', error_description: 'a "b"\r\nX: y' }),
      'DPoP algs="ES256 EdDSA", error="invalid_dpop_proof", error_description="a bX: y"',
    );
    assert.equal(
      authChallenge('DPoP', { algs: 'ES256', error: undefined, error_description: '' }),
      'DPoP algs="ES256"',
    );
  });

  it('builds RFC 6750 challenges with the default realm and no way out of a quoted string', () => {
    assert.equal(bearerChallenge(), `Bearer realm="${DEFAULT_REALM}"`);
    assert.equal(
      bearerChallenge('api', { error: 'insufficient_scope', scope: 'a "b"\\', description: 'x' }),
      'Bearer realm="api", error="insufficient_scope", error_description="x", scope="a b"',
    );
    assert.equal(bearerChallenge('api', { description: 'only with an error' }), 'Bearer realm="api"');
  });
});
