/**
 * The rule tree, checked and converted once, when `shield()` is called: every rule at any depth becomes
 * one of Rampart's own (graphql-shield rule objects included, inside Rampart's `and()`/`or()`/… too),
 * anything else fails with a `RampartConfigError` naming its place in the tree
 * (`rules.Query.order.and[1].not`), two different rules may not share a name, and introspection types
 * and fields cannot have rules. Nothing is left to fail at request time.
 */
import { createDictionary, type Dictionary, RampartConfigError } from '@rampart/core';
import {
  allow,
  deny,
  type ForeignShieldRule,
  foreignLogicKind,
  isForeignLeaf,
  LogicRule,
  normaliseCache,
  Rule,
  type RuleCache,
  type RuleFunction,
} from './constructors.js';

/** A rule whose every descendant is one of Rampart's own rules (what the evaluators compile). */
export type CheckedRule = Rule | LogicRule;

/** What a type of the tree holds once checked: one rule for the type, or field → rule (`'*'` included). */
export type CheckedTypeEntry = CheckedRule | Dictionary<CheckedRule>;

/** A rule tree after {@link checkRuleTree}: only Rampart rules, in dictionaries with no prototype. */
export interface CheckedTree {
  /** The rule of every field, when the whole tree is one rule. */
  readonly whole: CheckedRule | undefined;
  /** Type name → entry (empty when {@link CheckedTree.whole} is set). */
  readonly types: Dictionary<CheckedTypeEntry>;
}

/** True when a checked type entry is one rule (not a map of field rules). */
export function isCheckedRule(entry: CheckedTypeEntry): entry is CheckedRule {
  return entry instanceof Rule || entry instanceof LogicRule;
}

const logicKinds = new Set<string>(['and', 'or', 'not', 'chain', 'race', 'allow', 'deny']);

function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'string') return `the string ${JSON.stringify(x.slice(0, 40))} (use the rule itself, not its name)`;
  if (typeof x === 'function') return 'a function (wrap it with rule()(fn))';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object')
    return `an object that is not a rule (${(x as object).constructor?.name ?? 'no prototype'})`;
  return `${typeof x} ${String(x)}`;
}

/** One conversion: memoised per object (a rule used in many places stays one object) and name-checked. */
class Converter {
  readonly #done = new Map<object, CheckedRule>();
  readonly #visiting = new Set<object>();
  readonly #names = new Map<string, { readonly rule: Rule; readonly path: string }>();

  /** Converts `x`, found at `path`, or throws a `RampartConfigError` naming the path. */
  convert(x: unknown, path: string): CheckedRule {
    if (x === null || typeof x !== 'object') throw new RampartConfigError(path, `not a rule: ${describeValue(x)}`);
    const done = this.#done.get(x);
    if (done) return done;
    if (this.#visiting.has(x)) throw new RampartConfigError(path, 'the rule contains itself');
    this.#visiting.add(x);
    const out = this.#convertNew(x, path);
    this.#visiting.delete(x);
    this.#done.set(x, out);
    return out;
  }

  #convertNew(x: object, path: string): CheckedRule {
    if (x instanceof Rule) return this.#named(x, path);
    if (x instanceof LogicRule) {
      if (!logicKinds.has(x.kind)) throw new RampartConfigError(path, `unknown logic rule "${String(x.kind)}"`);
      return this.#logic(x.kind, x.rules, x.error, path, x);
    }
    const kind = foreignLogicKind(x);
    if (kind) {
      const foreign = x as ForeignShieldRule;
      const error = foreign.error instanceof Error ? foreign.error : undefined;
      return this.#logic(kind, Array.isArray(foreign.rules) ? foreign.rules : [], error, path, undefined);
    }
    if (isForeignLeaf(x)) return this.#named(this.#foreignLeaf(x as ForeignShieldRule, path), path);
    throw new RampartConfigError(path, `not a rule: ${describeValue(x)}`);
  }

  /** A logic rule with converted children; the original object when nothing had to change. */
  #logic(
    kind: LogicRule['kind'],
    rules: readonly unknown[],
    error: Error | undefined,
    path: string,
    original: LogicRule | undefined,
  ): CheckedRule {
    if (kind === 'allow') return allow;
    if (kind === 'deny') return deny;
    if (kind === 'not' && rules.length !== 1) {
      throw new RampartConfigError(path, `not() takes exactly one rule, got ${rules.length}`);
    }
    const children = rules.map((r, i) => this.convert(r, kind === 'not' ? `${path}.not` : `${path}.${kind}[${i}]`));
    if (original && children.every((c, i) => c === rules[i])) return original;
    return new LogicRule(kind, children, error);
  }

  #foreignLeaf(foreign: ForeignShieldRule, path: string): Rule {
    let cache: Rule['cache'];
    try {
      cache = normaliseCache(foreign.cache as RuleCache, path);
    } catch (e) {
      throw new RampartConfigError(path, (e as Error).message);
    }
    const name = typeof foreign.name === 'string' && foreign.name !== '' ? foreign.name : anonymousName();
    return new Rule(name, foreign.func as RuleFunction, cache);
  }

  /**
   * Two different rules may not share a name (decisions and audit records name rules). Two rule objects
   * with the same name, function and cache are one rule written twice (graphql-shield's test too).
   */
  #named(r: Rule, path: string): Rule {
    const seen = this.#names.get(r.name);
    if (!seen) this.#names.set(r.name, { rule: r, path });
    else if (seen.rule !== r && (seen.rule.func !== r.func || seen.rule.cache !== r.cache)) {
      throw new RampartConfigError(
        path,
        `another rule is already named "${r.name}" (at ${seen.path}): decisions and audit records name rules, so give each rule its own name`,
      );
    }
    return r;
  }
}

let anonymous = 0;
const anonymousName = () => `rule#shield-${++anonymous}`;

/** Why a type or field name cannot have rules, or `undefined` when it can. */
function introspectionProblem(name: string, what: 'type' | 'field'): string | undefined {
  if (!name.startsWith('__')) return undefined;
  return what === 'type'
    ? `"${name}" is an introspection type: rules cannot guard the schema's own description (turn introspection off instead)`
    : `"${name}" is an introspection field: rules cannot guard it`;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** A map of field rules: an object literal (or an object with no prototype). */
function isFieldMap(x: unknown): x is Record<string, unknown> {
  if (!isPlainObject(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function isRuleLike(x: unknown): boolean {
  return (
    x instanceof Rule ||
    x instanceof LogicRule ||
    (isPlainObject(x) && (foreignLogicKind(x) !== undefined || isForeignLeaf(x)))
  );
}

function checkFields(entry: Record<string, unknown>, typeName: string, c: Converter): Dictionary<CheckedRule> {
  const fields = createDictionary<CheckedRule>();
  for (const fieldName of Object.keys(entry)) {
    const path = `rules.${typeName}.${fieldName}`;
    const problem = introspectionProblem(fieldName, 'field');
    if (problem) throw new RampartConfigError(path, problem);
    fields[fieldName] = c.convert(entry[fieldName], path);
  }
  return fields;
}

/**
 * Checks and converts a rule tree and the fallback rule together (one name space for both).
 *
 * @throws RampartConfigError naming the place of the first problem in the tree.
 */
export function checkRuleTree(
  tree: unknown,
  fallbackRule: unknown,
): { readonly tree: CheckedTree; readonly fallbackRule: CheckedRule } {
  const c = new Converter();
  const types = createDictionary<CheckedTypeEntry>();
  let whole: CheckedRule | undefined;
  if (isRuleLike(tree)) whole = c.convert(tree, 'rules');
  else if (!isPlainObject(tree)) {
    throw new RampartConfigError('rules', 'the rule tree must be a rule or an object of types');
  } else {
    for (const typeName of Object.keys(tree)) {
      const path = `rules.${typeName}`;
      const problem = introspectionProblem(typeName, 'type');
      if (problem) throw new RampartConfigError(path, problem);
      const entry = tree[typeName];
      if (isRuleLike(entry)) types[typeName] = c.convert(entry, path);
      else if (isFieldMap(entry)) {
        types[typeName] = checkFields(entry, typeName, c);
      } else
        throw new RampartConfigError(path, `must be a rule or an object of field rules, got ${describeValue(entry)}`);
    }
  }
  return { tree: { whole, types }, fallbackRule: c.convert(fallbackRule, 'rules.fallbackRule') };
}
