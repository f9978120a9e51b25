import { performance } from 'node:perf_hooks';
import type { ApolloServerPlugin, BaseContext, GraphQLRequestContext, GraphQLRequestListener } from '@apollo/server';
import {
  ErrorCode,
  ensureSecurityState,
  errorCodeOf,
  getSecurityState,
  type OperationHook,
  type OperationInput,
  type RampartModule,
  type SecurityState,
} from '@rampart/core';
import type { GraphQLSchema } from 'graphql';
import { createFieldHook } from './field-records.js';
import { type AuditContext, auditUnavailableError, type OperationAudit, rootFieldsOf } from './internals.js';
import { type AuditLevel, type AuditOptions, type AuditOutcome, levelRank, resolveAuditOptions } from './options.js';
import { decideLevel } from './policy.js';
import { type ErrorFact, type OperationFacts, outcomeOf } from './record.js';
import { createRedactor, type Redactor, redactVariables, summarise } from './redact.js';
import { dataObject, nameMatcher, type SanitizeLimits, sanitizeString, setData, traceIdFrom } from './sanitize.js';
import { auditTypeDefs, indexSchema, wrapAuditedFields } from './schema.js';
import { createOperationAuditHooks } from './subscription.js';
import { AuditWriter } from './writer.js';

/** An audit trail: the Apollo plugin, the schema transform for `@audit` fields, and the writer behind both. */
export interface Audit {
  /** The resolved options. */
  readonly options: Readonly<AuditOptions>;
  /** The Apollo plugin (operation records; flush on stop). Runs last among Rampart plugins. */
  readonly plugin: ApolloServerPlugin<BaseContext>;
  /** Wraps `@audit` fields and mutation root fields (only those) so each resolution writes a field record. */
  transformSchema(schema: GraphQLSchema): GraphQLSchema;
  /** SDL of `@audit`, `@sensitive` and `AuditLevel`. */
  readonly typeDefs: string;
  /** The current writer (created on first use). */
  writer(): AuditWriter;
  /**
   * For operations outside Apollo's HTTP pipeline (subscriptions over graphql-ws): writes the start
   * record (`graphql.subscription.start`) and returns the handle whose `end` writes the end record
   * (`graphql.subscription.end`). With `failClosed`, throws the 503 refusal if the start record cannot
   * be written.
   */
  onOperation: OperationHook;
  /**
   * Writes the record of an operation refused before it started (`graphql.subscription.rejected`):
   * the transport calls it with the error a module's `onOperation` threw. Never throws.
   */
  recordRefusal(state: SecurityState, operation: OperationInput, error: unknown): void;
  /** Flushes, checkpoints and closes the destination. */
  close(): Promise<void>;
}

/**
 * The audit package as a {@link RampartModule}: the module's `onOperation` writes the start and end
 * records of subscriptions, and {@link AuditModule.recordRefusal} the record of a refused one.
 */
export interface AuditModule extends RampartModule {
  /** The audit trail behind the module. */
  readonly audit: Audit;
  /** See {@link Audit.onOperation}. */
  readonly onOperation: OperationHook;
  /**
   * Writes the record of an operation (a graphql-ws `subscribe`) that a module refused: audit's
   * `onOperation` runs last, so it is not reached when an earlier module throws; the transport calls
   * this with the refused operation's state, the operation and the thrown error. Never throws.
   */
  recordRefusal(state: SecurityState, operation: OperationInput, error: unknown): void;
}

const DEFAULT_STATUS = 200;

function headerOf(
  rc: GraphQLRequestContext<BaseContext>,
  state: SecurityState | undefined,
  name: string,
): string | undefined {
  return rc.request.http?.headers.get(name) ?? state?.headers.get(name);
}

function resultOf(rc: GraphQLRequestContext<BaseContext>): {
  data: Record<string, unknown> | null | undefined;
  errors: readonly { message: string; extensions?: Record<string, unknown> }[] | undefined;
} {
  const body = rc.response.body as
    | { kind: 'single'; singleResult: { data?: Record<string, unknown> | null; errors?: readonly any[] } }
    | { kind: 'incremental'; initialResult: { data?: Record<string, unknown> | null; errors?: readonly any[] } }
    | undefined;
  if (!body) return { data: undefined, errors: undefined };
  const r = body.kind === 'single' ? body.singleResult : body.initialResult;
  return { data: r.data, errors: r.errors };
}

function errorsOf(rc: GraphQLRequestContext<BaseContext>): ErrorFact[] {
  const errors = resultOf(rc).errors;
  if (!errors) return [];
  return errors.map((e) => ({ code: errorCodeOf(e), message: String(e.message) }));
}

/**
 * Creates an audit trail from options (checked at once; a bad option throws `RampartConfigError`).
 * Use `auditPlugin()` / `auditModule()` unless you need the parts.
 */
export function createAudit(userOptions?: Partial<AuditOptions>): Audit {
  const options = resolveAuditOptions(userOptions);
  const limits: SanitizeLimits = {
    maxStringLength: options.maxStringLength,
    maxItems: options.maxItems,
    maxDepth: options.maxDepth,
  };
  const isSensitiveName = nameMatcher(options.sensitiveNames);
  const operations = new WeakMap<object, OperationAudit>();
  let current: AuditWriter | undefined;
  const writer = () => {
    current ??= new AuditWriter(options);
    return current;
  };
  const redactors = new WeakMap<GraphQLSchema, Redactor>();
  const redactorFor = (schema: GraphQLSchema): Redactor => {
    let r = redactors.get(schema);
    if (!r) {
      r = createRedactor(indexSchema(schema), isSensitiveName, limits);
      redactors.set(schema, r);
    }
    return r;
  };

  const shared: AuditContext = { options, limits, operations, writer, redactorFor };
  const hooks = createOperationAuditHooks(shared);

  const fieldHook = createFieldHook(shared);

  const writeOperation = (
    rc: GraphQLRequestContext<BaseContext>,
    op: OperationAudit,
    action: string,
    phase: 'start' | 'end',
  ): boolean => {
    const state = op.state;
    const w = writer();
    let status: number | undefined;
    let errors: ErrorFact[] = [];
    let outcome: AuditOutcome | 'unknown' = 'unknown';
    if (phase === 'end') {
      status = rc.response.http.status ?? DEFAULT_STATUS;
      errors = errorsOf(rc);
      outcome = outcomeOf(
        errors.map((e) => e.code ?? 'UNKNOWN'),
        state.events,
        status,
      );
    }
    const level: AuditLevel =
      phase === 'start'
        ? 'metadata'
        : decideLevel(
            options.rules,
            {
              record: 'operation',
              operationType: op.operationType,
              operationName: op.operationName,
              coordinates: op.rootFields ?? [],
              principal: state.principal,
              outcome: outcome as AuditOutcome,
            },
            options.level,
          );
    if (level === 'none') return true;
    const rank = levelRank(level);
    let variables: Record<string, unknown> | undefined;
    let result: unknown;
    if (rank >= 2 && rc.operation && rc.document) {
      variables = redactVariables(
        redactorFor(rc.schema),
        rc.schema,
        rc.document,
        rc.operation,
        rc.request.variables as Record<string, unknown> | undefined,
      );
    }
    if (rank >= 3) {
      const data = resultOf(rc).data;
      const fields = dataObject();
      if (data) {
        let n = 0;
        for (const key of Object.keys(data)) {
          if (n++ >= limits.maxItems) break;
          setData(fields, sanitizeString(key, 128), summarise(data[key], false, redactorFor(rc.schema)));
        }
      }
      result = { data: data ? 'present' : 'absent', fields };
    }
    const facts: OperationFacts = {
      action,
      sequence: w.nextSequence(),
      outcome: outcome as AuditOutcome,
      level,
      durationNs: phase === 'end' ? Math.max(0, Math.round((performance.now() - op.started) * 1e6)) : undefined,
      requestId: op.requestId,
      traceId: op.traceId,
      userAgent: op.userAgent,
      principal: state.principal,
      operationType: op.operationType,
      operationName: op.operationName ?? rc.request.operationName ?? undefined,
      queryHash: op.queryHash ?? rc.queryHash,
      rootFields: op.rootFields,
      status,
      errors,
      decisions: state.events,
      cost: state.cost,
      variables,
      result,
    };
    return w.writeRecord(facts, limits, action);
  };

  const refuse = auditUnavailableError;

  const plugin: ApolloServerPlugin<BaseContext> = options.enabled
    ? {
        async serverWillStart() {
          writer();
          return {
            async serverWillStop() {
              const w = current;
              current = undefined;
              await w?.close();
            },
          };
        },
        async contextCreationDidFail({ error }) {
          const state = getSecurityState(error);
          const http = (error as { extensions?: { http?: { status?: unknown } } }).extensions?.http;
          const status = typeof http?.status === 'number' ? http.status : 500;
          const code = errorCodeOf(error) ?? ErrorCode.INTERNAL_SERVER_ERROR;
          const w = writer();
          w.writeRecord(
            {
              action: 'graphql.request.rejected',
              sequence: w.nextSequence(),
              outcome: outcomeOf([code], [], status),
              level: 'metadata',
              durationNs: undefined,
              requestId: state?.requestId,
              traceId: traceIdFrom(state?.headers.get('traceparent')),
              userAgent: state?.headers.get('user-agent'),
              principal: state?.principal,
              operationType: undefined,
              operationName: undefined,
              queryHash: undefined,
              rootFields: undefined,
              status,
              errors: [{ code, message: '' }],
              decisions: state?.events ?? [],
              cost: undefined,
              reason: 'context creation failed',
            },
            limits,
            'graphql.request.rejected',
          );
        },
        async invalidRequestWasReceived() {
          const w = writer();
          w.writeRecord(
            {
              action: 'graphql.request.invalid',
              sequence: w.nextSequence(),
              outcome: 'failure',
              level: 'metadata',
              durationNs: undefined,
              requestId: undefined,
              traceId: undefined,
              userAgent: undefined,
              principal: undefined,
              operationType: undefined,
              operationName: undefined,
              queryHash: undefined,
              rootFields: undefined,
              status: 400,
              errors: [{ code: 'BAD_REQUEST', message: '' }],
              decisions: [],
              cost: undefined,
              reason: 'malformed HTTP GraphQL request',
            },
            limits,
            'graphql.request.invalid',
          );
        },
        async requestDidStart(rc): Promise<GraphQLRequestListener<BaseContext>> {
          const state = ensureSecurityState(rc.contextValue as object);
          const op: OperationAudit = {
            state,
            started: performance.now(),
            operationType: undefined,
            operationName: undefined,
            queryHash: undefined,
            rootFields: undefined,
            requestId: state.requestId,
            traceId: traceIdFrom(headerOf(rc, state, 'traceparent')),
            userAgent: headerOf(rc, state, 'user-agent'),
            decisionsFrom: 0,
          };
          operations.set(rc.contextValue as object, op);
          return {
            async didResolveOperation(ctx) {
              if (!ctx.operation) return;
              op.operationType = ctx.operation.operation;
              op.operationName = ctx.operationName ?? undefined;
              op.queryHash = ctx.queryHash;
              op.rootFields = rootFieldsOf(ctx.operation, ctx.schema, ctx.document);
              if (options.failClosed) {
                let ok = false;
                try {
                  ok = writeOperation(ctx, op, 'graphql.operation.start', 'start');
                  // Group commit: wait for this turn's write (shared by every request of the turn).
                  if (ok && writer().grouped) ok = await writer().whenWritten();
                } catch (e) {
                  options.onWriteError?.(e as Error);
                }
                if (!ok) throw refuse();
              }
            },
            async willSendResponse(ctx) {
              let ok = false;
              try {
                ok = writeOperation(ctx, op, 'graphql.operation', 'end');
                if (ok && options.failClosed && writer().grouped) ok = await writer().whenWritten();
              } catch (e) {
                options.onWriteError?.(e as Error);
              }
              if (!ok && options.failClosed) {
                const error = refuse();
                ctx.response.body = {
                  kind: 'single',
                  singleResult: {
                    errors: [{ message: error.message, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }],
                  },
                };
                ctx.response.http.status = 503;
              }
            },
          };
        },
      }
    : {};

  return {
    options,
    plugin,
    typeDefs: auditTypeDefs,
    transformSchema: (schema) =>
      options.enabled ? wrapAuditedFields(schema, fieldHook, options.auditMutationFields) : schema,
    writer,
    onOperation: hooks.onOperation,
    recordRefusal: hooks.recordRefusal,
    async close() {
      const w = current;
      current = undefined;
      await w?.close();
    },
  };
}

/**
 * The standalone audit plugin: one record per operation (and for requests refused while building the
 * context). Field records need the schema transform: use {@link auditModule} or {@link createAudit}.
 */
export function auditPlugin(options?: Partial<AuditOptions>): ApolloServerPlugin<BaseContext> {
  return createAudit(options).plugin;
}

/**
 * The audit package as a {@link RampartModule} for `rampart()`: typeDefs, transformSchema, the plugin
 * and `onOperation` (run them last), and `recordRefusal` for refused subscriptions.
 */
export function auditModule(options?: Partial<AuditOptions>): AuditModule {
  const audit = createAudit(options);
  return {
    name: 'audit',
    phase: 'audit',
    typeDefs: audit.typeDefs,
    transformSchema: audit.transformSchema,
    plugins: [audit.plugin],
    onOperation: audit.onOperation,
    recordRefusal: audit.recordRefusal,
    audit,
  };
}
