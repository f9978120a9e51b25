/**
 * The requirements `rampart analyze` reports, checked against `@rampart/scopes`' own engine: for each
 * operation, every coordinate the engine refuses (in dry run, for an anonymous caller, a signed-in
 * caller without scopes, and one with every scope whose policies all refuse) is listed by the CLI, with
 * the refusal's missing scopes and failed policies among the CLI's alternatives for it. Where no
 * requirement sits below another (the engine drops a refused field's whole subtree, so it never
 * reports what lies below), the two lists are equal.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createPrincipal, type Principal, SecurityState } from '@rampart/core';
import { scopesModule } from '@rampart/scopes';
import { type GraphQLSchema, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { requirementsOf } from '../src/analyze/requirements.js';
import { loadSchema } from '../src/analyze/schema-load.js';
import { selectedFields } from '../src/analyze/selection-walk.js';
import { LIBRARY_SDL } from './bin.js';

const shop = loadSchema([
  {
    path: 'shop.graphql',
    text: readFileSync(new URL('../../../examples/shop/src/schema.graphql', import.meta.url), 'utf8'),
  },
]).schema;
const library = loadSchema(Object.entries(LIBRARY_SDL).map(([path, text]) => ({ path, text }))).schema;

const user = (scopes: string[]) => createPrincipal({ id: 'u', kind: 'user', authMethod: 'jwt', scopes });

async function refusals(schema: GraphQLSchema, query: string, principal: Principal) {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  const module = scopesModule({ dryRun: true, policies: { inOffice: () => false } });
  const state = new SecurityState({ principal });
  const input = {
    schema,
    document,
    operation,
    operationName: undefined,
    variables: {},
    contextValue: {},
    transport: 'graphql-ws' as const,
  };
  await module.onOperation?.(state, input);
  return state.events.filter((e) => e.source === 'scopes');
}

/** Name, schema, operation, and whether no requirement sits below another (then the lists are equal). */
const CASES: [string, GraphQLSchema, string, boolean][] = [
  ['shop: me', shop, '{ me { name email orders(first: 2) { id total { amount } } } }', false],
  [
    'shop: search through the union',
    shop,
    '{ search(text: "a") { ... on Customer { phone address { city } } ... on Product { name } } }',
    true,
  ],
  [
    'shop: an argument with a scope',
    shop,
    '{ search(text: "a", includeCustomers: true) { ... on Product { name } } }',
    true,
  ],
  ['shop: back office', shop, 'mutation { updateOrderStatus(id: "1", status: PAID) { id customer { email } } }', false],
  ['shop: public', shop, '{ products(first: 3) { name category { name } } }', true],
  ['shop: several roots', shop, '{ customers(first: 2) { name } orders(first: 1) { id } cart { id } }', true],
  ['library: scopes and a policy', library, '{ secret book(id: 1) { title } }', true],
];

describe('requirements agree with the scopes engine', () => {
  for (const [name, schema, query, flat] of CASES) {
    it(name, async () => {
      const document = parse(query);
      const operation = document.definitions[0] as OperationDefinitionNode;
      const mine = requirementsOf(schema, selectedFields(schema, document, operation));
      const everyScope = [...new Set(mine.scopes.flat(2))];
      const events = [
        ...(await refusals(schema, query, createPrincipal({ id: 'a', kind: 'anonymous', authMethod: 'none' }))),
        ...(await refusals(schema, query, user([]))),
        ...(await refusals(schema, query, user(everyScope))),
      ];
      const refused = new Set(events.map((e) => e.coordinate));
      const listed = mine.fields.filter((f) => f.coordinate.includes('.'));
      const coordinates = listed.map((f) => f.coordinate);
      for (const c of refused) assert.ok(coordinates.includes(c as string), `${c} refused but not listed`);
      if (flat) assert.deepEqual([...refused].sort(), coordinates.sort());
      else assert.ok(refused.size > 0);
      for (const e of events) {
        const field = listed.find((f) => f.coordinate === e.coordinate);
        const details = e.details as { missingScopes: string[]; failedPolicies?: string[] };
        for (const s of details.missingScopes) assert.ok(field?.scopes.flat(2).includes(s), `${e.coordinate} ${s}`);
        for (const p of details.failedPolicies ?? [])
          assert.ok(field?.policies.flat(2).includes(p), `${e.coordinate} ${p}`);
        if (e.reason?.includes('requires authentication')) assert.equal(field?.authenticated, true);
      }
    });
  }
});
