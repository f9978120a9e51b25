/**
 * What the parts of one audit trail share: the Apollo plugin (HTTP operations), the field wrapper
 * (`@audit` fields) and the operation hook (subscriptions over graphql-ws).
 */
import { ErrorCode, rampartError, type SecurityState, selectOperation } from '@rampart/core';
import {
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { AuditLevel, AuditOptions, AuditOutcome, AuditRule } from './options.js';
import { decideLevel } from './policy.js';
import type { Redactor } from './redact.js';
import type { SanitizeLimits } from './sanitize.js';
import type { AuditWriter } from './writer.js';

/** One operation in flight, as its records and the field wrapper see it. */
export interface OperationAudit {
  readonly state: SecurityState;
  /** `performance.now()` when the operation started. */
  readonly started: number;
  operationType: string | undefined;
  operationName: string | undefined;
  queryHash: string | undefined;
  rootFields: readonly string[] | undefined;
  readonly requestId: string;
  readonly traceId: string | undefined;
  readonly userAgent: string | undefined;
  /**
   * Index in `state.events` where the current execution's decisions start: 0 over HTTP; for a
   * subscription, moved past each event once it is sent, so a field record carries only its own
   * event's decisions.
   */
  decisionsFrom: number;
}

/** The shared parts of one audit trail (built once by `createAudit`). */
export interface AuditContext {
  /** The resolved options. */
  readonly options: Readonly<AuditOptions>;
  /** Size limits of logged values. */
  readonly limits: SanitizeLimits;
  /** Registers the operation in flight on a context value: the field wrapper finds it there. */
  attachOperation(contextValue: object, op: OperationAudit): void;
  /** The operation in flight on a context value, if any. */
  operationOf(contextValue: unknown): OperationAudit | undefined;
  /** Forgets the operation in flight on a context value (only when it is `op`, if given). */
  detachOperation(contextValue: object, op?: OperationAudit): void;
  /** The current writer (created on first use). */
  writer(): AuditWriter;
  /** The redactor of a schema (built once per schema). */
  redactorFor(schema: GraphQLSchema): Redactor;
}

/**
 * The error an operation is refused with when `failClosed` is on and its record cannot be written
 * (`INTERNAL_SERVER_ERROR`, HTTP 503).
 */
export function auditUnavailableError(): Error {
  return rampartError(ErrorCode.INTERNAL_SERVER_ERROR, 'The audit trail cannot be written; the request was refused.', {
    status: 503,
  });
}

/**
 * Root field coordinates by operation (no variable changes them: `@skip`/`@include` are not applied).
 * A `WeakMap` on the operation node: Apollo hands the same document to every request of a query.
 */
const rootFieldsCache = new WeakMap<OperationDefinitionNode, { schema: GraphQLSchema; fields: readonly string[] }>();

/** The operation's root field coordinates (`Query.me`), through fragments, without `__typename`. */
export function rootFieldsOf(
  operation: OperationDefinitionNode,
  schema: GraphQLSchema,
  document: { definitions: readonly unknown[] },
): readonly string[] {
  const cached = rootFieldsCache.get(operation);
  if (cached?.schema === schema) return cached.fields;
  const fields = collectRootFields(operation, schema, document);
  rootFieldsCache.set(operation, { schema, fields });
  return fields;
}

function collectRootFields(
  operation: OperationDefinitionNode,
  schema: GraphQLSchema,
  document: { definitions: readonly unknown[] },
): readonly string[] {
  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const typeName = root?.name ?? operation.operation;
  const out = new Set<string>();
  const { fragments } = selectOperation(document as DocumentNode, operation.name?.value);
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        if (s.name.value !== '__typename') out.add(`${typeName}.${(s as FieldNode).name.value}`);
      } else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet);
      else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const f = fragments.get(s.name.value);
        if (f) walk(f.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return [...out];
}

/** The level of an operation's record: the first matching rule's, else the configured level. */
export function operationLevel(
  options: { readonly rules: readonly AuditRule[]; readonly level: AuditLevel },
  op: OperationAudit,
  outcome: AuditOutcome,
): AuditLevel {
  const subject = {
    record: 'operation' as const,
    operationType: op.operationType,
    operationName: op.operationName,
    coordinates: op.rootFields ?? [],
    principal: op.state.principal,
    outcome,
  };
  return decideLevel(options.rules, subject, options.level);
}
