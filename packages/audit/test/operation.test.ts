import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { makeExecutableSchema } from '@graphql-tools/schema';
import {
  attachSecurityState,
  createPrincipal,
  ErrorCode,
  getSecurityState,
  type OperationInput,
  rampartError,
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
import { type AuditModule, type AuditOptions, auditModule, generateAuditKeys, verifyAuditLog } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-audit-operation-'));
const keys = generateAuditKeys(join(dir, 'keys'));
after(() => rmSync(dir, { recursive: true, force: true }));

const typeDefs = /* GraphQL */ `
  type Query {
    ping: String
  }
  type Order {
    id: ID!
    status: String!
  }
  type Subscription {
    orderUpdated(orderId: ID!, note: String @sensitive): Order @audit(level: REQUEST)
    ticks: Int
  }
`;

const EVENTS = 3;

/** The schema as `rampart()` builds it: audit's typeDefs, then its transform (wraps `@audit` fields). */
function schemaOf(module: AuditModule): GraphQLSchema {
  const base = makeExecutableSchema({
    typeDefs: [module.typeDefs as string, typeDefs],
    resolvers: {
      Subscription: {
        orderUpdated: {
          subscribe: async function* () {
            for (let i = 1; i <= EVENTS; i++) yield { orderUpdated: { id: 'order-1', status: `s${i}` } };
          },
          // As a shield rule would: one decision per event, at the field.
          resolve: (payload: { orderUpdated: unknown }, _args: unknown, ctx: object) => {
            getSecurityState(ctx)?.record({
              source: 'rules',
              outcome: 'allowed',
              coordinate: 'Subscription.orderUpdated',
              rule: 'ownsOrder',
            });
            return payload.orderUpdated;
          },
        },
        ticks: {
          subscribe: async function* () {
            yield { ticks: 1 };
          },
        },
      },
    },
  });
  return (module.transformSchema as (s: GraphQLSchema) => GraphQLSchema)(base);
}

const QUERY = 'subscription Watch($id: ID!, $note: String) { orderUpdated(orderId: $id, note: $note) { id status } }';

function stateOf(): SecurityState {
  return new SecurityState({
    requestId: 'req-ws-1',
    headers: new Map([
      ['user-agent', 'shop-web/2.3'],
      ['traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ]),
    principal: createPrincipal({
      id: 'u-42',
      kind: 'user',
      roles: ['customer'],
      scopes: ['orders:read'],
      authMethod: 'jwt',
      ip: '203.0.113.7',
    }),
  });
}

/** Parses and validates like the transport, and gives the operation a context carrying `state`. */
function inputOf(schema: GraphQLSchema, state: SecurityState, query = QUERY): OperationInput {
  const document = parse(query);
  assert.deepEqual(validate(schema, document), []);
  const operation = getOperationAST(document);
  assert.ok(operation);
  const contextValue = {};
  attachSecurityState(contextValue, state);
  return {
    schema,
    document,
    operation,
    operationName: operation.name?.value,
    variables: { id: 'order-1', note: 'leave at the door' },
    contextValue,
    transport: 'graphql-ws',
    query,
  };
}

/** Runs the subscription with graphql-js, each event through the handle's `shapeResult`. */
async function run(input: OperationInput, shape: (r: ExecutionResult) => ExecutionResult): Promise<ExecutionResult[]> {
  const stream = await subscribe({
    schema: input.schema,
    document: input.document,
    contextValue: input.contextValue,
    variableValues: input.variables,
  });
  assert.ok(Symbol.asyncIterator in stream);
  const events: ExecutionResult[] = [];
  for await (const event of stream) events.push(shape(event));
  return events;
}

function records(path: string): Record<string, any>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function chained(name: string, extra: Partial<AuditOptions> = {}) {
  const log = join(dir, `${name}.log`);
  const checkpoints = join(dir, `${name}.log.checkpoints`);
  const module = auditModule({
    destination: log,
    chain: { key: `@${keys.hmacKeyPath}`, checkpoints: { path: checkpoints, privateKey: `@${keys.privateKeyPath}` } },
    ...extra,
  });
  const verify = () =>
    verifyAuditLog({
      logPath: log,
      key: `@${keys.hmacKeyPath}`,
      checkpointsPath: checkpoints,
      publicKey: `@${keys.publicKeyPath}`,
    });
  return { module, log, verify };
}

describe('auditModule().onOperation (subscriptions over graphql-ws)', () => {
  it('writes a start record, one @audit field record per event and an end record; the chain verifies', async () => {
    const { module, log, verify } = chained('start-end', { level: 'request' });
    const schema = schemaOf(module);
    const state = stateOf();
    state.cost.estimated = 7;
    // An earlier module's decision (scopes), recorded before audit's onOperation runs.
    state.record({ source: 'scopes', outcome: 'allowed', coordinate: 'Subscription.orderUpdated' });
    const input = inputOf(schema, state);
    const handle = await module.onOperation(state, input);
    assert.ok(handle?.end && handle.shapeResult);
    assert.equal(handle.document, undefined);
    const events = await run(input, (r) => handle.shapeResult?.(r) ?? r);
    assert.deepEqual(
      events.map((e) => JSON.parse(JSON.stringify(e.data))),
      [1, 2, 3].map((i) => ({ orderUpdated: { id: 'order-1', status: `s${i}` } })),
    );
    await handle.end({ outcome: 'completed', results: EVENTS });
    await handle.end({ outcome: 'completed', results: EVENTS }); // once only
    await module.audit.close();

    const all = records(log);
    assert.deepEqual(
      all.map((r) => r.event.action),
      ['graphql.subscription.start', 'graphql.field', 'graphql.field', 'graphql.field', 'graphql.subscription.end'],
    );
    assert.deepEqual(
      all.map((r) => r.event.sequence),
      [1, 2, 3, 4, 5],
    );
    const [start, field, , , end] = all as Record<string, any>[];
    const hash = createHash('sha256').update(QUERY).digest('hex');
    assert.deepEqual(start.event.type, ['access', 'allowed']);
    assert.equal(start.event.outcome, 'success');
    assert.equal(start.event.duration, undefined);
    assert.deepEqual(start.http, { request: { id: 'req-ws-1' } });
    assert.deepEqual(start.trace, { id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    assert.deepEqual(start.client, { ip: '203.0.113.7' });
    assert.deepEqual(start.user, { id: 'u-42', roles: ['customer'] });
    assert.deepEqual(start.user_agent, { original: 'shop-web/2.3' });
    assert.deepEqual(start.graphql, {
      operation: { type: 'subscription', name: 'Watch', hash },
      root_fields: ['Subscription.orderUpdated'],
      variables: { id: 'order-1', note: '[REDACTED]' },
    });
    assert.deepEqual(
      start.rampart.decisions.map((d: { source: string }) => d.source),
      ['scopes'],
    );
    assert.deepEqual(start.rampart.cost, { estimated: 7 });
    assert.equal(start.error, undefined);

    // The @audit field record of each event carries that event's decision only.
    for (const f of all.slice(1, 4)) {
      assert.equal(f.graphql.field.coordinate, 'Subscription.orderUpdated');
      assert.deepEqual(f.graphql.arguments, { orderId: 'order-1', note: '[REDACTED]' });
      assert.deepEqual(
        f.rampart.decisions.map((d: { rule?: string; source: string }) => d.rule ?? d.source),
        ['ownsOrder'],
      );
      assert.equal(f.http.request.id, 'req-ws-1');
    }
    assert.equal(field.graphql.operation.hash, hash);

    assert.deepEqual(end.event.type, ['access', 'allowed']);
    assert.equal(end.event.outcome, 'success');
    assert.equal(typeof end.event.duration, 'number');
    assert.ok(end.event.duration >= 0);
    assert.deepEqual(end.graphql, {
      operation: { type: 'subscription', name: 'Watch', hash },
      root_fields: ['Subscription.orderUpdated'],
      subscription: { end: 'completed', events: 3 },
    });
    // Every decision recorded during the subscription, none from before its start; no cost, no variables.
    assert.deepEqual(
      end.rampart.decisions.map((d: { rule?: string }) => d.rule),
      ['ownsOrder', 'ownsOrder', 'ownsOrder'],
    );
    assert.equal(end.rampart.cost, undefined);
    assert.equal(end.error, undefined);
    assert.equal(end.http.request.id, start.http.request.id);

    const report = await verify();
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.equal(report.chains[0]?.records, 5);
    assert.equal(report.chains[0]?.checkpointedSeq, 5);
  });

  it('an end by error records the outcome, the errors’ codes and how many events were sent', async () => {
    const { module, log, verify } = chained('end-error', { level: 'response' });
    const schema = schemaOf(module);
    const state = stateOf();
    const input = inputOf(schema, state, 'subscription { ticks }');
    const handle = await module.onOperation(state, input);
    const boom = new GraphQLError('source failed', { extensions: { code: 'BOOM' } });
    await handle?.end?.({ outcome: 'error', results: 1, errors: [boom] });
    const stopped = await module.onOperation(state, inputOf(schema, state, 'subscription { ticks }'));
    await stopped?.end?.({ outcome: 'stopped', results: 0 });
    await module.audit.close();
    const [start, end, , stop] = records(log) as Record<string, any>[];
    assert.equal(start.event.action, 'graphql.subscription.start');
    assert.equal(start.graphql.variables, undefined, 'no variables declared: none written');
    assert.equal(end.event.action, 'graphql.subscription.end');
    assert.equal(end.event.outcome, 'failure');
    assert.deepEqual(end.event.type, ['access', 'error']);
    assert.deepEqual(end.error, { code: ['BOOM'], message: ['source failed'] });
    assert.deepEqual(end.graphql.subscription, { end: 'error', events: 1 });
    assert.equal(end.rampart.decisions, undefined);
    assert.equal(stop.event.outcome, 'success');
    assert.deepEqual(stop.graphql.subscription, { end: 'stopped', events: 0 });
    assert.equal((await verify()).ok, true);
  });

  it('a query over graphql-ws is recorded as on HTTP: graphql.operation.start, then graphql.operation', async () => {
    const { module, log } = chained('query');
    const schema = schemaOf(module);
    const state = stateOf();
    const handle = await module.onOperation(state, inputOf(schema, state, '{ ping }'));
    await handle?.end?.({ outcome: 'completed', results: 1 });
    await module.audit.close();
    const [start, end] = records(log) as Record<string, any>[];
    assert.equal(start.event.action, 'graphql.operation.start');
    assert.equal(end.event.action, 'graphql.operation');
    assert.equal(end.graphql.subscription, undefined);
  });

  it('policy rules decide the level: level none writes nothing and admits the subscription', async () => {
    const { module, log } = chained('policy', {
      rules: [{ level: 'none', operationTypes: ['subscription'], records: ['operation'] }],
    });
    const schema = schemaOf(module);
    const state = stateOf();
    const input = inputOf(schema, state, 'subscription { ticks }');
    const handle = await module.onOperation(state, input);
    await handle?.end?.({ outcome: 'completed', results: 1 });
    await module.audit.close();
    assert.equal(existsSync(log), false, 'no line written');
  });

  it('recordRefusal writes the record of a subscription an earlier module refused', async () => {
    const { module, log, verify } = chained('refused', { level: 'request' });
    const schema = schemaOf(module);
    const state = stateOf();
    state.record({
      source: 'limits',
      outcome: 'denied',
      code: 'MAX_DEPTH_LIMIT',
      rule: 'depth',
      details: { depth: 12, max: 10 },
    });
    const error = rampartError(ErrorCode.MAX_DEPTH_LIMIT, 'Operation is too deep');
    module.recordRefusal(state, inputOf(schema, state), error);
    await module.audit.close();
    const [r] = records(log) as Record<string, any>[];
    assert.equal(r.event.action, 'graphql.subscription.rejected');
    assert.equal(r.event.outcome, 'denied');
    assert.deepEqual(r.event.type, ['access', 'denied']);
    assert.deepEqual(r.error, { code: ['MAX_DEPTH_LIMIT'] });
    assert.equal(r.http.response, undefined, 'no HTTP status over graphql-ws');
    assert.deepEqual(r.graphql.variables, { id: 'order-1', note: '[REDACTED]' });
    assert.deepEqual(r.rampart.decisions[0].code, 'MAX_DEPTH_LIMIT');
    assert.equal(r.user.id, 'u-42');
    assert.equal((await verify()).ok, true);
  });

  it('recordRefusal never throws, even for odd errors and a broken destination', async () => {
    const errors: Error[] = [];
    const module = auditModule({
      destination: {
        stream: {
          write: () => {
            throw new Error('gone');
          },
        },
      },
      onWriteError: (e) => errors.push(e),
    });
    const state = stateOf();
    const input = inputOf(schemaOf(module), state);
    module.recordRefusal(state, input, null);
    module.recordRefusal(state, input, 'text');
    assert.equal(errors.length, 2);
    assert.equal(module.audit.writer().dropped, 2);
    await module.audit.close();
  });

  it('failClosed: a start record that cannot be written refuses the subscription with the HTTP error', {
    skip: !existsSync('/dev/full'),
  }, async () => {
    const module = auditModule({ destination: '/dev/full', failClosed: true, onWriteError: () => {} });
    const state = stateOf();
    const input = inputOf(schemaOf(module), state);
    await assert.rejects(
      async () => module.onOperation(state, input),
      (e: GraphQLError) => {
        assert.equal(e.extensions.code, 'INTERNAL_SERVER_ERROR');
        assert.deepEqual((e.extensions.http as { status: number }).status, 503);
        assert.match(e.message, /audit trail cannot be written/);
        return true;
      },
    );
    await module.audit.close();
  });

  it('without failClosed a failing destination never refuses: the record is dropped and counted', {
    skip: !existsSync('/dev/full'),
  }, async () => {
    const module = auditModule({ destination: '/dev/full', onWriteError: () => {} });
    const state = stateOf();
    const handle = await module.onOperation(state, inputOf(schemaOf(module), state));
    assert.ok(handle?.end);
    await handle.end({ outcome: 'completed', results: 0 });
    // Group commit (the default): the turn's lines are written, and counted as dropped, at its end.
    await setImmediate();
    assert.equal(module.audit.writer().dropped, 2);
    await module.audit.close();
  });

  it('disabled: no handle, no record', async () => {
    const module = auditModule({ enabled: false, destination: join(dir, 'disabled.log') });
    const state = stateOf();
    assert.equal(await module.onOperation(state, inputOf(schemaOf(module), state)), undefined);
    module.recordRefusal(state, inputOf(schemaOf(module), state), new Error('x'));
    assert.equal(existsSync(join(dir, 'disabled.log')), false);
  });
});
