import type { Principal } from '@rampart/core';
import type { AuditLevel, AuditOutcome, AuditRecordKind, AuditRule } from './options.js';

/** What a policy rule is matched against. */
export interface PolicySubject {
  readonly record: AuditRecordKind;
  readonly operationType: string | undefined;
  readonly operationName: string | undefined;
  /** Root field coordinates (operation record) or the field's own coordinate (field record). */
  readonly coordinates: readonly string[];
  readonly principal: Principal;
  readonly outcome: AuditOutcome;
}

function coordinateMatches(pattern: string, coordinate: string): boolean {
  if (pattern.endsWith('.*')) return coordinate.startsWith(pattern.slice(0, -1));
  return pattern === coordinate;
}

/** Whether every condition the rule gives holds for the subject. */
export function ruleMatches(rule: AuditRule, s: PolicySubject): boolean {
  if (rule.records && !rule.records.includes(s.record)) return false;
  if (rule.operationTypes && !(s.operationType && (rule.operationTypes as readonly string[]).includes(s.operationType)))
    return false;
  if (rule.operationNames && !(s.operationName && rule.operationNames.includes(s.operationName))) return false;
  if (rule.coordinates && !rule.coordinates.some((p) => s.coordinates.some((c) => coordinateMatches(p, c))))
    return false;
  if (rule.principalKinds && !rule.principalKinds.includes(s.principal.kind)) return false;
  if (rule.roles && !rule.roles.some((r) => s.principal.roles.has(r))) return false;
  if (rule.outcomes && !rule.outcomes.includes(s.outcome)) return false;
  return true;
}

/** The level of the first matching rule, else `fallback`. */
export function decideLevel(rules: readonly AuditRule[], subject: PolicySubject, fallback: AuditLevel): AuditLevel {
  for (const rule of rules) if (ruleMatches(rule, subject)) return rule.level;
  return fallback;
}
