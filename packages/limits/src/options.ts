import { type Check, check, describe, type OptionSchema, RampartConfigError, resolveOptions } from '@rampart/core';

/** A limit: a non-negative integer maximum, or `false` to measure without a maximum. */
export type Limit = number | false;

/** Per-coordinate overrides (`'Query.catalog': { depth: 15 }`, `'Mutation.login': { aliases: 1 }`). */
export interface CoordinateOverride {
  /**
   * Maximum depth (counted from the operation root, like `depth`) of the selections under this field.
   * Applies to the whole subtree below the field; a nested override wins inside its own subtree.
   */
  depth?: Limit;
  /** Maximum number of aliased selections of this field in the operation (fragments expanded). */
  aliases?: Limit;
}

/** Cost estimation (Apollo Federation `@cost`/`@listSize`, IBM GraphQL Cost Directives). */
export interface CostOptions {
  /**
   * Maximum estimated cost; above it the operation is refused with `COST_ESTIMATED_TOO_EXPENSIVE`.
   * `false`: estimate (and share the estimate with other packages) without a maximum.
   * @default 5000
   */
  max?: Limit;
  /**
   * Which figure is enforced and written to `state.cost`: `'apollo'` (Apollo Router's demand-control
   * score: type weights times list sizes) or `'ibm'` (IBM's field cost: resolver calls weighted).
   * Both are always computed and returned by `analyzeLimits`.
   * @default 'apollo'
   */
  model?: 'apollo' | 'ibm';
  /**
   * Assumed size of a list field that has neither a slicing argument nor `assumedSize`.
   * @default 10
   */
  defaultListSize?: number;
  /**
   * Base cost of a mutation operation (Apollo Router: 10; queries and subscriptions: 0).
   * @default 10
   */
  mutationBase?: number;
  /**
   * On a list field without `@listSize`, an integer argument (`Int`, not a list) with one of these
   * names slices the list: its value (literal, variable, or the argument's schema default) is the
   * list size, instead of `defaultListSize` (graphql-armor reads `first`/`last`/`limit` the same way).
   * The largest applies when several are given; `slicing.max` caps them too. `[]` turns this off.
   * @default ['first', 'last', 'limit', 'take', 'pageSize', 'perPage']
   */
  slicingArgumentNames?: readonly string[];
}

/** Checks on slicing arguments declared by `@listSize(slicingArguments: …)`. */
export interface SlicingOptions {
  /**
   * Honour `requireOneSlicingArgument` (which defaults to `true` in the directive): refuse a field
   * whose operation gives none, or more than one, of its slicing arguments (GitHub-style "first or
   * last is required on connections").
   * @default true
   */
  requireOne?: boolean;
  /**
   * Largest value a slicing argument may take (e.g. 100 like GitHub's `first`/`last`); larger values
   * are refused. `false`: no cap (the cost limit still applies).
   * @default false
   */
  max?: Limit;
}

/** Options of `limitsPlugin`, `limitsModule` and `analyzeLimits` (`rampart({ limits })`). */
export interface LimitsOptions {
  /**
   * Maximum depth, counted exactly like graphql-depth-limit (`{ user { id } }` is 1; fragments add
   * no depth; `__`-prefixed fields are not followed). Error `MAX_DEPTH_LIMIT`.
   * @default 10
   */
  depth?: Limit;
  /**
   * Maximum height: the number of distinct response keys in the operation, fragments expanded
   * (a field selected twice under the same response key counts once). Error `MAX_HEIGHT_LIMIT`.
   * @default 1000
   */
  height?: Limit;
  /** Maximum number of aliased fields, fragments expanded. Error `MAX_ALIASES_LIMIT`. @default 30 */
  aliases?: Limit;
  /** Maximum number of distinct root fields. Error `MAX_ROOT_FIELDS_LIMIT`. @default 20 */
  rootFields?: Limit;
  /** Maximum number of directive usages, fragments expanded. Error `MAX_DIRECTIVES_LIMIT`. @default 50 */
  directives?: Limit;
  /**
   * Maximum depth of an introspection subtree (`__schema`/`__type` and everything below, `ofType`
   * chains included). The full `getIntrospectionQuery()` (every option on) is 14 deep. Error `MAX_DEPTH_LIMIT`.
   * @default 16
   */
  introspectionDepth?: Limit;
  /** Cost estimation and its maximum. */
  cost?: CostOptions;
  /** Checks on slicing arguments (`first`/`last`…). */
  slicing?: SlicingOptions;
  /**
   * Per schema coordinate (`Type.field`) overrides of `depth` (for the subtree below the field)
   * and `aliases` (aliased selections of that field).
   * @default {}
   */
  overrides?: Record<string, CoordinateOverride>;
  /**
   * Only log and record what would be refused (outcome `'measured'`), for rolling limits out: the
   * same switch as `@rampart/scopes`' `dryRun`.
   * @default false
   */
  dryRun?: boolean;
  /**
   * @deprecated use `dryRun` (`mode: 'measure'` is `dryRun: true`).
   * @default 'enforce'
   */
  mode?: 'enforce' | 'measure';
  /**
   * Put the measured value and the maximum in error messages and `extensions.limit`. With `false`
   * the message only names the limit (the cost error always carries `extensions.cost`).
   * @default true
   */
  exposeLimits?: boolean;
  /**
   * Add `extensions.cost { estimated, actual, max }` to every response.
   * @default false
   */
  exposeCost?: boolean;
  /**
   * Entries of the per-document analysis cache (LRU; documents whose measures depend on variables
   * are re-analyzed each request).
   * @default 1000
   */
  cacheSize?: number;
  /**
   * Work units (selections and argument values visited) after which the analysis stops and the
   * operation is refused with `MAX_HEIGHT_LIMIT`. The analysis is linear, so this only caps
   * documents far larger than any real operation.
   * @default 2000000
   */
  workBudget?: number;
}

/** Resolved options: every field present. */
export interface ResolvedLimitsOptions {
  readonly depth: Limit;
  readonly height: Limit;
  readonly aliases: Limit;
  readonly rootFields: Limit;
  readonly directives: Limit;
  readonly introspectionDepth: Limit;
  readonly cost: Readonly<Required<CostOptions>>;
  readonly slicing: Readonly<Required<SlicingOptions>>;
  readonly overrides: Readonly<Record<string, Readonly<CoordinateOverride>>>;
  /** `'measure'` when `dryRun` (or the deprecated `mode: 'measure'`) is set. */
  readonly mode: 'enforce' | 'measure';
  readonly dryRun: boolean;
  readonly exposeLimits: boolean;
  readonly exposeCost: boolean;
  readonly cacheSize: number;
  readonly workBudget: number;
}

/** The defaults of every cost option. */
export const defaultCostOptions: Readonly<Required<CostOptions>> = Object.freeze({
  max: 5000,
  model: 'apollo',
  defaultListSize: 10,
  mutationBase: 10,
  slicingArgumentNames: Object.freeze(['first', 'last', 'limit', 'take', 'pageSize', 'perPage']),
});

/** The defaults of every slicing option. */
export const defaultSlicingOptions: Readonly<Required<SlicingOptions>> = Object.freeze({
  requireOne: true,
  max: false,
});

/** The defaults of every limits option. */
export const defaultLimitsOptions: ResolvedLimitsOptions = Object.freeze({
  depth: 10,
  height: 1000,
  aliases: 30,
  rootFields: 20,
  directives: 50,
  introspectionDepth: 16,
  cost: defaultCostOptions,
  slicing: defaultSlicingOptions,
  overrides: Object.freeze({}),
  mode: 'enforce',
  dryRun: false,
  exposeLimits: true,
  exposeCost: false,
  cacheSize: 1000,
  workBudget: 2_000_000,
});

const limit: Check = check.anyOf(check.integer(0), check.oneOf(false));

const costSchema: OptionSchema<CostOptions> = {
  max: limit,
  model: check.oneOf('apollo', 'ibm'),
  defaultListSize: check.integer(0, 1_000_000),
  mutationBase: check.integer(0),
  slicingArgumentNames: check.arrayOf(check.string()),
};

const slicingSchema: OptionSchema<SlicingOptions> = {
  requireOne: check.boolean(),
  max: limit,
};

const overrideSchema: OptionSchema<CoordinateOverride> = { depth: limit, aliases: limit };

const COORDINATE = /^[_A-Za-z][_0-9A-Za-z]*\.[_A-Za-z][_0-9A-Za-z]*$/;

const schema: OptionSchema<LimitsOptions> = {
  depth: limit,
  height: limit,
  aliases: limit,
  rootFields: limit,
  directives: limit,
  introspectionDepth: limit,
  cost: check.object(),
  slicing: check.object(),
  overrides: check.object(),
  dryRun: check.boolean(),
  mode: check.oneOf('enforce', 'measure'),
  exposeLimits: check.boolean(),
  exposeCost: check.boolean(),
  cacheSize: check.integer(0, 10_000_000),
  workBudget: check.integer(1),
};

/**
 * Checks and completes limits options (unknown keys and bad values fail at startup, naming the option).
 * @param user - what the user passed.
 * @param path - option path for messages.
 * @throws RampartConfigError
 */
export function resolveLimitsOptions(user?: LimitsOptions, path = 'limits'): ResolvedLimitsOptions {
  if (user === undefined) return defaultLimitsOptions;
  const top = resolveOptions<LimitsOptions>(path, defaultLimitsOptions as LimitsOptions, schema, user);
  const cost = resolveOptions(`${path}.cost`, defaultCostOptions, costSchema, user.cost) as Required<CostOptions>;
  const slicing = resolveOptions(
    `${path}.slicing`,
    defaultSlicingOptions,
    slicingSchema,
    user.slicing,
  ) as Required<SlicingOptions>;
  const overrides: Record<string, Readonly<CoordinateOverride>> = {};
  for (const [coordinate, value] of Object.entries(user.overrides ?? {})) {
    const p = `${path}.overrides.${coordinate}`;
    if (!COORDINATE.test(coordinate)) {
      throw new RampartConfigError(p, `must be a field coordinate like "Query.catalog", got ${describe(coordinate)}`);
    }
    overrides[coordinate] = resolveOptions(p, Object.freeze({}), overrideSchema, value);
  }
  if (user.dryRun !== undefined && user.mode !== undefined && user.dryRun !== (user.mode === 'measure')) {
    throw new RampartConfigError(`${path}.mode`, `contradicts ${path}.dryRun (mode is deprecated: use dryRun only)`);
  }
  const dryRun = user.dryRun ?? user.mode === 'measure';
  return Object.freeze({
    ...(top as ResolvedLimitsOptions),
    dryRun,
    mode: dryRun ? 'measure' : 'enforce',
    cost,
    slicing,
    overrides: Object.freeze(overrides),
  });
}
