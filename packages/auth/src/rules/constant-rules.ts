/**
 * Rules whose outcome is known without running anything: `allow`, and combinations that allow
 * whatever their parts decide (`or(isAdmin, allow)`, `and(allow, allow)`, `not(deny)`, `race(allow, x)`).
 * Fields whose rule always allows are not wrapped: there is nothing to decide.
 */
import { LogicRule } from './constructors.js';
import type { CheckedRule } from './tree.js';

/** True when `rule` allows every call, whatever its parts return or throw. */
export function alwaysAllows(rule: CheckedRule): boolean {
  if (!(rule instanceof LogicRule)) return false;
  const parts = rule.rules as readonly CheckedRule[];
  switch (rule.kind) {
    case 'allow':
      return true;
    case 'and':
    case 'chain':
      return parts.length > 0 && parts.every(alwaysAllows);
    case 'or':
    case 'race':
      return parts.some(alwaysAllows);
    case 'not':
      return parts.length === 1 && alwaysDenies(parts[0] as CheckedRule);
    default:
      return false;
  }
}

/** True when `rule` denies every call. */
function alwaysDenies(rule: CheckedRule): boolean {
  if (!(rule instanceof LogicRule)) return false;
  const parts = rule.rules as readonly CheckedRule[];
  switch (rule.kind) {
    case 'deny':
      return true;
    case 'and':
    case 'chain':
      return parts.some(alwaysDenies);
    case 'or':
    case 'race':
      return parts.length > 0 && parts.every(alwaysDenies);
    case 'not':
      return parts.length === 1 && alwaysAllows(parts[0] as CheckedRule);
    default:
      return false;
  }
}
