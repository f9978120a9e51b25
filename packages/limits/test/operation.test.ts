// limitsModule().onOperation: the checks of the plugin's didResolveOperation for subscriptions over
// graphql-ws. A real schema with a Subscription type, real SecurityStates, documents parsed and
// validated by graphql-js, and (where the hook admits) the subscription run by graphql-js's
// `subscribe()` over an async generator, the way the transport will run it.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  createPrincipal,
  type DecisionEvent,
  type OperationHandle,
  type OperationInput,
  type RampartModule,
  SecurityState,
} from '@rampart/core';
import {
  buildSchema,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  parse,
  subscribe,
  validate,
} from 'graphql';
import { costDirectivesTypeDefs, LIMITS_SLOT, type LimitsOptions, limitsModule } from '../src/index.js';

const typeDefs = /* GraphQL */ `
  type Item { id: ID!, name: String!, children: [Item!]! @listSize(assumedSize: 2) }
  type Query { item: Item }
  type Subscription {
    itemAdded: Item!
    itemsAdded(first: Int = 1000): [Item!]! @listSize(slicingArguments: ["first"])
    itemsPage(first: Int, last: Int): [Item!]! @listSize(slicingArguments: ["first", "last"])
    ticker: Int!
  }
`;

/** How many times a subscription source was started (a refused one must never start). */
let started = 0;

function makeSchema(): GraphQLSchema {
  const s = buildSchema(`${costDirectivesTypeDefs}\n${typeDefs}`);
  const fields = s.getSubscriptionType()?.getFields() ?? {};
  const item = (i: number) => ({ id: String(i), name: `item ${i}`, children: [] });
  const source = <T>(make: (i: number) => T) =>
    async function* events() {
      started++;
      for (let i = 1; i <= 2; i++) yield make(i);
    };
  const wire = (name: string, make: (i: number) => unknown) => {
    const f = fields[name] as { subscribe?: unknown; resolve?: unknown };
    f.subscribe = source(make);
    f.resolve = (payload: unknown) => payload;
  };
  wire('itemAdded', item);
  wire('itemsAdded', (i) => [item(i), item(i + 10)]);
  wire('itemsPage', (i) => [item(i)]);
  wire('ticker', (i) => i);
  return s;
}

const schema = makeSchema();

/** A subscribe message as the transport hands it over: parsed, validated, operation selected. */
function operationInput(query: string, variables: Record<string, unknown> = {}): OperationInput {
  const document = parse(query);
  assert.deepEqual(validate(schema, document), [], 'test documents must be valid');
  const operation = getOperationAST(document);
  assert.ok(operation);
  return {
    schema,
    document,
    operation,
    operationName: operation.name?.value,
    variables,
    contextValue: {},
    transport: 'graphql-ws',
    query,
  };
}

function newState(): SecurityState {
  const principal = createPrincipal({ id: 'user-1', kind: 'user', authMethod: 'jwt', scopes: ['items:read'] });
  return new SecurityState({ principal, clock: { now: () => 1_000 } });
}

type Outcome = { refused: GraphQLError } | { handle: OperationHandle | undefined; events: ExecutionResult[] };

/** What graphql-ws will do: call the hook; when it admits, subscribe and collect the events. */
async function run(module: RampartModule, state: SecurityState, input: OperationInput): Promise<Outcome> {
  assert.ok(module.onOperation, 'limitsModule has onOperation');
  let handle: OperationHandle | undefined;
  try {
    handle = await module.onOperation(state, input);
  } catch (error) {
    assert.ok(error instanceof GraphQLError, 'refusals are GraphQLErrors');
    return { refused: error };
  }
  const stream = await subscribe({
    schema,
    document: handle?.document ?? input.document,
    variableValues: input.variables,
    contextValue: input.contextValue,
  });
  assert.ok(Symbol.asyncIterator in stream, 'the subscription starts');
  const events: ExecutionResult[] = [];
  for await (const event of stream) events.push(handle?.shapeResult ? handle.shapeResult(event) : event);
  return { handle, events };
}

function refusal(outcome: Outcome): GraphQLError {
  assert.ok('refused' in outcome, 'the subscription must be refused');
  return outcome.refused;
}

function admitted(outcome: Outcome): ExecutionResult[] {
  assert.ok('events' in outcome, `the subscription must be admitted, got ${JSON.stringify(outcome)}`);
  assert.equal(outcome.handle, undefined, 'limits needs nothing per event or at the end');
  return outcome.events;
}

/** The decision events without their timestamps (all 1000 from the state's clock). */
function decisions(state: SecurityState): Omit<DecisionEvent, 'at'>[] {
  return state.events.map(({ at, ...rest }) => {
    assert.equal(at, 1_000);
    return rest;
  });
}

const deep = 'subscription Deep { itemAdded { children { children { children { id } } } } }';
const costly = 'subscription Costly($n: Int) { itemsAdded(first: $n) { id } }';

describe('limitsModule().onOperation (graphql-ws subscriptions)', () => {
  beforeEach(() => {
    started = 0;
  });

  it('refuses a subscription over the depth limit with MAX_DEPTH_LIMIT and records the decision', async () => {
    const state = newState();
    const error = refusal(await run(limitsModule({ depth: 3 }), state, operationInput(deep)));
    assert.equal(error.extensions.code, 'MAX_DEPTH_LIMIT');
    assert.equal(error.message, 'Operation depth is 4, over the maximum of 3.');
    assert.deepEqual(error.extensions.limit, { name: 'depth', measured: 4, max: 3 });
    assert.deepEqual(decisions(state), [
      {
        source: 'limits',
        outcome: 'denied',
        code: 'MAX_DEPTH_LIMIT',
        rule: 'depth',
        reason: 'Operation depth is 4, over the maximum of 3.',
        details: { measured: 4, max: 3 },
      },
    ]);
    assert.equal(started, 0, 'a refused subscription never starts its source');
  });

  it('refuses a subscription over cost.max (variables read) with COST_ESTIMATED_TOO_EXPENSIVE', async () => {
    const state = newState();
    const module = limitsModule({ cost: { max: 100 } });
    const error = refusal(await run(module, state, operationInput(costly, { n: 500 })));
    assert.equal(error.extensions.code, 'COST_ESTIMATED_TOO_EXPENSIVE');
    assert.deepEqual(error.extensions.cost, { estimated: 500, max: 100 });
    assert.equal(state.cost.estimated, 500, 'the estimate is written even when refused, as on HTTP');
    assert.deepEqual(decisions(state), [
      {
        source: 'limits',
        outcome: 'denied',
        code: 'COST_ESTIMATED_TOO_EXPENSIVE',
        rule: 'cost',
        reason: 'Operation estimated cost is 500, over the maximum of 100.',
        details: { measured: 500, max: 100 },
      },
    ]);
    assert.equal(started, 0);
  });

  it('admits a cheap subscription: estimated cost in the state, no decision, no handle, events untouched', async () => {
    const state = newState();
    const module = limitsModule({ depth: 3, cost: { max: 100 } });
    const events = admitted(await run(module, state, operationInput(costly, { n: 5 })));
    assert.equal(state.cost.estimated, 5);
    assert.equal(state.cost.actual, undefined, 'no actual cost is computed for subscription events');
    assert.deepEqual(state.events, []);
    assert.equal((state.slots.get(LIMITS_SLOT) as { depth: number }).depth, 1);
    assert.equal(started, 1);
    assert.deepEqual(JSON.parse(JSON.stringify(events)), [
      { data: { itemsAdded: [{ id: '1' }, { id: '11' }] } },
      { data: { itemsAdded: [{ id: '2' }, { id: '12' }] } },
    ]);
  });

  it('measure mode admits, records "measured" decisions and warns through the server logger', async () => {
    const warnings: string[] = [];
    const module = limitsModule({ depth: 3, cost: { max: 2 }, mode: 'measure' });
    const plugin = module.plugins?.[0];
    await plugin?.serverWillStart?.({ logger: { warn: (m: string) => warnings.push(m) } } as never);
    const state = newState();
    const events = admitted(await run(module, state, operationInput(deep)));
    assert.equal(events.length, 2);
    assert.equal(state.cost.estimated, 15);
    assert.deepEqual(
      decisions(state).map((e) => [e.outcome, e.code, e.rule, e.details]),
      [
        ['measured', 'MAX_DEPTH_LIMIT', 'depth', { measured: 4, max: 3 }],
        ['measured', 'COST_ESTIMATED_TOO_EXPENSIVE', 'cost', { measured: 15, max: 2 }],
      ],
    );
    assert.deepEqual(warnings, [
      'rampart limits (measure mode): Operation depth is 4, over the maximum of 3. ' +
        'Operation estimated cost is 15, over the maximum of 2.',
    ]);
  });

  it('applies per-coordinate overrides on Subscription fields', async () => {
    const state = newState();
    const module = limitsModule({ overrides: { 'Subscription.itemAdded': { depth: 2 } } });
    const error = refusal(await run(module, state, operationInput(deep)));
    assert.equal(error.extensions.code, 'MAX_DEPTH_LIMIT');
    assert.deepEqual(error.extensions.limit, {
      name: 'depth',
      measured: 4,
      max: 2,
      coordinate: 'Subscription.itemAdded',
    });
    assert.equal(decisions(state)[0]?.coordinate, 'Subscription.itemAdded');
  });

  const cases: [string, LimitsOptions, string, string, string][] = [
    ['aliases', { aliases: 1 }, 'subscription { itemAdded { a: id b: name } }', 'MAX_ALIASES_LIMIT', 'aliases'],
    ['root fields', { rootFields: 0 }, 'subscription { ticker }', 'MAX_ROOT_FIELDS_LIMIT', 'rootFields'],
    [
      'directives',
      { directives: 1 },
      'subscription { itemAdded { id @include(if: true) name @skip(if: false) } }',
      'MAX_DIRECTIVES_LIMIT',
      'directives',
    ],
    ['height', { height: 3 }, 'subscription { itemAdded { id name children { id } } }', 'MAX_HEIGHT_LIMIT', 'height'],
    ['a missing slicing argument', {}, 'subscription { itemsPage { id } }', 'COST_ESTIMATED_TOO_EXPENSIVE', 'slicing'],
    [
      'a slicing argument over slicing.max',
      { slicing: { max: 50 } },
      'subscription { itemsAdded(first: 80) { id } }',
      'COST_ESTIMATED_TOO_EXPENSIVE',
      'slicing',
    ],
  ];
  for (const [what, options, query, code, rule] of cases) {
    it(`refuses ${what} with ${code} (rule ${rule})`, async () => {
      const state = newState();
      const error = refusal(await run(limitsModule(options), state, operationInput(query)));
      assert.equal(error.extensions.code, code);
      assert.deepEqual(
        decisions(state).map((e) => [e.outcome, e.code, e.rule]),
        [['denied', code, rule]],
      );
      assert.equal(started, 0);
    });
  }

  it('shares the plugin cache: a variable-independent analysis is computed once per query text', async () => {
    const module = limitsModule();
    const plugin = module.plugins?.[0] as { cacheSize(s: GraphQLSchema): number };
    const query = 'subscription { itemAdded { id name } }';
    const first = newState();
    const second = newState();
    await module.onOperation?.(first, operationInput(query));
    await module.onOperation?.(second, operationInput(query)); // a fresh DocumentNode, same text
    assert.equal(plugin.cacheSize(schema), 1);
    assert.equal(first.slots.get(LIMITS_SLOT), second.slots.get(LIMITS_SLOT), 'the same cached analysis');
    const a = newState();
    const b = newState();
    await module.onOperation?.(a, operationInput(costly, { n: 3 }));
    await module.onOperation?.(b, operationInput(costly, { n: 3 }));
    assert.notEqual(a.slots.get(LIMITS_SLOT), b.slots.get(LIMITS_SLOT), 'variable-dependent: analyzed each time');
    assert.equal(plugin.cacheSize(schema), 1);
  });
});

// The same cases as test/untrusted-variables.test.ts asserts over HTTP (cost.max 100, `first` defaults
// to 1000): the variables arrive as JSON.parse makes them, with own "__proto__" keys.
describe('onOperation with hostile variables (as on HTTP)', () => {
  beforeEach(() => {
    started = 0;
  });
  const module = limitsModule({ cost: { max: 100 } });

  for (const key of ['__proto__', 'constructor', 'prototype']) {
    it(`a top-level own "${key}" key does not stand in for an unsent variable`, async () => {
      const variables = JSON.parse(`{"${key}": {"n": 1}}`) as Record<string, unknown>;
      assert.ok(Object.hasOwn(variables, key));
      const state = newState();
      const error = refusal(await run(module, state, operationInput(costly, variables)));
      assert.equal(error.extensions.code, 'COST_ESTIMATED_TOO_EXPENSIVE');
      assert.deepEqual(error.extensions.cost, { estimated: 1000, max: 100 });
      assert.equal(started, 0);
    });
  }

  it('a sent variable next to a "__proto__" key is read as sent (and runs when cheap)', async () => {
    const variables = JSON.parse('{"__proto__": {"n": 1000}, "n": 3}') as Record<string, unknown>;
    const state = newState();
    const events = admitted(await run(module, state, operationInput(costly, variables)));
    assert.equal(state.cost.estimated, 3);
    assert.equal(events.length, 2);
    assert.equal(started, 1);
  });

  it('variables that are not an object are read as no variables (no crash)', async () => {
    for (const variables of [null, [1, 2], 'n', 42] as unknown[]) {
      const state = newState();
      const input = { ...operationInput(costly), variables: variables as Record<string, unknown> };
      assert.throws(
        () => module.onOperation?.(state, input),
        (e: GraphQLError) => e.extensions.code === 'COST_ESTIMATED_TOO_EXPENSIVE',
      );
      assert.equal(state.cost.estimated, 1000);
    }
  });
});
