/** The records of `@audit` fields (and mutation root fields): one per resolution, on every transport. */
import { performance } from 'node:perf_hooks';
import { type DecisionEvent, ErrorCode, errorCodeOf, pathToString } from '@rampart/core';
import { type GraphQLNamedType, type GraphQLResolveInfo, getNamedType } from 'graphql';
import type { AuditContext, OperationAudit } from './internals.js';
import { type AuditLevel, type AuditOutcome, levelRank } from './options.js';
import { decideLevel } from './policy.js';
import { type OperationFacts, outcomeOf } from './record.js';
import { redactArguments, summarise } from './redact.js';
import type { FieldAuditHook } from './schema.js';

/** One resolution of an audited field, as the field wrapper reports it. */
export interface FieldResolution {
  readonly coordinate: string;
  /** The level `@audit` declares, if any. */
  readonly declaredLevel: AuditLevel | undefined;
  readonly args: Record<string, unknown>;
  readonly info: GraphQLResolveInfo;
  readonly result: unknown;
  readonly error: unknown;
  readonly failed: boolean;
  /** `performance.now()` when the resolver was called. */
  readonly started: number;
}

/** The decisions of the operation's current execution about this field (by coordinate or path). */
function decisionsAbout(op: OperationAudit, coordinate: string, path: string): DecisionEvent[] {
  const all = op.state.events;
  const decisions: DecisionEvent[] = [];
  for (let i = op.decisionsFrom; i < all.length; i++) {
    const d = all[i] as DecisionEvent;
    if (d.coordinate === coordinate || d.path === path) decisions.push(d);
  }
  return decisions;
}

/** Writes a `graphql.field` record per resolution of an audited field of an operation in flight. */
export class FieldRecords {
  readonly #context: AuditContext;

  constructor(context: AuditContext) {
    this.#context = context;
  }

  /**
   * Writes the record of `field`, resolved for the operation of `contextValue` (nothing when no
   * operation is in flight there), at the field's level (policy, then `@audit`). Never throws:
   * auditing never breaks a resolver.
   */
  record(field: FieldResolution, contextValue: unknown): void {
    const op = this.#context.operationOf(contextValue);
    if (!op) return;
    try {
      this.#write(op, field);
    } catch (e) {
      this.#context.options.onWriteError?.(e as Error);
    }
  }

  #write(op: OperationAudit, field: FieldResolution): void {
    const { coordinate, failed, error } = field;
    const codes = failed ? [errorCodeOf(error) ?? ErrorCode.INTERNAL_SERVER_ERROR] : [];
    const path = pathToString(field.info.path);
    const decisions = decisionsAbout(op, coordinate, path);
    const outcome = outcomeOf(codes, decisions, 200);
    const level = this.#levelOf(op, field, outcome);
    if (level === 'none') return;
    const rank = levelRank(level);
    const argsOut = rank >= 2 ? this.#argumentsOf(field) : undefined;
    const resultOut = rank >= 3 && !failed ? this.#resultOf(field) : undefined;
    const w = this.#context.writer();
    const facts: OperationFacts = {
      action: 'graphql.field',
      sequence: w.nextSequence(),
      outcome,
      level,
      durationNs: Math.max(0, Math.round((performance.now() - field.started) * 1e6)),
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
    w.writeRecord(facts, this.#context.limits, 'graphql.field');
  }

  #levelOf(op: OperationAudit, field: FieldResolution, outcome: AuditOutcome): AuditLevel {
    const { options } = this.#context;
    return decideLevel(
      options.rules,
      {
        record: 'field',
        operationType: op.operationType,
        operationName: op.operationName,
        coordinates: [field.coordinate],
        principal: op.state.principal,
        outcome,
      },
      field.declaredLevel ?? options.level,
    );
  }

  /** The redacted arguments (`request` level and above). */
  #argumentsOf(field: FieldResolution): Record<string, unknown> | undefined {
    const { info } = field;
    const def = info.parentType.getFields()[info.fieldName];
    return def
      ? redactArguments(this.#context.redactorFor(info.schema), field.coordinate, def.args, field.args)
      : undefined;
  }

  /** The summary of the result (`response` level); scalars hidden when the field or its type is sensitive. */
  #resultOf(field: FieldResolution): unknown {
    const { info } = field;
    const redactor = this.#context.redactorFor(info.schema);
    const named = getNamedType(info.returnType) as GraphQLNamedType;
    const hidden =
      redactor.index.sensitiveFields.has(field.coordinate) ||
      redactor.isSensitiveName(info.fieldName) ||
      redactor.index.sensitiveTypes.has(named.name);
    return summarise(field.result, !hidden, redactor);
  }
}

/** The hook the field wrapper calls after each resolution: {@link FieldRecords.record}. */
export function createFieldHook(context: AuditContext): FieldAuditHook {
  const records = new FieldRecords(context);
  return (coordinate, declaredLevel, args, contextValue, info, result, error, failed, started) =>
    records.record({ coordinate, declaredLevel, args, info, result, error, failed, started }, contextValue);
}
