/**
 * Rule constructors with graphql-shield's API: `rule`, `inputRule`, `and`, `or`, `not`, `chain`,
 * `race`, `allow`, `deny`. Rules are plain descriptions; `shield()` compiles them once at startup.
 */
import type { GraphQLResolveInfo } from 'graphql';

/** What a rule function may return: `true` allows; `false` denies with the fallback error; a string
 * or an `Error` denies with that message/error. */
export type RuleResult = boolean | string | Error;

/** A rule function, with graphql-shield's `(parent, args, ctx, info)` signature. Synchronous rules stay
 * synchronous: no Promise is introduced on a field whose rules are all sync. */
export type RuleFunction<TContext = any, TParent = any, TArgs = any> = (
  parent: TParent,
  args: TArgs,
  ctx: TContext,
  info: GraphQLResolveInfo,
) => RuleResult | Promise<RuleResult>;

/**
 * Per-request result cache of a rule, as graphql-shield documents it:
 * - `'no_cache'` (default): evaluated on every field;
 * - `'contextual'`: once per request (the rule reads only the context);
 * - `'strict'`: once per request per parent object and arguments;
 * - a function: once per request per key it returns.
 * `true` means `'strict'`, `false` means `'no_cache'` (graphql-shield's legacy values).
 */
export type RuleCache =
  | 'no_cache'
  | 'contextual'
  | 'strict'
  | boolean
  | ((parent: any, args: any, ctx: any, info: GraphQLResolveInfo) => string);

/** Options of {@link rule}. */
export interface RuleOptions {
  /** @default 'no_cache' */
  cache?: RuleCache;
  /** Accepted for graphql-shield compatibility; ignored (Rampart does not rewrite queries). */
  fragment?: string;
}

let counter = 0;
const generatedName = (prefix: string) => `${prefix}#${++counter}`;

/** A rule built from a user function. */
export class Rule {
  readonly kind = 'rule' as const;
  constructor(
    /** Name, used in decisions and error messages. */
    readonly name: string,
    /** The rule function. */
    readonly func: RuleFunction,
    /** Cache mode, normalised. */
    readonly cache: 'no_cache' | 'contextual' | 'strict' | ((parent: any, args: any, ctx: any, info: any) => string),
  ) {}
}

/** A rule that validates the field's arguments against a schema. */
export class InputRule extends Rule {}

/** A rule combining other rules. */
export class LogicRule {
  constructor(
    /** Which combinator. */
    readonly kind: 'and' | 'or' | 'not' | 'chain' | 'race' | 'allow' | 'deny',
    /** The combined rules. */
    readonly rules: readonly ShieldRule[],
    /** `not()` only: the error when the inner rule allows. */
    readonly error?: Error,
  ) {}

  /** A readable name, e.g. `and(isAuthenticated,isAdmin)`. */
  get name(): string {
    if (this.kind === 'allow' || this.kind === 'deny') return this.kind;
    return `${this.kind}(${this.rules.map((r) => ruleName(r)).join(',')})`;
  }
}

/**
 * Anything accepted where a rule is expected: a Rampart rule, or a rule object built by
 * graphql-shield's own constructors (converted once).
 */
export type ShieldRule = Rule | LogicRule | ForeignShieldRule;

/** A rule object from graphql-shield (duck-typed: it is a dev dependency, never imported at runtime). */
export interface ForeignShieldRule {
  readonly constructor: { readonly name: string };
  readonly name?: string;
  readonly func?: (...args: any[]) => unknown;
  readonly cache?: unknown;
  readonly rules?: readonly unknown[];
  readonly error?: unknown;
}

/** A cache option in its normal form; throws a `TypeError` naming `where` on anything else. */
export function normaliseCache(cache: RuleCache | undefined, where: string): Rule['cache'] {
  if (cache === undefined || cache === false || cache === 'no_cache') return 'no_cache';
  if (cache === true || cache === 'strict') return 'strict';
  if (cache === 'contextual') return 'contextual';
  if (typeof cache === 'function') return cache;
  throw new TypeError(`${where}: cache must be 'no_cache', 'contextual', 'strict', a boolean or a function`);
}

/**
 * Builds a rule, with graphql-shield's signature: `rule(name?, options?)(fn)` or `rule(options)(fn)`.
 *
 * @example
 * const isAdmin = rule({ cache: 'contextual' })((_p, _a, ctx) => getSecurityState(ctx)?.principal.roles.has('admin') ?? false);
 */
export function rule(name?: string | RuleOptions, options?: RuleOptions): (func: RuleFunction) => Rule {
  let n: string | undefined;
  let o: RuleOptions = {};
  if (typeof name === 'object' && name !== null) o = name;
  else {
    n = name;
    o = options ?? {};
  }
  const cache = normaliseCache(o.cache, `rule(${n ?? ''})`);
  return (func) => {
    if (typeof func !== 'function') throw new TypeError(`rule(${n ?? ''}) expects a function`);
    return new Rule(n ?? generatedName(func.name || 'rule'), func, cache);
  };
}

/** A Standard Schema v1 validator (zod ≥ 3.24, valibot ≥ 1, arktype, yup ≥ 1.7 …). */
export interface StandardSchemaV1 {
  readonly '~standard': {
    readonly version: 1;
    readonly validate: (value: unknown) => StandardResult | Promise<StandardResult>;
  };
}
type StandardResult =
  | { readonly value: unknown; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
      }>;
    };

/** Options of an {@link inputRule}. */
export interface InputRuleOptions {
  /**
   * What a refusal says in `extensions.reason` (the message is the validator's own, as in
   * graphql-shield). @default 'Invalid arguments'
   */
  message?: string;
}

/** One problem a validator found: where in the arguments (dotted) and its message. */
export interface InputIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * The denial of an {@link inputRule}: the validator's messages as the message; `reason` and `issues`
 * go to the error's `extensions`.
 */
export class InputRuleError extends Error {
  override readonly name = 'InputRuleError';
  constructor(
    /** `InputRuleOptions.message`. */
    readonly reason: string,
    /** Every issue the validator reported. */
    readonly issues: readonly InputIssue[],
  ) {
    super(issues.map((i) => i.message).join('; ') || reason);
  }
}

function issuesError(result: StandardResult, options: InputRuleOptions | undefined): true | Error {
  if (!result.issues) return true;
  const issues = result.issues.map((i) => ({
    path: (i.path ?? []).map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.'),
    message: String(i.message),
  }));
  return new InputRuleError(options?.message ?? 'Invalid arguments', issues);
}

/**
 * A rule that validates the field's arguments, like graphql-shield's `inputRule` but with any
 * [Standard Schema](https://standardschema.dev) library instead of a bundled yup (Rampart adds no
 * validation dependency). Pass a schema, or a function `(ctx) => schema` to build it per request.
 * Cached `'strict'` (per parent and arguments), like graphql-shield's.
 *
 * @example
 * const validEmail = inputRule('validEmail')(z.object({ email: z.string().email() }));
 */
export function inputRule(
  name?: string,
): (schema: StandardSchemaV1 | ((ctx: any) => StandardSchemaV1), options?: InputRuleOptions) => InputRule {
  return (schema, options) => {
    const get = typeof schema === 'function' ? schema : () => schema;
    if (typeof schema !== 'function' && typeof schema?.['~standard']?.validate !== 'function') {
      throw new TypeError(`inputRule(${name ?? ''}) expects a Standard Schema (zod, valibot, arktype, …)`);
    }
    const func: RuleFunction = (_parent, args, ctx) => {
      const result = get(ctx)['~standard'].validate(args);
      return result instanceof Promise
        ? result.then((r) => issuesError(r, options))
        : issuesError(result as StandardResult, options);
    };
    return new InputRule(name ?? generatedName('inputRule'), func, 'strict');
  };
}

/** Allows when every rule allows. Evaluated in order; a synchronous denial stops the evaluation. */
export const and = (...rules: ShieldRule[]): LogicRule => new LogicRule('and', rules);
/** Allows when any rule allows. A rule that throws counts as a denial of its branch. */
export const or = (...rules: ShieldRule[]): LogicRule => new LogicRule('or', rules);
/** Allows when every rule allows, evaluating them one after another and stopping at the first denial. */
export const chain = (...rules: ShieldRule[]): LogicRule => new LogicRule('chain', rules);
/** Allows at the first rule that allows, evaluating them one after another. */
export const race = (...rules: ShieldRule[]): LogicRule => new LogicRule('race', rules);
/**
 * Allows when the rule denies. Unlike graphql-shield, a rule that throws is NOT turned into an
 * allowance: `not(throwingRule)` denies.
 */
export const not = (rule: ShieldRule, error?: string | Error): LogicRule =>
  new LogicRule('not', [rule], typeof error === 'string' ? new Error(error) : error);
/** Always allows. */
export const allow: LogicRule = new LogicRule('allow', []);
/** Always denies. */
export const deny: LogicRule = new LogicRule('deny', []);

/** The name of any rule (used in decisions). */
export function ruleName(r: ShieldRule): string {
  if (r instanceof Rule || r instanceof LogicRule) return r.name;
  if (r === null || typeof r !== 'object') return 'not-a-rule';
  const foreign = r as ForeignShieldRule;
  const kind = foreign.constructor?.name;
  if (typeof foreign.func === 'function') return String(foreign.name ?? 'rule');
  if (kind === 'RuleTrue') return 'allow';
  if (kind === 'RuleFalse') return 'deny';
  return String(kind ?? 'rule');
}

const foreignKinds: Readonly<Record<string, LogicRule['kind']>> = Object.freeze({
  RuleAnd: 'and',
  RuleOr: 'or',
  RuleNot: 'not',
  RuleChain: 'chain',
  RuleRace: 'race',
  RuleTrue: 'allow',
  RuleFalse: 'deny',
});

/** The combinator of a graphql-shield logic rule (`RuleAnd` → `'and'`, …), or `undefined`. */
export function foreignLogicKind(x: object): LogicRule['kind'] | undefined {
  const name = (x as ForeignShieldRule).constructor?.name;
  return typeof name === 'string' && Object.hasOwn(foreignKinds, name) ? foreignKinds[name] : undefined;
}

/** True when `x` is a graphql-shield rule built from a function (`rule()`, `inputRule()`). */
export function isForeignLeaf(x: object): boolean {
  return typeof (x as ForeignShieldRule).func === 'function' && 'cache' in x;
}

/**
 * True when `x` is a rule: Rampart's or graphql-shield's. Only `x` itself is looked at; `shield()`
 * checks the rules inside logic rules.
 */
export function isShieldRule(x: unknown): x is ShieldRule {
  if (x instanceof Rule || x instanceof LogicRule) return true;
  if (x === null || typeof x !== 'object') return false;
  return foreignLogicKind(x) !== undefined || isForeignLeaf(x);
}
