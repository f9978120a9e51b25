/**
 * The shield rules of the options (`rules: shield(tree, options)` from `@rampart/auth`), per field
 * coordinate. Read through the Shield's public API: `transformSchema(schema)` compiles the tree onto
 * the schema exactly as the server would (interface and union rules applied to their members, the
 * fallback rule to the rest, rules that always allow left out), and `covered` then lists every field
 * it guards with the rule's name.
 */
import type { GraphQLSchema } from 'graphql';
import { usageError } from '../cli.js';

/** The part of `@rampart/auth`'s `Shield` the report uses. */
interface ShieldLike {
  transformSchema(schema: GraphQLSchema): GraphQLSchema;
  readonly covered: ReadonlyMap<string, string>;
}

function isShield(value: unknown): value is ShieldLike {
  const v = value as Partial<ShieldLike> | null;
  return typeof v?.transformSchema === 'function' && v.covered instanceof Map;
}

/**
 * The rule of each guarded field (`Type.field` → rule name), or undefined when the options have no
 * `rules`. A tree naming what the schema lacks is a usage error (as it is a startup error).
 */
export function shieldRules(rules: unknown, schema: GraphQLSchema, path: string): Map<string, string> | undefined {
  if (rules === undefined || rules === null) return undefined;
  if (!isShield(rules)) {
    throw usageError(`--config ${path}: "rules" must be the result of shield(ruleTree, options) from @rampart/auth`);
  }
  try {
    rules.transformSchema(schema);
  } catch (e) {
    throw usageError(`--config ${path}: the rules do not fit the schema: ${(e as Error).message}`);
  }
  return new Map(rules.covered);
}
