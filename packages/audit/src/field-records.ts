/** The records of `@audit` fields (and mutation root fields): one per resolution, on every transport. */
import { performance } from 'node:perf_hooks';
import { type DecisionEvent, ErrorCode, errorCodeOf, pathToString } from '@rampart/core';
import { type GraphQLNamedType, getNamedType } from 'graphql';
import type { AuditContext } from './internals.js';
import { levelRank } from './options.js';
import { decideLevel } from './policy.js';
import { type OperationFacts, outcomeOf } from './record.js';
import { redactArguments, summarise } from './redact.js';
import type { FieldAuditHook } from './schema.js';

/**
 * The hook the field wrapper calls after each resolution: a `graphql.field` record for a field of an
 * operation in flight (found by its context value), at the field's level (policy, then `@audit`).
 */
export function createFieldHook(ctx: AuditContext): FieldAuditHook {
  const { options, limits } = ctx;
  return (coordinate, declaredLevel, args, context, info, result, error, failed, started) => {
    const op = ctx.operations.get(context as object);
    if (!op) return;
    try {
      const codes = failed ? [errorCodeOf(error) ?? ErrorCode.INTERNAL_SERVER_ERROR] : [];
      const path = pathToString(info.path);
      const all = op.state.events;
      const decisions: DecisionEvent[] = [];
      for (let i = op.decisionsFrom; i < all.length; i++) {
        const d = all[i] as DecisionEvent;
        if (d.coordinate === coordinate || d.path === path) decisions.push(d);
      }
      const outcome = outcomeOf(codes, decisions, 200);
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
      const r = ctx.redactorFor(info.schema);
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
          r.isSensitiveName(info.fieldName) ||
          r.index.sensitiveTypes.has(named.name);
        resultOut = summarise(result, !hidden, r);
      }
      const w = ctx.writer();
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
}
