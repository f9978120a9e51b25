import { performance } from 'node:perf_hooks';
import type { ApolloServerPlugin, BaseContext, GraphQLRequestContext, GraphQLRequestListener } from '@apollo/server';
import {
  ErrorCode,
  ensureSecurityState,
  errorCodeOf,
  getSecurityState,
  pathToString,
  type RampartModule,
  rampartError,
  type SecurityState,
} from '@rampart/core';
import {
  type FieldNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { type AuditLevel, type AuditOptions, type AuditOutcome, levelRank, resolveAuditOptions } from './options.js';
import { decideLevel } from './policy.js';
import { type ErrorFact, type OperationFacts, outcomeOf } from './record.js';
import { createRedactor, type Redactor, redactArguments, redactVariables, summarise } from './redact.js';
import { dataObject, nameMatcher, type SanitizeLimits, sanitizeString, setData, traceIdFrom } from './sanitize.js';
import { auditTypeDefs, type FieldAuditHook, indexSchema, wrapAuditedFields } from './schema.js';
import { AuditWriter } from './writer.js';

/** Per-operation data the field wrapper needs. */
interface OperationAudit {
  readonly state: SecurityState;
  readonly started: number;
  operationType: string | undefined;
  operationName: string | undefined;
  queryHash: string | undefined;
  rootFields: string[] | undefined;
  readonly requestId: string;
  readonly traceId: string | undefined;
  readonly userAgent: string | undefined;
}

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
  /** Flushes, checkpoints and closes the destination. */
  close(): Promise<void>;
}

const DEFAULT_STATUS = 200;

function rootFieldsOf(
  operation: OperationDefinitionNode,
  schema: GraphQLSchema,
  document: { definitions: readonly unknown[] },
): string[] {
  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const typeName = root?.name ?? operation.operation;
  const out = new Set<string>();
  const fragments = new Map<string, SelectionSetNode>();
  for (const d of document.definitions as {
    kind: string;
    name?: { value: string };
    selectionSet?: SelectionSetNode;
  }[]) {
    if (d.kind === Kind.FRAGMENT_DEFINITION && d.name && d.selectionSet) fragments.set(d.name.value, d.selectionSet);
  }
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        if (s.name.value !== '__typename') out.add(`${typeName}.${(s as FieldNode).name.value}`);
      } else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet);
      else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const f = fragments.get(s.name.value);
        if (f) walk(f);
      }
    }
  };
  walk(operation.selectionSet);
  return [...out];
}

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

  const fieldHook: FieldAuditHook = (
    coordinate,
    declaredLevel,
    args,
    context,
    info,
    result,
    error,
    failed,
    started,
  ) => {
    const op = operations.get(context as object);
    if (!op) return;
    try {
      const codes = failed ? [errorCodeOf(error) ?? ErrorCode.INTERNAL_SERVER_ERROR] : [];
      const path = pathToString(info.path);
      const decisions = op.state.events.filter((d) => d.coordinate === coordinate || d.path === path);
      const outcome = outcomeOf(codes, decisions, DEFAULT_STATUS);
      const level = decideLevel(
        options.rules,
        {
          record: 'field',
          operationType: op.operationType,
          operationName: op.operationName,
          coordinates: [coordinate],
          principal: op.state.principal,
          outcome,
        },
        declaredLevel ?? options.level,
      );
      if (level === 'none') return;
      const rank = levelRank(level);
      const r = redactorFor(info.schema);
      let argsOut: Record<string, unknown> | undefined;
      let resultOut: unknown;
      if (rank >= 2) {
        const def = info.parentType.getFields()[info.fieldName];
        argsOut = def ? redactArguments(r, coordinate, def.args, args) : undefined;
      }
      if (rank >= 3 && !failed) {
        const named = getNamedType(info.returnType) as GraphQLNamedType;
        const hidden =
          r.index.sensitiveFields.has(coordinate) ||
          isSensitiveName(info.fieldName) ||
          r.index.sensitiveTypes.has(named.name);
        resultOut = summarise(result, !hidden, r);
      }
      const w = writer();
      const facts: OperationFacts = {
        action: 'graphql.field',
        sequence: w.nextSequence(),
        outcome,
        level,
        durationNs: Math.max(0, Math.round((performance.now() - started) * 1e6)),
        requestId: op.requestId,
        traceId: op.traceId,
        userAgent: op.userAgent,
        principal: op.state.principal,
        operationType: op.operationType,
        operationName: op.operationName,
        queryHash: op.queryHash,
        rootFields: undefined,
        fieldCoordinate: coordinate,
        fieldPath: path,
        status: undefined,
        errors: failed ? [{ code: codes[0], message: String((error as Error | undefined)?.message ?? error) }] : [],
        decisions,
        cost: undefined,
        arguments: argsOut,
        result: resultOut,
      };
      w.writeRecord(facts, limits, 'graphql.field');
    } catch (e) {
      // Auditing never breaks a resolver.
      options.onWriteError?.(e as Error);
    }
  };

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

  const refuse = () =>
    rampartError(ErrorCode.INTERNAL_SERVER_ERROR, 'The audit trail cannot be written; the request was refused.', {
      status: 503,
    });

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

/** The audit package as a {@link RampartModule} for `rampart()`: typeDefs, transformSchema and the plugin (run it last). */
export function auditModule(options?: Partial<AuditOptions>): RampartModule & { readonly audit: Audit } {
  const audit = createAudit(options);
  return {
    name: 'audit',
    typeDefs: audit.typeDefs,
    transformSchema: audit.transformSchema,
    plugins: [audit.plugin],
    audit,
  };
}
