// ScopesEngine.prepare: for a document known in advance (a trusted document), whether anything in its
// operations declares a requirement is decided at load; the decision per caller is unchanged.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPrincipal, SecurityState } from '@rampart/core';
import { getOperationAST, parse } from 'graphql';
import { ScopesEngine } from '../src/engine.js';
import { buildSchema } from './fixture.js';

const schema = buildSchema();
const policies = { businessHours: () => true, isStaff: () => true, isAdmin: () => false, throws: () => true };

describe('ScopesEngine.prepare (trusted documents)', () => {
  it('marks requirement-free operations at load; decisions are those of an unprepared engine', async () => {
    const free = parse('query V { version }');
    const guarded = parse('query M { me { name } }');
    const prepared = new ScopesEngine({ policies });
    prepared.prepare(schema, free);
    prepared.prepare(schema, guarded);
    const plain = new ScopesEngine({ policies });
    for (const document of [free, guarded]) {
      const operation = getOperationAST(document);
      assert.ok(operation);
      assert.equal(
        prepared.nothingToCheck(schema, operation, document),
        plain.nothingToCheck(schema, operation, document),
      );
    }
    const operation = getOperationAST(guarded);
    assert.ok(operation);
    const anonymous = new SecurityState();
    const op = { schema, document: guarded, operation, variables: {}, contextValue: {}, request: {} };
    await assert.rejects(prepared.decide(anonymous, op), (e: { extensions: { code: string } }) => {
      assert.equal(e.extensions.code, 'UNAUTHENTICATED');
      return true;
    });
    const user = new SecurityState({ principal: createPrincipal({ id: 'u', kind: 'user', authMethod: 'jwt' }) });
    assert.equal(await prepared.decide(user, op), undefined);
  });
});
