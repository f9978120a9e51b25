/**
 * `shield(ruleTree, options)`: compiles a graphql-shield rule tree onto a schema with one synchronous
 * `mapSchema` wrapper on each covered field (and nothing on the others).
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  closestName,
  ErrorCode,
  ensureSecurityState,
  fieldCoordinate,
  pathToString,
  RampartConfigError,
  rampartError,
  type SecurityState,
} from '@rampart/core';
import {
  defaultFieldResolver,
  GraphQLError,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isUnionType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { resolveShieldOptions, type ShieldOptions } from '../options.js';
import { alwaysAllows } from './constant-rules.js';
import { allow, and, InputRuleError, ruleName, type ShieldRule } from './constructors.js';
import { compileRule, type Evaluator, type Outcome, type RequestScope, Thrown } from './evaluate.js';
import { type RuleErrorLog, ruleErrorLog } from './rule-errors.js';
import { type CheckedRule, type CheckedTree, checkRuleTree, isCheckedRule } from './tree.js';

/** A rule tree: one rule for everything, or per type a rule or a map of field → rule (`'*'`: every field). */
export type RuleTree =
  | ShieldRule
  | { readonly [typeName: string]: ShieldRule | { readonly [fieldName: string]: ShieldRule } };

/** What `shield()` returns: pass it to `rampart({ rules })`, or call `transformSchema` yourself. */
export interface Shield {
  /** The rule tree, checked. */
  readonly ruleTree: RuleTree;
  /** The resolved options. */
  readonly options: Readonly<Required<ShieldOptions>>;
  /**
   * Wraps the fields the tree covers (synchronously). Fails with a `RampartConfigError` naming any type
   * or field of the tree the schema does not have.
   */
  transformSchema(schema: GraphQLSchema): GraphQLSchema;
  /** The coordinates (`Type.field`) the last `transformSchema` wrapped, with the rule name of each. */
  readonly covered: ReadonlyMap<string, string>;
  /**
   * An Apollo plugin that hands the server's logger to the shield (rules that throw are logged through
   * it, once per rule). `authModule` adds it for you; add it yourself to a server without `rampart()`.
   */
  readonly plugin: ApolloServerPlugin<BaseContext>;
}

/**
 * Declares authorization rules with graphql-shield's API. A rule tree written for graphql-shield (even
 * with graphql-shield's own `rule`/`and`/… objects) works by changing the import.
 *
 * Differences, all on the safe side: a rule that throws denies everywhere (also inside `not`/`or`/`race`)
 * and is logged once; the whole tree is checked here (anything that is not a rule, at any depth, two
 * different rules with one name, rules on introspection types); unknown types and fields fail at
 * startup; rules on interfaces and unions apply to their members (the most restrictive wins); resolver
 * errors are never replaced by the fallback error.
 *
 * @throws RampartConfigError naming the place in the tree of the first problem.
 */
export function shield(ruleTree: RuleTree, options?: ShieldOptions): Shield {
  const resolved = resolveShieldOptions(options, allow);
  const checked = checkRuleTree(ruleTree, resolved.fallbackRule);
  const log = ruleErrorLog(resolved.logger);
  const covered = new Map<string, string>();
  return {
    ruleTree,
    options: resolved,
    covered,
    plugin: log.plugin,
    transformSchema(schema) {
      covered.clear();
      return applyShield(schema, checked.tree, resolved, checked.fallbackRule, covered, log);
    },
  };
}

/** The rule of a type as a whole (a rule, or `'*'`), and of one field (field rule, else the type's). */
function typeLevel(tree: CheckedTree, typeName: string): CheckedRule | undefined {
  if (tree.whole) return tree.whole;
  const entry = tree.types[typeName];
  if (entry === undefined || isCheckedRule(entry)) return entry;
  return entry['*'];
}

function fieldLevel(tree: CheckedTree, typeName: string, fieldName: string): CheckedRule | undefined {
  if (tree.whole) return tree.whole;
  const entry = tree.types[typeName];
  if (entry === undefined || isCheckedRule(entry)) return entry;
  return entry[fieldName] ?? entry['*'];
}

function validateAgainstSchema(schema: GraphQLSchema, tree: CheckedTree): void {
  for (const [typeName, entry] of Object.entries(tree.types)) {
    const type = schema.getType(typeName);
    if (!type) {
      const hint = closestName(typeName, Object.keys(schema.getTypeMap()));
      throw new RampartConfigError(
        `rules.${typeName}`,
        `type "${typeName}" is not in the schema${hint ? ` (did you mean "${hint}"?)` : ''}`,
      );
    }
    if (!isObjectType(type) && !isInterfaceType(type) && !isUnionType(type)) {
      throw new RampartConfigError(`rules.${typeName}`, `"${typeName}" is not an object, interface or union type`);
    }
    if (isCheckedRule(entry)) continue;
    const fields = isUnionType(type) ? {} : type.getFields();
    for (const fieldName of Object.keys(entry)) {
      if (fieldName === '*') continue;
      if (!Object.hasOwn(fields, fieldName)) {
        throw new RampartConfigError(
          `rules.${typeName}.${fieldName}`,
          isUnionType(type)
            ? `"${typeName}" is a union: give it one rule (or '*'), not field rules`
            : `field "${typeName}.${fieldName}" is not in the schema${hintFor(fieldName, Object.keys(fields))}`,
        );
      }
    }
  }
}

function applyShield(
  schema: GraphQLSchema,
  tree: CheckedTree,
  options: Readonly<Required<ShieldOptions>>,
  fallbackRule: CheckedRule,
  covered: Map<string, string>,
  log: RuleErrorLog,
): GraphQLSchema {
  validateAgainstSchema(schema, tree);
  // Unions containing each object type.
  const unionsOf = new Map<string, string[]>();
  for (const t of Object.values(schema.getTypeMap())) {
    if (isUnionType(t)) for (const m of t.getTypes()) unionsOf.set(m.name, [...(unionsOf.get(m.name) ?? []), t.name]);
  }
  const plan = new Map<string, CheckedRule>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || isIntrospectionType(type)) continue;
    const interfaces = type.getInterfaces();
    for (const fieldName of Object.keys(type.getFields())) {
      const found: CheckedRule[] = [];
      const add = (r: CheckedRule | undefined) => {
        if (r !== undefined && !found.includes(r)) found.push(r);
      };
      add(fieldLevel(tree, type.name, fieldName));
      for (const i of interfaces) {
        const onInterfaceField = Object.hasOwn(i.getFields(), fieldName);
        add(onInterfaceField ? fieldLevel(tree, i.name, fieldName) : typeLevel(tree, i.name));
      }
      for (const u of unionsOf.get(type.name) ?? []) add(typeLevel(tree, u));
      let r: CheckedRule;
      if (found.length === 0) r = fallbackRule;
      else if (found.length === 1) r = found[0] as CheckedRule;
      else {
        const strict = found.filter((x) => !alwaysAllows(x));
        r = strict.length === 0 ? allow : strict.length === 1 ? (strict[0] as CheckedRule) : and(...strict);
      }
      // nothing to decide: the field is not wrapped
      if (alwaysAllows(r)) continue;
      plan.set(fieldCoordinate(type.name, fieldName), r);
    }
  }
  const evaluators = new Map<CheckedRule, Evaluator>();
  const evaluateOptions = { hashFunction: options.hashFunction, onThrow: log.ruleThrew };
  const evaluatorOf = (r: CheckedRule) => {
    let e = evaluators.get(r);
    if (!e) {
      e = compileRule(r, evaluateOptions);
      evaluators.set(r, e);
    }
    return e;
  };
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const coordinate = fieldCoordinate(typeName, fieldName);
      const r = plan.get(coordinate);
      if (!r) return fieldConfig;
      const name = ruleName(r);
      covered.set(coordinate, name);
      const wrap = (inner: GraphQLFieldResolver<any, any>) =>
        wrapResolver(inner, evaluatorOf(r), name, coordinate, options);
      return {
        ...fieldConfig,
        resolve: wrap(fieldConfig.resolve ?? defaultFieldResolver),
        ...(fieldConfig.subscribe ? { subscribe: wrap(fieldConfig.subscribe) } : {}),
      };
    },
  });
}

const SCOPE = Symbol('rampart.rules');

interface Scope extends RequestScope {
  readonly recorded: Set<string>;
}

function scopeOf(state: SecurityState): Scope {
  let s = state.slots.get(SCOPE) as Scope | undefined;
  if (!s) {
    s = { cache: new Map(), recorded: new Set() };
    state.slots.set(SCOPE, s);
  }
  return s;
}

const rootFieldCounts = new WeakMap<OperationDefinitionNode, number>();

function countRootFields(info: GraphQLResolveInfo): number {
  const op = info.operation;
  let n = rootFieldCounts.get(op);
  if (n !== undefined) return n;
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode, depth: number) => {
    if (depth > 50) return;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) seen.add((sel.alias ?? sel.name).value);
      else if (sel.kind === Kind.INLINE_FRAGMENT) visit(sel.selectionSet, depth + 1);
      else {
        const f = info.fragments[sel.name.value];
        if (f) visit(f.selectionSet, depth + 1);
      }
    }
  };
  visit(op.selectionSet, 0);
  n = seen.size;
  rootFieldCounts.set(op, n);
  return n;
}

function wrapResolver(
  resolve: GraphQLFieldResolver<any, any>,
  evaluate: Evaluator,
  name: string,
  coordinate: string,
  options: Readonly<Required<ShieldOptions>>,
): GraphQLFieldResolver<any, any> {
  const recordAllowed = options.recordAllowed;
  const deniedError = (
    outcome: Outcome,
    parent: unknown,
    args: any,
    ctx: any,
    info: GraphQLResolveInfo,
    state: SecurityState,
  ) => denial(outcome, parent, args, ctx, info, state, name, coordinate, options);
  return (parent, args, ctx, info) => {
    const state = ensureSecurityState(ctx ?? {});
    const scope = scopeOf(state);
    const outcome = evaluate(parent, args, ctx, info, scope);
    if (outcome === true) {
      if (recordAllowed !== 'none') allowed(state, scope, recordAllowed, coordinate, name, info);
      return resolve(parent, args, ctx, info);
    }
    if (outcome instanceof Promise) {
      return outcome.then((o) => {
        if (o === true) {
          if (recordAllowed !== 'none') allowed(state, scope, recordAllowed, coordinate, name, info);
          return resolve(parent, args, ctx, info);
        }
        return deniedError(o, parent, args, ctx, info, state);
      });
    }
    return deniedError(outcome, parent, args, ctx, info, state);
  };
}

function allowed(
  state: SecurityState,
  scope: Scope,
  mode: 'first' | 'all',
  coordinate: string,
  rule: string,
  info: GraphQLResolveInfo,
): void {
  if (mode === 'first') {
    if (scope.recorded.has(coordinate)) return;
    scope.recorded.add(coordinate);
  }
  state.record({ source: 'rules', outcome: 'allowed', coordinate, rule, path: pathToString(info.path) });
}

/** Builds and throws (sync, or as a rejected promise for an async `fallbackError`) the denial error. */
function denial(
  outcome: Outcome,
  parent: unknown,
  args: unknown,
  ctx: unknown,
  info: GraphQLResolveInfo,
  state: SecurityState,
  rule: string,
  coordinate: string,
  options: Readonly<Required<ShieldOptions>>,
): never | Promise<never> {
  const path = pathToString(info.path);
  const requestScoped =
    options.forbiddenStatus === 'always' ||
    (options.forbiddenStatus === 'sole-root-field' && info.path.prev === undefined && countRootFields(info) === 1);
  const finish = (error: unknown, reason: string): never => {
    const e = toForbidden(error, requestScoped);
    state.record({
      source: 'rules',
      outcome: 'denied',
      code: (e.extensions?.code as string | undefined) ?? ErrorCode.FORBIDDEN,
      coordinate,
      path,
      rule,
      reason,
    });
    throw e;
  };
  if (outcome instanceof Thrown) {
    if (options.debug || options.allowExternalErrors) return finish(outcome.error, 'rule threw (error exposed)');
    return fallback(outcome.error, 'rule threw', parent, args, ctx, info, options, finish);
  }
  if (outcome instanceof Error) return finish(outcome, 'rule returned an error');
  return fallback(null, 'rule denied', parent, args, ctx, info, options, finish);
}

function fallback(
  thrown: unknown,
  reason: string,
  parent: unknown,
  args: unknown,
  ctx: unknown,
  info: GraphQLResolveInfo,
  options: Readonly<Required<ShieldOptions>>,
  finish: (error: unknown, reason: string) => never,
): never | Promise<never> {
  const fe = options.fallbackError;
  if (typeof fe !== 'function') return finish(fe, reason);
  let built: unknown;
  try {
    built = fe(thrown, parent, args, ctx, info);
  } catch {
    return finish('Not Authorised!', `${reason}; fallbackError threw`);
  }
  if (built instanceof Promise) {
    return built.then(
      (e) => finish(e, reason),
      () => finish('Not Authorised!', `${reason}; fallbackError rejected`),
    );
  }
  return finish(built, reason);
}

/** A denial as a FORBIDDEN error; the user's own GraphQLErrors are kept as they are. */
function toForbidden(error: unknown, requestScoped: boolean): GraphQLError {
  if (error instanceof GraphQLError && error.extensions?.code !== undefined) return error;
  const message = typeof error === 'string' ? error : error instanceof Error ? error.message : 'Not Authorised!';
  return rampartError(ErrorCode.FORBIDDEN, message, {
    scope: requestScoped ? 'request' : 'field',
    ...(error instanceof InputRuleError ? { details: { reason: error.reason, issues: error.issues } } : {}),
  });
}

function hintFor(word: string, candidates: readonly string[]): string {
  const c = closestName(word, candidates);
  return c ? ` (did you mean "${c}"?)` : '';
}
