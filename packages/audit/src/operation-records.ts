/**
 * The records of operations over Apollo's HTTP pipeline: `graphql.operation.start` (with
 * `failClosed`), `graphql.operation` when the response is sent, and the records of requests refused
 * before an operation (`graphql.request.rejected`, `graphql.request.invalid`).
 */
import { performance } from 'node:perf_hooks';
import type { BaseContext, GraphQLRequestContext } from '@apollo/server';
import { ErrorCode, errorCodeOf, getSecurityState, type SecurityState } from '@rampart/core';
import { type AuditContext, type OperationAudit, operationLevel } from './internals.js';
import { type AuditLevel, type AuditOutcome, levelRank } from './options.js';
import { costFacts, type ErrorFact, type OperationFacts, outcomeOf } from './record.js';
import { redactVariables, summarise } from './redact.js';
import { dataObject, sanitizeString, setData, traceIdFrom } from './sanitize.js';

type RequestContext = GraphQLRequestContext<BaseContext>;

const DEFAULT_STATUS = 200;

/** A request header, from the HTTP request or else the security state (set by the transport). */
function headerOf(rc: RequestContext, state: SecurityState | undefined, name: string): string | undefined {
  return rc.request.http?.headers.get(name) ?? state?.headers.get(name);
}

function resultOf(rc: RequestContext): {
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

function errorsOf(rc: RequestContext): ErrorFact[] {
  const errors = resultOf(rc).errors;
  if (!errors) return [];
  return errors.map((e) => ({ code: errorCodeOf(e), message: String(e.message) }));
}

/** The facts of a record written before any operation: no operation, no principal unless the state has one. */
function requestFacts(
  action: string,
  sequence: number,
  outcome: AuditOutcome,
  status: number,
  code: string,
  reason: string,
  state: SecurityState | undefined,
): OperationFacts {
  return {
    action,
    sequence,
    outcome,
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
    reason,
  };
}

/** Writes the records of HTTP operations through the trail's writer. */
export class OperationRecords {
  readonly #context: AuditContext;

  constructor(context: AuditContext) {
    this.#context = context;
  }

  /** The operation of a request that starts, registered under its context value for the field records. */
  begin(rc: RequestContext, state: SecurityState): OperationAudit {
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
    this.#context.attachOperation(rc.contextValue as object, op);
    return op;
  }

  /**
   * Writes the start (`phase: 'start'`, at `metadata` level) or the end record of `op`, at the level
   * the policy gives. Returns whether the destination accepted it (true when the level is `none`).
   */
  write(rc: RequestContext, op: OperationAudit, action: string, phase: 'start' | 'end'): boolean {
    const { limits } = this.#context;
    const state = op.state;
    const w = this.#context.writer();
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
      phase === 'start' ? 'metadata' : operationLevel(this.#context.options, op, outcome as AuditOutcome);
    if (level === 'none') return true;
    const rank = levelRank(level);
    const variables = rank >= 2 ? this.#variablesOf(rc) : undefined;
    const result = rank >= 3 ? this.#resultSummaryOf(rc) : undefined;
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
      documentId: state.documentId,
      rootFields: op.rootFields,
      status,
      errors,
      decisions: state.events,
      cost: costFacts(state.cost, this.#context.options.actualCost),
      variables,
      result,
    };
    return w.writeRecord(facts, limits, action);
  }

  /** The `graphql.request.rejected` record of a request whose context could not be built. */
  writeContextFailure(error: Error): void {
    const state = getSecurityState(error);
    const http = (error as { extensions?: { http?: { status?: unknown } } }).extensions?.http;
    const status = typeof http?.status === 'number' ? http.status : 500;
    const code = errorCodeOf(error) ?? ErrorCode.INTERNAL_SERVER_ERROR;
    const w = this.#context.writer();
    const action = 'graphql.request.rejected';
    const outcome = outcomeOf([code], [], status);
    const facts = requestFacts(action, w.nextSequence(), outcome, status, code, 'context creation failed', state);
    w.writeRecord(facts, this.#context.limits, action);
  }

  /** The `graphql.request.invalid` record of a malformed HTTP GraphQL request. */
  writeInvalidRequest(): void {
    const w = this.#context.writer();
    const action = 'graphql.request.invalid';
    const reason = 'malformed HTTP GraphQL request';
    const facts = requestFacts(action, w.nextSequence(), 'failure', 400, 'BAD_REQUEST', reason, undefined);
    w.writeRecord(facts, this.#context.limits, action);
  }

  /** The redacted variables (`request` level and above). */
  #variablesOf(rc: RequestContext): Record<string, unknown> | undefined {
    if (!rc.operation || !rc.document) return undefined;
    return redactVariables(
      this.#context.redactorFor(rc.schema),
      rc.schema,
      rc.document,
      rc.operation,
      rc.request.variables as Record<string, unknown> | undefined,
    );
  }

  /** The summary of the result's root fields (`response` level). */
  #resultSummaryOf(rc: RequestContext): unknown {
    const { limits } = this.#context;
    const data = resultOf(rc).data;
    const fields = dataObject();
    if (data) {
      let n = 0;
      for (const key of Object.keys(data)) {
        if (n++ >= limits.maxItems) break;
        setData(fields, sanitizeString(key, 128), summarise(data[key], false, this.#context.redactorFor(rc.schema)));
      }
    }
    return { data: data ? 'present' : 'absent', fields };
  }
}
