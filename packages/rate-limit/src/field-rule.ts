import { RampartConfigError } from '@rampart/core';

/** One `@rateLimit(limit, duration, by, name)` on a field (or inherited from its object). */
export interface FieldRule {
  /** Calls allowed per window. */
  readonly limit: number;
  /** Window in seconds. */
  readonly duration: number;
  /** `'principal'` (default), `'ip'`, or `'args.<path>'`. */
  readonly by?: string | undefined;
  /** Policy name for headers and decisions (default `<Type.field>:<limit>/<duration>s`). */
  readonly name?: string | undefined;
}

const BY = /^(principal|ip|args\.[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*)$/;

/** Checks a `@rateLimit` rule read from the schema. @throws RampartConfigError */
export function checkFieldRule(coordinate: string, rule: FieldRule): void {
  const where = `@rateLimit on ${coordinate}`;
  if (!Number.isInteger(rule.limit) || rule.limit < 1)
    throw new RampartConfigError(where, 'limit must be an integer ≥ 1');
  if (!Number.isInteger(rule.duration) || rule.duration < 1)
    throw new RampartConfigError(where, 'duration must be an integer ≥ 1 (seconds)');
  if (rule.by !== undefined && rule.by !== null && !BY.test(rule.by))
    throw new RampartConfigError(
      where,
      `by must be "principal", "ip" or "args.<name>", got ${JSON.stringify(rule.by)}`,
    );
}
