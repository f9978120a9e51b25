/**
 * One-pass operation analysis: depth, height, aliases, root fields, directives, introspection depth
 * and cost (Apollo Router's demand-control score and IBM's field cost) in a single iterative
 * traversal (walk.ts), with the variables as graphql-js execution sees them (values.ts) and fields
 * merged as graphql-js merges them (merge.ts). Linear in the document, and a work budget on top.
 */
import type { ErrorCode } from '@rampart/core';
import {
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql';
import type { Acc } from './acc.js';
import { type LimitsOptions, type ResolvedLimitsOptions, resolveLimitsOptions } from './options.js';
import { schemaInfo } from './schema-info.js';
import { variableValues, type WorkBudget } from './values.js';
import { emptyResult, finish } from './verdict.js';
import { Walker } from './walk.js';

export { KEY_DEDUPE_LIMIT } from './acc.js';
export { makeIncluded, toJS } from './values.js';
export { enforcedCost } from './verdict.js';

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
}

/** Options of {@link analyzeOperation}: the limits options plus the request's operation name and variables. */
export interface AnalyzeOptions extends LimitsOptions {
  operationName?: string | null | undefined;
  variables?: Readonly<Record<string, unknown>> | null | undefined;
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
export function analyzeOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  options: AnalyzeOptions = {},
): OperationAnalysis {
  const { operationName, variables, ...limitOptions } = options;
  return analyzeWithResolved(schema, document, resolveLimitsOptions(limitOptions), operationName, variables);
}

/** {@link analyzeOperation} with options already resolved (what the plugin calls per request). */
export function analyzeWithResolved(
  schema: GraphQLSchema,
  document: DocumentNode,
  opts: ResolvedLimitsOptions,
  operationName?: string | null,
  variables?: Readonly<Record<string, unknown>> | null,
): OperationAnalysis {
  const problems: AnalysisProblem[] = [];
  const { operation, fragments, missing } = selectOperation(document, operationName);
  if (!operation || missing) {
    const message = missing ?? 'The document has no operation.';
    problems.push({ kind: 'unknownOperation', message, ...(operationName ? { name: operationName } : {}) });
    return finish(opts, emptyResult(operationName ?? null, problems));
  }

  const budget: WorkBudget = { units: 0, max: opts.workBudget };
  const vars = variableValues(operation, variables, budget);
  const documentSize = document.loc ? document.loc.end : 100_000;
  const walker = new Walker(schema, schemaInfo(schema), fragments, opts, vars, budget, documentSize);
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
  for (const vd of operation.variableDefinitions ?? []) directives += vd.directives?.length ?? 0;
  const coordinates: Record<string, { depth: number; aliases: number }> = {};
  for (const [c, s] of root.over ?? []) coordinates[c] = { depth: Math.max(0, s.L), aliases: s.aliases };
  const base = operation.operation === 'mutation' ? opts.cost.mutationBase : 0;
  const rootFields = countRootFields(root, fragments, walker.included, budget);

  return finish(
    opts,
    {
      operationName: operation.name?.value ?? null,
      operationType,
      depth: root.L,
      height: root.height,
      aliases: root.aliases,
      rootFields,
      directives,
      introspectionDepth: Math.max(0, root.intro),
      cost: sat(base + root.cost),
      fieldCost: sat(root.fieldCost),
      coordinates,
      slicing: walker.slicing,
      problems,
      variableDependent: walker.variableDependent,
      work: budget.units,
      violations: [],
    },
    root.Lx,
  );
}

/** The selected operation and the fragments (first definition of each name); `missing` explains a failure. */
function selectOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): { operation?: OperationDefinitionNode; fragments: Map<string, FragmentDefinitionNode>; missing?: string } {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  let operationCount = 0;
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) {
      if (!fragments.has(def.name.value)) fragments.set(def.name.value, def);
    } else if (def.kind === Kind.OPERATION_DEFINITION) {
      operationCount++;
      if (operationName ? def.name?.value === operationName : operation === undefined) operation = def;
    }
  }
  if (operationName && !operation) return { fragments, missing: `Unknown operation named "${operationName}".` };
  if (!operationName && operationCount > 1) {
    return { fragments, missing: 'Must provide an operation name when the document has several operations.' };
  }
  return operation ? { operation, fragments } : { fragments };
}

function sat(n: number): number {
  return Number.isNaN(n) ? Number.POSITIVE_INFINITY : n;
}

/**
 * Distinct response keys at the root: the root set's own keys (inline fragments included) plus those
 * of the fragments spread at the root, each fragment visited once.
 */
function countRootFields(
  root: Acc,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  included: (d: readonly DirectiveNode[] | undefined) => boolean,
  budget: { units: number },
): number {
  if (root.spread1 === undefined) return root.keyCount;
  const keys = root;
  const seen = new Set<string>();
  const stack: (readonly SelectionNode[])[] = [];
  for (const name of [root.spread1, ...(root.spreads ?? [])]) {
    seen.add(name);
    const def = fragments.get(name);
    if (def) stack.push(def.selectionSet.selections);
  }
  while (stack.length > 0) {
    const sels = stack.pop() as readonly SelectionNode[];
    for (const sel of sels) {
      budget.units++;
      if (!included(sel.directives)) continue;
      if (sel.kind === Kind.FIELD) keys.addKey(sel.alias?.value ?? sel.name.value);
      else if (sel.kind === Kind.INLINE_FRAGMENT) stack.push(sel.selectionSet.selections);
      else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        const def = fragments.get(sel.name.value);
        if (def) stack.push(def.selectionSet.selections);
      }
    }
  }
  return keys.keyCount;
}
