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

/** A `@rateLimit` rule prepared once, at schema build. */
export interface CompiledRule {
  readonly rule: FieldRule;
  /** Its name in decisions (the rule's `name`, else `<coordinate>:<limit>/<duration>s`). */
  readonly name: string;
  /** The window in ms. */
  readonly windowMs: number;
  /** Key part after the hash tag: `:f:<coordinate>:<limit>/<duration>:`. */
  readonly keyMiddle: string;
  /** Counted per client address (`by: "ip"`). */
  readonly byIp: boolean;
  /** Counted per value of this argument path (`by: "args.<path>"`). */
  readonly byArgument: string | undefined;
}

/** The compiled `@rateLimit` rules of one field. */
export interface FieldGuard {
  readonly coordinate: string;
  readonly rules: readonly CompiledRule[];
  /** Every rule counts by the principal: one store call per resolver call. */
  readonly byPrincipal: boolean;
}

/** Checks and prepares the `@rateLimit` rules of one field (key parts and names computed once). @throws RampartConfigError */
export function compileFieldGuard(coordinate: string, rules: readonly FieldRule[]): FieldGuard {
  const compiled = rules.map((rule): CompiledRule => {
    checkFieldRule(coordinate, rule);
    const by = rule.by ?? 'principal';
    return {
      rule,
      name: rule.name ?? `${coordinate}:${rule.limit}/${rule.duration}s`,
      windowMs: rule.duration * 1000,
      keyMiddle: `:f:${coordinate}:${rule.limit}/${rule.duration}:`,
      byIp: by === 'ip',
      byArgument: by.startsWith('args.') ? by.slice(5) : undefined,
    };
  });
  return {
    coordinate,
    rules: compiled,
    byPrincipal: compiled.every((r) => !r.byIp && r.byArgument === undefined),
  };
}
