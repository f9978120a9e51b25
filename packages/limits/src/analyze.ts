/**
 * One-pass operation analysis: depth, height, aliases, root fields, directives, introspection depth
 * and cost (Apollo Router's demand-control score and IBM's field cost) in a single iterative
 * traversal (walk.ts), with the variables as graphql-js execution sees them (values.ts) and fields
 * merged as graphql-js merges them (merge.ts). Linear in the document, and a work budget on top.
 */
import { type ErrorCode, selectOperation, variableDefinitionsOf } from '@rampart/core';
import {
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  Kind,
  type SelectionNode,
} from 'graphql';
import type { Frame } from './frame.js';
import { type LimitsOptions, type ResolvedLimitsOptions, resolveLimitsOptions } from './options.js';
import { schemaInfo } from './schema-info.js';
import { variableValues, type WorkBudget } from './values.js';
import { emptyResult, finish } from './verdict.js';
import { Walker } from './walk.js';

/** Names of the limits, as used in decisions (`rule`) and violations. */
export type LimitName =
  | 'depth'
  | 'height'
  | 'aliases'
  | 'rootFields'
  | 'directives'
  | 'introspectionDepth'
  | 'cost'
  | 'slicing'
  | 'workBudget';

/** A limit the operation is over. */
export interface Violation {
  readonly rule: LimitName;
  readonly code: ErrorCode;
  readonly measured: number;
  readonly max: number;
  /** For per-coordinate limits and slicing arguments. */
  readonly coordinate?: string;
  /** A message that names the limit (and the numbers where `exposeLimits`). */
  readonly message: string;
}

/** Something in the document that could not be analyzed normally. */
export interface AnalysisProblem {
  readonly kind: 'unknownOperation' | 'unknownFragment' | 'cyclicFragment' | 'unknownField' | 'workBudget';
  readonly message: string;
  /** Fragment, field coordinate or operation concerned. */
  readonly name?: string;
}

/** A slicing argument that is missing, repeated or too large. */
export interface SlicingFinding {
  readonly coordinate: string;
  readonly problem: 'missing' | 'multiple' | 'tooLarge';
  /** The value given (for `tooLarge`) or how many slicing arguments were given. */
  readonly value: number;
  /** The cap (for `tooLarge`). */
  readonly max?: number;
}

/** The analysis of one operation. Numbers saturate at `Infinity` (cyclic fragments, overflow). */
export interface OperationAnalysis {
  readonly operationName: string | null;
  readonly operationType: 'query' | 'mutation' | 'subscription' | null;
  /** graphql-depth-limit's depth. */
  readonly depth: number;
  /** Distinct response keys, fragments expanded. */
  readonly height: number;
  readonly aliases: number;
  readonly rootFields: number;
  readonly directives: number;
  /** Depth of the deepest `__schema`/`__type` subtree. */
  readonly introspectionDepth: number;
  /** Estimated cost (Apollo Router's model, mutation base included). */
  readonly cost: number;
  /** IBM field cost (resolver calls weighted). */
  readonly fieldCost: number;
  /** Per overridden coordinate present in the operation: depth below it and aliased selections. */
  readonly coordinates: Readonly<Record<string, { readonly depth: number; readonly aliases: number }>>;
  readonly slicing: readonly SlicingFinding[];
  readonly problems: readonly AnalysisProblem[];
  /** True when a variable value changed the result (`@skip`/`@include`, slicing or costed arguments). */
  readonly variableDependent: boolean;
  /** Work units spent (selections and argument values visited). */
  readonly work: number;
  /** Limits exceeded under the options given. */
  readonly violations: readonly Violation[];
  /**
   * Only with `openVariables`: the slicing arguments (`Type.field(arg:)`) given an open variable, whose
   * list size the client chooses (the figures above use the argument's default instead).
   */
  readonly unboundedSlicing?: readonly string[];
}

/** Options of {@link analyzeLimits}: the limits options plus the request's operation name and variables. */
export interface AnalyzeLimitsOptions extends LimitsOptions {
  operationName?: string | null | undefined;
  variables?: Readonly<Record<string, unknown>> | null | undefined;
  /**
   * Variables the client chooses freely (static analysis, e.g. `rampart analyze` without values): a
   * slicing argument given one of them is listed in `unboundedSlicing`. Not used by the plugin.
   */
  openVariables?: ReadonlySet<string> | undefined;
}

/**
 * Analyzes the selected operation of `document` against `schema` (pure: no Apollo, no I/O).
 * The document need not be valid: unknown fields count as leaves, unknown and cyclic fragments are
 * reported in `problems` (a cycle makes the depth `Infinity`).
 *
 * @param schema - the executable schema (its SDL's `@cost`/`@listSize` are read).
 * @param document - the parsed document.
 * @param options - operation name, variables, and limits options (defaults apply).
 */
export function analyzeLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  options: AnalyzeLimitsOptions = {},
): OperationAnalysis {
  const { operationName, variables, openVariables, ...limitOptions } = options;
  const opts = resolveLimitsOptions(limitOptions);
  return analyzeWithResolved(schema, document, opts, operationName, variables, openVariables);
}

/** {@link analyzeLimits} with options already resolved (what the plugin calls per request). */
export function analyzeWithResolved(
  schema: GraphQLSchema,
  document: DocumentNode,
  opts: ResolvedLimitsOptions,
  operationName?: string | null,
  variables?: Readonly<Record<string, unknown>> | null,
  openVariables?: ReadonlySet<string>,
): OperationAnalysis {
  const problems: AnalysisProblem[] = [];
  const { operation, fragments, problem } = selectOperation(document, operationName);
  if (!operation || problem) {
    const message = problem ?? 'The document has no operation.';
    problems.push({ kind: 'unknownOperation', message, ...(operationName ? { name: operationName } : {}) });
    return finish(opts, emptyResult(operationName ?? null, problems));
  }

  const budget: WorkBudget = { units: 0, max: opts.workBudget };
  const values = variableValues(operation, variables, budget);
  const definitions = variableDefinitionsOf(operation);
  const documentSize = document.loc ? document.loc.end : 100_000;
  const info = schemaInfo(schema);
  const walker = new Walker(schema, info, fragments, opts, values, definitions, budget, documentSize, openVariables);
  const root =
    budget.units > budget.max
      ? undefined
      : walker.run(operation.selectionSet.selections, schema.getRootType(operation.operation) ?? undefined);
  problems.push(...walker.problems);
  const operationType = operation.operation as OperationAnalysis['operationType'];
  if (!root) {
    problems.push({
      kind: 'workBudget',
      message: `Analysis stopped after ${opts.workBudget} work units: the operation is too large.`,
    });
    const partial = emptyResult(operation.name?.value ?? null, problems);
    return finish(opts, {
      ...partial,
      operationType,
      height: Number.POSITIVE_INFINITY,
      work: budget.units,
      variableDependent: walker.variableDependent,
    });
  }

  let directives = root.directives + (operation.directives?.length ?? 0);
  for (const definition of operation.variableDefinitions ?? []) directives += definition.directives?.length ?? 0;
  const coordinates: Record<string, { depth: number; aliases: number }> = {};
  for (const [coordinate, stat] of root.coordinates ?? []) {
    coordinates[coordinate] = { depth: Math.max(0, stat.depth), aliases: stat.aliases };
  }
  const base = operation.operation === 'mutation' ? opts.cost.mutationBase : 0;
  const rootFields = countRootFields(root, fragments, walker.included, budget);

  return finish(
    opts,
    {
      operationName: operation.name?.value ?? null,
      operationType,
      depth: root.depth,
      height: root.height,
      aliases: root.aliases,
      rootFields,
      directives,
      introspectionDepth: Math.max(0, root.introspectionDepth),
      cost: infinityIfNaN(base + root.cost),
      fieldCost: infinityIfNaN(root.fieldCost),
      coordinates,
      slicing: walker.slicing,
      problems,
      variableDependent: walker.variableDependent,
      work: budget.units,
      violations: [],
      ...(openVariables ? { unboundedSlicing: walker.unbounded } : {}),
    },
    root.depthOutsideOverrides,
  );
}

/** A sum that overflowed into `NaN` (`Infinity - Infinity`) saturates at `Infinity`. */
function infinityIfNaN(sum: number): number {
  return Number.isNaN(sum) ? Number.POSITIVE_INFINITY : sum;
}

/**
 * Distinct response keys at the root: the root set's own keys (inline fragments included) plus those
 * of the fragments spread at the root, each fragment visited once.
 */
function countRootFields(
  root: Frame,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  included: (directives: readonly DirectiveNode[] | undefined) => boolean,
  budget: { units: number },
): number {
  if (root.firstSpread === undefined) return root.keyCount;
  const seen = new Set<string>();
  const stack: (readonly SelectionNode[])[] = [];
  for (const name of [root.firstSpread, ...(root.otherSpreads ?? [])]) {
    seen.add(name);
    const fragment = fragments.get(name);
    if (fragment) stack.push(fragment.selectionSet.selections);
  }
  while (stack.length > 0) {
    const selections = stack.pop() as readonly SelectionNode[];
    for (const selection of selections) {
      budget.units++;
      if (!included(selection.directives)) continue;
      if (selection.kind === Kind.FIELD) root.addKey(selection.alias?.value ?? selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) stack.push(selection.selectionSet.selections);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) stack.push(fragment.selectionSet.selections);
      }
    }
  }
  return root.keyCount;
}
