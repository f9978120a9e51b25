/**
 * Issue 13 scenarios for `rateLimitModule().onOperation` (subscriptions over graphql-ws), run against
 * the memory store (operation.test.ts) and Redis (operation-redis.test.ts). Each builds a real schema
 * with a `Subscription` type, a real SecurityState per subscription, parses and validates real
 * documents with graphql-js, and calls the hook as `@rampart/apollo`'s graphqlWs() will.
 */
import assert from 'node:assert/strict';
import { makeExecutableSchema } from '@graphql-tools/schema';
import {
  attachSecurityState,
  createPrincipal,
  type DecisionEvent,
  type OperationHandle,
  type RampartModule,
  SecurityState,
} from '@rampart/core';
import {
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  parse,
  subscribe,
  validate,
} from 'graphql';
import { type RateLimitOptions, rateLimitModule } from '../src/index.js';
import { TestClock } from './helpers.js';

/** Options every scenario starts from (the store and a fresh key prefix). */
export type BaseOptions = () => Promise<Partial<RateLimitOptions>>;

const typeDefs = /* GraphQL */ `
  type Query {
    hello: String
  }
  type Subscription {
    ticks(n: Int!): Int
    limitedTicks(n: Int!): Int @rateLimit(limit: 2, duration: 60)
  }
`;

async function* count(field: string, n: number): AsyncGenerator<Record<string, number>> {
  for (let i = 0; i < n; i++) yield { [field]: i };
}

const resolvers = {
  Query: { hello: () => 'world' },
  Subscription: {
    ticks: { subscribe: (_: unknown, a: { n: number }) => count('ticks', a.n) },
    limitedTicks: { subscribe: (_: unknown, a: { n: number }) => count('limitedTicks', a.n) },
  },
};

/** A module and its transformed schema, on the scenario's store, with the test clock. */
export async function setUp(
  base: BaseOptions,
  options: Partial<RateLimitOptions>,
): Promise<{ mod: RampartModule; schema: GraphQLSchema; clock: TestClock }> {
  const clock = new TestClock();
  const mod = rateLimitModule({ ...(await base()), clock, sleep: clock.sleep, ...options });
  const schema = mod.transformSchema!(makeExecutableSchema({ typeDefs: [mod.typeDefs!, typeDefs], resolvers }));
  return { mod, schema, clock };
}

/** One operation as graphql-ws delivers it: a fresh state for `user`, its context, the parsed document. */
export interface Sub {
  readonly state: SecurityState;
  readonly contextValue: object;
  /** The hook's answer: the handle, or the refusal it threw. */
  readonly outcome: OperationHandle | GraphQLError | undefined;
  readonly document: ReturnType<typeof parse>;
}

/** Parses, validates and hands `query` to `onOperation` for `user`; `estimated` plays the limits module. */
export async function start(
  setup: { mod: RampartModule; schema: GraphQLSchema; clock: TestClock },
  user: string,
  query = 'subscription { ticks(n: 3) }',
  estimated?: number,
): Promise<Sub> {
  const { mod, schema, clock } = setup;
  const principal = createPrincipal({ id: user, kind: 'user', authMethod: 'jwt', ip: '203.0.113.7' });
  const state = new SecurityState({ principal, clock });
  if (estimated !== undefined) state.cost.estimated = estimated;
  const contextValue = {};
  attachSecurityState(contextValue, state);
  const document = parse(query);
  assert.deepEqual(validate(schema, document), []);
  const operation = getOperationAST(document)!;
  let outcome: Sub['outcome'];
  try {
    outcome = await mod.onOperation!(state, {
      schema,
      document,
      operation,
      operationName: undefined,
      variables: {},
      contextValue,
      transport: 'graphql-ws',
      query,
    });
  } catch (error) {
    assert.ok(error instanceof GraphQLError, `a GraphQLError, got ${String(error)}`);
    outcome = error;
  }
  return { state, contextValue, outcome, document };
}

function refusal(s: Sub): GraphQLError {
  assert.ok(s.outcome instanceof GraphQLError, 'refused');
  return s.outcome;
}

function admitted(s: Sub): OperationHandle {
  assert.ok(s.outcome !== undefined && !(s.outcome instanceof GraphQLError), `admitted, got ${String(s.outcome)}`);
  return s.outcome;
}

/** The events without their timestamp (the clock stands still in these tests). */
function events(state: SecurityState): Array<Omit<DecisionEvent, 'at'>> {
  return state.events.map(({ at: _, ...e }) => e);
}

/** The (limit+1)th subscribe of one client is refused with RATE_LIMITED; another client is not. */
export async function operationLimit(base: BaseOptions): Promise<void> {
  const setup = await setUp(base, { operation: { limit: 3, duration: 60 } });
  for (let i = 0; i < 3; i++) {
    const s = await start(setup, 'ann');
    admitted(s);
    assert.deepEqual(events(s.state), [
      {
        source: 'rate-limit',
        outcome: 'allowed',
        rule: 'operation',
        reason: 'within limit',
        details: { limit: 3, remaining: 2 - i, resetMs: 60_000 },
      },
    ]);
  }
  const fourth = await start(setup, 'ann');
  const error = refusal(fourth);
  assert.equal(error.extensions.code, 'RATE_LIMITED');
  assert.equal(error.extensions.retryAfter, 60);
  assert.equal(error.message, 'Too many requests (limit 3 per 60 s).');
  assert.deepEqual(events(fourth.state), [
    {
      source: 'rate-limit',
      outcome: 'limited',
      code: 'RATE_LIMITED',
      rule: 'operation',
      reason: 'operation exceeded',
      details: { limit: 3, remaining: 0, resetMs: 60_000 },
    },
  ]);
  // another client is unaffected
  admitted(await start(setup, 'bob'));
  // the window turns: ann is admitted again
  setup.clock.advance(60_000);
  admitted(await start(setup, 'ann'));
}

/** A calendar quota refuses with QUOTA_EXCEEDED (retry at the next UTC midnight). */
export async function quota(base: BaseOptions): Promise<void> {
  const setup = await setUp(base, { quotas: [{ name: 'daily', period: 'day', limit: 2 }] });
  admitted(await start(setup, 'ann'));
  admitted(await start(setup, 'ann'));
  const third = await start(setup, 'ann');
  const error = refusal(third);
  assert.equal(error.extensions.code, 'QUOTA_EXCEEDED');
  assert.equal(error.extensions.retryAfter, 12 * 3600); // the test clock is at 12:00 UTC
  assert.deepEqual(events(third.state), [
    {
      source: 'rate-limit',
      outcome: 'limited',
      code: 'QUOTA_EXCEEDED',
      rule: 'daily',
      reason: 'quota exceeded',
      details: { limit: 2, remaining: 0, resetMs: 12 * 3_600_000 },
    },
  ]);
  admitted(await start(setup, 'bob'));
}

/**
 * The cost budget is charged with `state.cost.estimated` (written by the limits module before); a
 * client over it is refused with THROTTLED; `end` refunds nothing for a subscription.
 */
export async function costBudget(base: BaseOptions): Promise<void> {
  const setup = await setUp(base, { costBudget: { maximumAvailable: 100, restoreRate: 10 } });
  const first = await start(setup, 'ann', undefined, 40);
  assert.deepEqual(events(first.state), [
    {
      source: 'rate-limit',
      outcome: 'allowed',
      rule: 'cost-budget',
      reason: 'within limit',
      details: { limit: 100, remaining: 60, resetMs: 4000 },
    },
  ]);
  // the subscription ends having sent 3 events: no refund, whatever the actual cost says
  first.state.cost.actual = 1;
  await admitted(first).end?.({ outcome: 'completed', results: 3 });
  admitted(await start(setup, 'ann', undefined, 40)); // 20 left
  const third = await start(setup, 'ann', undefined, 40);
  const error = refusal(third);
  assert.equal(error.extensions.code, 'THROTTLED');
  assert.equal(error.extensions.retryAfter, 2); // 20 missing units at 10 a second
  assert.deepEqual(error.extensions.cost, { requestedQueryCost: 40, maximumAvailable: 100, currentlyAvailable: 20 });
  assert.deepEqual(events(third.state), [
    {
      source: 'rate-limit',
      outcome: 'limited',
      code: 'THROTTLED',
      rule: 'cost-budget',
      reason: 'budget exceeded',
      details: { limit: 100, remaining: 20, resetMs: 2000 },
    },
  ]);
  // another client is unaffected
  admitted(await start(setup, 'bob', undefined, 40));
  // two seconds restore 20 units: exactly enough
  setup.clock.advance(2000);
  admitted(await start(setup, 'ann', undefined, 40));
}

/** A query sent over the socket is settled as on HTTP: refunded to its actual cost at the end. */
export async function querySettled(base: BaseOptions): Promise<void> {
  const setup = await setUp(base, { costBudget: { maximumAvailable: 100, restoreRate: 10 } });
  const q = await start(setup, 'ann', '{ hello }', 80);
  q.state.cost.actual = 10;
  await admitted(q).end?.({ outcome: 'completed', results: 1 });
  // 100 − 80 + 70 refunded = 90 left: a cost of 90 is admitted with nothing left
  const next = await start(setup, 'ann', '{ hello }', 90);
  admitted(next);
  assert.deepEqual(events(next.state)[0]?.details, { limit: 100, remaining: 0, resetMs: 10_000 });
}

/** Delay mode: the subscribe waits (bounded by maxDelayMs) then is admitted, or is refused at once. */
export async function delayMode(base: BaseOptions): Promise<void> {
  const setup = await setUp(base, {
    operation: { limit: 1, duration: 2 },
    throttle: { mode: 'delay', maxDelayMs: 3000, maxQueue: 10 },
  });
  admitted(await start(setup, 'ann'));
  const waited = await start(setup, 'ann');
  admitted(waited);
  assert.deepEqual(setup.clock.slept, [2000]);
  assert.equal(events(waited.state).length, 1);
  assert.equal(events(waited.state)[0]?.outcome, 'allowed');

  const strict = await setUp(base, {
    operation: { limit: 1, duration: 60 },
    throttle: { mode: 'delay', maxDelayMs: 3000, maxQueue: 10 },
  });
  admitted(await start(strict, 'ann'));
  const refused = refusal(await start(strict, 'ann'));
  assert.equal(refused.extensions.code, 'RATE_LIMITED');
  assert.equal(refused.message, 'Too many requests (limit 1 per 60 s) (after the longest allowed wait).');
  assert.deepEqual(strict.clock.slept, []); // a wait over maxDelayMs is not attempted
}

/**
 * `@rateLimit` on a subscription field wraps its resolver, which runs on every event: the third event
 * of `limitedTicks` (limit 2) carries a RATE_LIMITED error at the field; `end` records the admitted
 * calls as one decision, as HTTP does per response.
 */
export async function fieldLimitPerEvent(base: BaseOptions): Promise<void> {
  const setup = await setUp(base, {});
  const s = await start(setup, 'ann', 'subscription { limitedTicks(n: 4) }');
  const handle = admitted(s);
  assert.deepEqual(events(s.state), []); // no operation policy: nothing decided at subscribe
  const stream = await subscribe({ schema: setup.schema, document: s.document, contextValue: s.contextValue });
  assert.ok(Symbol.asyncIterator in stream, 'a subscription stream');
  const results: ExecutionResult[] = [];
  for await (const r of stream) results.push(handle.shapeResult ? handle.shapeResult(r) : r);
  assert.deepEqual(
    results.map((r) => ({ ...r.data })),
    [{ limitedTicks: 0 }, { limitedTicks: 1 }, { limitedTicks: null }, { limitedTicks: null }],
  );
  assert.deepEqual(
    results.map((r) => r.errors?.map((e) => [e.extensions.code, e.path?.join('.')])),
    [undefined, undefined, [['RATE_LIMITED', 'limitedTicks']], [['RATE_LIMITED', 'limitedTicks']]],
  );
  await handle.end?.({ outcome: 'completed', results: 4 });
  assert.deepEqual(
    events(s.state).map((e) => [e.outcome, e.code, e.coordinate, e.details?.calls]),
    [
      ['limited', 'RATE_LIMITED', 'Subscription.limitedTicks', undefined],
      ['limited', 'RATE_LIMITED', 'Subscription.limitedTicks', undefined],
      ['allowed', undefined, 'Subscription.limitedTicks', 2],
    ],
  );
  // the field's count is per client, across subscriptions: bob's first event passes
  const other = await start(setup, 'bob', 'subscription { limitedTicks(n: 1) }');
  const bobStream = await subscribe({
    schema: setup.schema,
    document: other.document,
    contextValue: other.contextValue,
  });
  assert.ok(Symbol.asyncIterator in bobStream);
  for await (const r of bobStream) assert.deepEqual([{ ...r.data }, r.errors], [{ limitedTicks: 0 }, undefined]);
}
