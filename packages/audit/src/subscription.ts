/**
 * Audit records for operations that do not go through Apollo's HTTP pipeline (subscriptions over
 * graphql-ws): a start record when the operation is admitted, an end record when it ends, and a
 * record for an operation another module refused. Same writer, chain, redaction and policy as the
 * records of the Apollo plugin.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  type DecisionEvent,
  ErrorCode,
  errorCodeOf,
  type OperationEnd,
  type OperationHandle,
  type OperationInput,
  type SecurityState,
} from '@rampart/core';
import { type DocumentNode, type ExecutionResult, print } from 'graphql';
import {
  type AuditContext,
  auditUnavailableError,
  type OperationAudit,
  operationLevel,
  rootFieldsOf,
} from './internals.js';
import { type AuditLevel, type AuditOutcome, levelRank } from './options.js';
import { costFacts, type ErrorFact, type OperationFacts, outcomeOf, type SubscriptionFacts } from './record.js';
import { redactVariables } from './redact.js';
import { traceIdFrom } from './sanitize.js';

/** `event.action` of the records of one kind of operation. */
interface Actions {
  readonly start: string;
  readonly end: string;
  readonly rejected: string;
}

const SUBSCRIPTION_ACTIONS: Actions = {
  start: 'graphql.subscription.start',
  end: 'graphql.subscription.end',
  rejected: 'graphql.subscription.rejected',
};

/** A query or mutation sent over graphql-ws: named as on HTTP (`graphql.operation` is the final record). */
const OPERATION_ACTIONS: Actions = {
  start: 'graphql.operation.start',
  end: 'graphql.operation',
  rejected: 'graphql.operation.rejected',
};

const NO_ERRORS: readonly ErrorFact[] = Object.freeze([]);
const NO_CODES: readonly string[] = Object.freeze([]);
const NO_DECISIONS: readonly DecisionEvent[] = Object.freeze([]);
const END_KINDS: ReadonlySet<string> = new Set(['completed', 'stopped', 'error']);

/** The audit trail's hooks for operations outside Apollo's HTTP pipeline. */
export interface OperationAuditHooks {
  /**
   * Writes the start record of an admitted operation and returns the handle whose `end` writes its
   * end record. Throws the `failClosed` refusal (`INTERNAL_SERVER_ERROR`) when the start record is
   * due but cannot be written.
   */
  onOperation(state: SecurityState, operation: OperationInput): OperationHandle | undefined;
  /** Writes the record of an operation refused by `error` (never throws). */
  recordRefusal(state: SecurityState, operation: OperationInput, error: unknown): void;
}

/** Apollo's `queryHash` (SHA-256 of the query text, hex); the printed document when no text was given. */
const printedHashes = new WeakMap<DocumentNode, string>();
function queryHashOf(input: OperationInput): string {
  if (typeof input.query === 'string') return createHash('sha256').update(input.query).digest('hex');
  let hash = printedHashes.get(input.document);
  if (hash === undefined) {
    hash = createHash('sha256').update(print(input.document)).digest('hex');
    printedHashes.set(input.document, hash);
  }
  return hash;
}

function actionsOf(op: OperationAudit): Actions {
  return op.operationType === 'subscription' ? SUBSCRIPTION_ACTIONS : OPERATION_ACTIONS;
}

function describeOperation(state: SecurityState, input: OperationInput): OperationAudit {
  return {
    state,
    started: performance.now(),
    operationType: input.operation.operation,
    operationName: input.operationName ?? input.operation.name?.value,
    queryHash: queryHashOf(input),
    rootFields: rootFieldsOf(input.operation, input.schema, input.document),
    requestId: state.requestId,
    traceId: traceIdFrom(state.headers.get('traceparent')),
    userAgent: state.headers.get('user-agent'),
    decisionsFrom: 0,
  };
}

/** Reports a failure to `onWriteError`, which must not throw into the transport. */
function reportFailure(options: AuditContext['options'], e: unknown): void {
  try {
    options.onWriteError?.(e as Error);
  } catch {}
}

/**
 * The handle of an admitted operation: moves the start of the field records' decisions past each
 * event sent, and writes the end record once.
 */
class OperationRecordHandle implements OperationHandle {
  readonly #records: TransportOperationRecords;
  readonly #context: AuditContext;
  readonly #op: OperationAudit;
  readonly #contextValue: object;
  readonly #decisionsAtStart: number;
  #ended = false;

  constructor(records: TransportOperationRecords, context: AuditContext, op: OperationAudit, contextValue: object) {
    this.#records = records;
    this.#context = context;
    this.#op = op;
    this.#contextValue = contextValue;
    this.#decisionsAtStart = op.decisionsFrom;
  }

  /** Called as each event is sent. */
  shapeResult(result: ExecutionResult): ExecutionResult {
    // The event is out: the next event's field records start after its decisions.
    this.#op.decisionsFrom = this.#op.state.events.length;
    return result;
  }

  /** Writes the end record (once). */
  end(how: OperationEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#context.detachOperation(this.#contextValue, this.#op);
    try {
      this.#records.writeEnd(this.#op, how, this.#decisionsAtStart);
    } catch (e) {
      reportFailure(this.#context.options, e);
    }
  }
}

/** The records of operations outside Apollo's HTTP pipeline, over the shared parts of one audit trail. */
export class TransportOperationRecords implements OperationAuditHooks {
  readonly #context: AuditContext;

  constructor(context: AuditContext) {
    this.#context = context;
  }

  /** See {@link OperationAuditHooks.onOperation}. */
  onOperation(state: SecurityState, input: OperationInput): OperationHandle | undefined {
    const { options } = this.#context;
    if (!options.enabled) return undefined;
    const op = describeOperation(state, input);
    let ok = false;
    try {
      ok = this.#writeAdmission(op, input, actionsOf(op).start, NO_ERRORS);
      // onOperation answers synchronously: under group commit, write the turn's lines now.
      if (ok && options.failClosed) ok = this.#context.writer().writePendingNow();
    } catch (e) {
      reportFailure(options, e);
    }
    if (!ok && options.failClosed) throw auditUnavailableError();
    op.decisionsFrom = state.events.length;
    this.#context.attachOperation(input.contextValue, op);
    return new OperationRecordHandle(this, this.#context, op, input.contextValue);
  }

  /** See {@link OperationAuditHooks.recordRefusal}. */
  recordRefusal(state: SecurityState, input: OperationInput, error: unknown): void {
    if (!this.#context.options.enabled) return;
    this.#context.detachOperation(input.contextValue);
    try {
      const op = describeOperation(state, input);
      const code = errorCodeOf(error) ?? ErrorCode.INTERNAL_SERVER_ERROR;
      const message = String((error as { message?: unknown } | null)?.message ?? error);
      this.#writeAdmission(op, input, actionsOf(op).rejected, [{ code, message }]);
    } catch (e) {
      reportFailure(this.#context.options, e);
    }
  }

  /** The end record: how it ended, events sent, the errors' codes, duration, decisions made meanwhile. */
  writeEnd(op: OperationAudit, ended: OperationEnd, decisionsAtStart: number): boolean {
    const all = op.state.events;
    const decisions = all.length > decisionsAtStart ? all.slice(decisionsAtStart) : NO_DECISIONS;
    const errors: readonly ErrorFact[] = ended.errors?.length
      ? ended.errors.map((e) => ({ code: errorCodeOf(e), message: String(e.message) }))
      : NO_ERRORS;
    const end = END_KINDS.has(ended.outcome) ? ended.outcome : 'error';
    const outcome = outcomeOf(
      errors.length === 0 ? NO_CODES : errors.map(codeOf),
      decisions,
      end === 'error' ? 500 : 200,
    );
    const level = operationLevel(this.#context.options, op, outcome);
    if (level === 'none') return true;
    const w = this.#context.writer();
    const action = actionsOf(op).end;
    const subscription: SubscriptionFacts | undefined =
      op.operationType === 'subscription' ? { end, events: eventCount(ended.results) } : undefined;
    const facts = factsOf(op, action, w.nextSequence(), outcome, level, errors, decisions);
    facts.durationNs = Math.max(0, Math.round((performance.now() - op.started) * 1e6));
    facts.subscription = subscription;
    return w.writeRecord(facts, this.#context.limits, action);
  }

  /** A start or refusal record: who, what, the decisions so far, the cost estimate, the variables. */
  #writeAdmission(op: OperationAudit, input: OperationInput, action: string, errors: readonly ErrorFact[]): boolean {
    const state = op.state;
    const outcome = outcomeOf(errors.length === 0 ? NO_CODES : errors.map(codeOf), state.events, 200);
    const level = operationLevel(this.#context.options, op, outcome);
    if (level === 'none') return true;
    const w = this.#context.writer();
    const facts = factsOf(op, action, w.nextSequence(), outcome, level, errors, state.events);
    facts.cost = costFacts(state.cost, this.#context.options.actualCost);
    facts.variables = this.#variablesFor(level, input);
    return w.writeRecord(facts, this.#context.limits, action);
  }

  /** The redacted variables at `request` level and above; none when the operation has none. */
  #variablesFor(level: AuditLevel, input: OperationInput): Record<string, unknown> | undefined {
    if (levelRank(level) < 2 || !input.operation.variableDefinitions?.length) return undefined;
    const out = redactVariables(
      this.#context.redactorFor(input.schema),
      input.schema,
      input.document,
      input.operation,
      input.variables as Record<string, unknown>,
    );
    for (const _ in out) return out;
    return undefined;
  }
}

function codeOf(e: ErrorFact): string {
  return e.code ?? 'UNKNOWN';
}

function eventCount(n: unknown): number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The facts of one record of `op`, every key present in one fixed order (one object shape for every
 * record, which V8 handles faster than a partial object spread into a literal).
 */
function factsOf(
  op: OperationAudit,
  action: string,
  sequence: number,
  outcome: AuditOutcome,
  level: AuditLevel,
  errors: readonly ErrorFact[],
  decisions: readonly DecisionEvent[],
): Mutable<OperationFacts> {
  return {
    action,
    sequence,
    outcome,
    level,
    durationNs: undefined,
    requestId: op.requestId,
    traceId: op.traceId,
    userAgent: op.userAgent,
    principal: op.state.principal,
    operationType: op.operationType,
    operationName: op.operationName,
    queryHash: op.queryHash,
    rootFields: op.rootFields,
    status: undefined,
    errors,
    decisions,
    cost: undefined,
    variables: undefined,
    subscription: undefined,
  };
}
