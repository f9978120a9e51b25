/**
 * `scopesModule().onOperation`: the scopes check for subscriptions over graphql-ws, called directly with a
 * real schema, real security states and real graphql-js parse/validate/subscribe.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import {
  attachSecurityState,
  createPrincipal,
  type DecisionEvent,
  getSecurityState,
  type OperationHandle,
  type OperationInput,
  SecurityState,
} from '@rampart/core';
import { postGraphQL, startTestServer } from '@rampart/testing';
import {
  type ExecutionResult,
  type GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  parse,
  subscribe,
  validate,
} from 'graphql';
import { type PolicyInput, type ScopesOptions, scopesModule, scopesPlugin, scopesTypeDefs } from '../src/index.js';

const typeDefs = /* GraphQL */ `
  type Query {
    version: String
  }
  type Subscription {
    orderUpdated(orderId: ID!): Order @requiresScopes(scopes: [["orders:read"], ["orders:read:all"]])
    ticker: Int
  }
  type Order {
    id: ID!
    status: String!
    customer: Customer!
    lines: [Line!]!
    notes: String @policy(policies: [["isStaff"]])
  }
  type Customer {
    id: ID!
    email: String @requiresScopes(scopes: [["pii:read"]])
  }
  type Line {
    sku: String!
    cost: Int @requiresScopes(scopes: [["finance:read"]])
  }
`;

interface OrderEvent {
  id: string;
  status: string;
  customer: { id: string; email: string };
  lines: { sku: string; cost: number }[];
  notes: string;
}

/** Three events, with a different number of lines each. */
function orderEvents(): OrderEvent[] {
  return [1, 2, 3].map((n) => ({
    id: 'order-1',
    status: `status-${n}`,
    customer: { id: 'c1', email: 'ada@example.com' },
    lines: Array.from({ length: n }, (_, i) => ({ sku: `sku-${i}`, cost: 10 * (i + 1) })),
    notes: `note-${n}`,
  }));
}

function buildSchema(resolved: string[]): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: [scopesTypeDefs, typeDefs],
    resolvers: {
      Query: { version: () => '1' },
      Subscription: {
        orderUpdated: {
          async *subscribe() {
            for (const order of orderEvents()) yield { orderUpdated: order };
          },
        },
        ticker: {
          async *subscribe() {
            yield { ticker: 1 };
          },
        },
      },
      Customer: {
        email: (c: { email: string }) => {
          resolved.push('Customer.email');
          return c.email;
        },
      },
      Line: {
        cost: (l: { cost: number }) => {
          resolved.push('Line.cost');
          return l.cost;
        },
      },
    },
  });
}

const ORDER_QUERY = /* GraphQL */ `
  subscription Watch($id: ID!) {
    orderUpdated(orderId: $id) {
      id
      status
      customer { id email }
      lines { sku cost }
      notes
    }
  }
`;

function principal(id: string | undefined, scopes: string[] = []) {
  return id ? createPrincipal({ id, kind: 'user', authMethod: 'jwt', scopes }) : undefined;
}

interface Setup {
  schema: GraphQLSchema;
  resolved: string[];
  policyCalls: PolicyInput[];
  options: Partial<ScopesOptions>;
}

function setup(options: Partial<ScopesOptions> = {}): Setup {
  const resolved: string[] = [];
  const policyCalls: PolicyInput[] = [];
  const policies = {
    isStaff: (input: PolicyInput) => {
      policyCalls.push(input);
      return input.principal.scopes.has('staff');
    },
  };
  return { schema: buildSchema(resolved), resolved, policyCalls, options: { policies, ...options } };
}

/** Parses and validates like graphql-ws does, then builds the hook's input. */
function operationInput(
  schema: GraphQLSchema,
  query: string,
  variables: Record<string, unknown>,
  contextValue: object,
): OperationInput {
  const document = parse(query);
  assert.deepEqual(validate(schema, document), []);
  const operation = getOperationAST(document);
  assert.ok(operation);
  return {
    schema,
    document,
    operation,
    operationName: operation.name?.value,
    variables,
    contextValue,
    transport: 'graphql-ws',
    query,
  };
}

async function runHook(
  s: Setup,
  who: ReturnType<typeof principal>,
  query = ORDER_QUERY,
): Promise<{ state: SecurityState; input: OperationInput; handle: OperationHandle | undefined }> {
  const state = new SecurityState({ principal: who });
  const contextValue = {};
  attachSecurityState(contextValue, state);
  const input = operationInput(s.schema, query, { id: 'order-1' }, contextValue);
  const hook = scopesModule(s.options).onOperation;
  assert.ok(hook);
  const handle = await hook(state, input);
  return { state, input, handle: handle ?? undefined };
}

async function refusal(run: Promise<unknown>): Promise<GraphQLError> {
  try {
    await run;
  } catch (error) {
    return error as GraphQLError;
  }
  assert.fail('the operation was admitted');
}

/** Runs the subscription with graphql-js and applies the handle's shapeResult to every event. */
async function runSubscription(input: OperationInput, handle: OperationHandle | undefined) {
  const source = await subscribe({
    schema: input.schema,
    document: handle?.document ?? input.document,
    variableValues: input.variables,
    contextValue: input.contextValue,
  });
  assert.ok(Symbol.asyncIterator in source, 'subscribe() returned an error result');
  const events: ExecutionResult[] = [];
  for await (const result of source) {
    const shaped = handle?.shapeResult ? handle.shapeResult(result) : result;
    events.push(JSON.parse(JSON.stringify(shaped)));
  }
  return events;
}

const orderOf = (e: ExecutionResult | undefined) => e?.data?.orderUpdated as OrderEvent | undefined;

const withoutTime = (events: readonly DecisionEvent[]) => events.map(({ at: _at, ...rest }) => rest);

describe('scopesModule().onOperation (subscriptions over graphql-ws)', () => {
  it('refuses an anonymous subscription to a @requiresScopes field with UNAUTHENTICATED', async () => {
    const s = setup();
    const state = new SecurityState();
    const input = operationInput(s.schema, ORDER_QUERY, { id: 'order-1' }, {});
    const hook = scopesModule(s.options).onOperation;
    assert.ok(hook);
    const error = await refusal(Promise.resolve().then(() => hook(state, input)));
    assert.equal(error.extensions.code, 'UNAUTHENTICATED');
    assert.equal(error.message, 'Authentication is required for this operation');
    assert.deepEqual(
      state.events.map((e) => [e.source, e.outcome, e.code, e.coordinate, e.path]),
      [['scopes', 'denied', 'UNAUTHENTICATED', 'Subscription.orderUpdated', 'orderUpdated']],
    );
    assert.equal(s.policyCalls.length, 0);
  });

  it('filter mode: refused nested fields are null in every event, with the error at their path', async () => {
    const s = setup();
    const who = principal('shopper', ['orders:read', 'staff']);
    const { state, input, handle } = await runHook(s, who);
    assert.ok(handle?.document && handle.shapeResult, 'a rewritten document and a shapeResult');
    assert.notEqual(handle.document, input.document);
    const events = await runSubscription(input, handle);
    assert.equal(events.length, 3);
    events.forEach((event, i) => {
      const n = i + 1;
      const lines = Array.from({ length: n }, (_, j) => ({ sku: `sku-${j}`, cost: null }));
      assert.deepEqual(event.data, {
        orderUpdated: {
          id: 'order-1',
          status: `status-${n}`,
          customer: { id: 'c1', email: null },
          lines,
          notes: `note-${n}`,
        },
      });
      const paths = [
        ['orderUpdated', 'customer', 'email'],
        ...lines.map((_, j) => ['orderUpdated', 'lines', j, 'cost']),
      ];
      assert.deepEqual(
        event.errors?.map((e) => [e.message, e.path, e.extensions]),
        paths.map((p) => ['Unauthorized field or type', p, { code: 'UNAUTHORIZED_FIELD_OR_TYPE' }]),
      );
      assert.deepEqual(event.errors?.[0]?.locations, [{ line: 6, column: 21 }]);
    });
    assert.deepEqual(s.resolved, [], 'removed fields never resolve');
    assert.deepEqual(
      state.events.map((e) => [e.outcome, e.code, e.coordinate, e.path, e.details?.missingScopes]),
      [
        ['removed', 'UNAUTHORIZED_FIELD_OR_TYPE', 'Customer.email', 'orderUpdated.customer.email', ['pii:read']],
        ['removed', 'UNAUTHORIZED_FIELD_OR_TYPE', 'Line.cost', 'orderUpdated.lines.@.cost', ['finance:read']],
      ],
    );
  });

  it('evaluates each policy once per subscription, with the context value and a request-like object', async () => {
    const s = setup();
    const { input, handle } = await runHook(s, principal('clerk', ['orders:read', 'pii:read', 'finance:read']));
    assert.equal(s.policyCalls.length, 1);
    const call = s.policyCalls[0] as PolicyInput;
    assert.equal(call.policy, 'isStaff');
    assert.equal(call.context, input.contextValue);
    assert.deepEqual(call.request, { query: ORDER_QUERY, variables: { id: 'order-1' }, operationName: 'Watch' });
    const events = await runSubscription(input, handle);
    assert.equal(s.policyCalls.length, 1, 'not once per event');
    assert.deepEqual(
      events.map((e) => [orderOf(e)?.notes, e.errors?.map((x) => x.path)]),
      [1, 2, 3].map(() => [null, [['orderUpdated', 'notes']]]),
    );
    assert.equal(orderOf(events[2])?.customer.email, 'ada@example.com');
  });

  it('reject mode refuses a principal without the nested scope with FORBIDDEN', async () => {
    const s = setup({ mode: 'reject' });
    const error = await refusal(runHook(s, principal('shopper', ['orders:read', 'staff'])));
    assert.equal(error.extensions.code, 'FORBIDDEN');
    assert.equal(s.resolved.length, 0);
  });

  it('dryRun admits the subscription unchanged and records the decisions', async () => {
    const s = setup({ dryRun: true });
    const { state, input, handle } = await runHook(s, undefined);
    assert.equal(handle, undefined);
    assert.deepEqual(
      state.events.map((e) => [e.outcome, e.code, e.coordinate, e.details?.dryRun]),
      [['denied', 'UNAUTHENTICATED', 'Subscription.orderUpdated', true]],
    );
    const events = await runSubscription(input, handle);
    assert.equal(orderOf(events[0])?.customer.email, 'ada@example.com');
  });

  it('admits a subscription that declares nothing without any work (no handle)', async () => {
    const s = setup({ mode: 'reject' });
    const state = new SecurityState();
    const input = operationInput(s.schema, 'subscription { ticker }', {}, {});
    const result = scopesModule(s.options).onOperation?.(state, input);
    assert.equal(result, undefined, 'answered synchronously');
    assert.equal(state.events.length, 0);
  });

  it('records the same decisions and the same errors as the HTTP plugin for the same operation', async () => {
    for (const mode of ['filter', 'reject'] as const) {
      for (const scopes of [['orders:read'], ['orders:read', 'staff', 'pii:read'], []]) {
        const s = setup({ mode });
        const who = principal(scopes.length > 0 ? 'caller' : undefined, scopes);
        const state = new SecurityState({ principal: who });
        const contextValue = {};
        attachSecurityState(contextValue, state);
        const input = operationInput(s.schema, ORDER_QUERY, { id: 'order-1' }, contextValue);
        const ws = await Promise.resolve(scopesModule(s.options).onOperation?.(state, input)).then(
          async (handle) => ({ events: await runSubscription(input, handle ?? undefined), error: undefined }),
          (error: GraphQLError) => ({ events: [], error }),
        );
        const http = await overHttp(s, who);
        const label = `${mode} [${scopes}]`;
        assert.ok(state.events.length > 0, label);
        assert.deepEqual(withoutTime(state.events), withoutTime(http.events), label);
        if (ws.error) {
          assert.equal(http.body.data, undefined, label);
          assert.deepEqual([withoutHttp(ws.error.toJSON())], http.body.errors.map(withoutHttp), label);
        } else {
          // HTTP executes a subscription operation once on the root value: compare with the first event.
          assert.deepEqual(ws.events[0], http.body, label);
        }
      }
    }
  });
});

/** An error as a client sees it over WS: `extensions.http` is stripped by the transport. */
function withoutHttp(e: { extensions?: Record<string, unknown> }) {
  const { http: _http, ...extensions } = e.extensions ?? {};
  return { ...e, extensions };
}

/** The same operation through Apollo's HTTP pipeline with `scopesPlugin` (root value: the first event). */
async function overHttp(s: Setup, who: ReturnType<typeof principal>) {
  const states: SecurityState[] = [];
  const server = await startTestServer(
    {
      schema: s.schema,
      rootValue: { orderUpdated: orderEvents()[0] },
      plugins: [
        scopesPlugin(s.options),
        {
          async requestDidStart() {
            return {
              async willSendResponse(rc) {
                const state = getSecurityState(rc.contextValue);
                if (state) states.push(state);
              },
            };
          },
        },
      ],
    },
    {
      context: async () => {
        const ctx = {};
        attachSecurityState(ctx, new SecurityState({ principal: who }));
        return ctx;
      },
    },
  );
  try {
    const r = await postGraphQL(server.graphqlUrl, { query: ORDER_QUERY, variables: { id: 'order-1' } });
    return { body: r.body, events: states.at(-1)?.events ?? [] };
  } finally {
    await server.stop();
  }
}
