/**
 * Actual cost after execution: the result data walked along the operation, with the same weights as
 * the estimate but the real list sizes and only the objects actually resolved (IBM "query response
 * analysis"). Per operation, never per resolver.
 */

import { type Dictionary, hasOwnKey, isIncluded, selectOperation, variableDefinitionsOf } from '@rampart/core';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';
import { type FieldCostInfo, type SchemaInfo, schemaInfo } from './schema-info.js';
import { toJS, variableValues, type WorkBudget } from './values.js';

/** Both actual cost figures. */
export interface ActualCost {
  /** Apollo model: type weights of the objects (and costed leaves) resolved, plus arguments and mutation base. */
  readonly cost: number;
  /** IBM field cost: resolver calls weighted. */
  readonly fieldCost: number;
}

/** One response key of a selection set: the field it resolves and every selection set merged under it. */
interface PlanEntry {
  readonly key: string;
  readonly name: string;
  readonly type: GraphQLNamedType | undefined;
  readonly node: FieldNode;
  readonly sets: SelectionSetNode[];
  /** The field's cost facts, looked up once (the entry's type and field do not change). */
  info: FieldCostInfo | undefined;
  /** The walk that computed {@link argumentCost} (argument values can come from its variables). */
  costOf: ActualCostWalk | undefined;
  /** The cost of the field's arguments in walk {@link costOf}: the same for every object of the walk. */
  argumentCost: number;
}

/** The response keys of merged selection sets, in order. */
type Plan = readonly PlanEntry[];

/** Options of {@link actualCost}. */
export interface ActualCostOptions {
  operationName?: string | null | undefined;
  variables?: Readonly<Record<string, unknown>> | null | undefined;
  /** Base cost of a mutation. @default 10 */
  mutationBase?: number;
  /** Stop after this many values visited (the partial sum is returned). @default 2000000 */
  workBudget?: number;
}

/**
 * An operation prepared for walking its responses, shared by every response to it: the operation, its
 * fragments and variable definitions, and the plans of its selection sets, which are reused while no
 * plan depends on a variable (`@skip(if: $x)`); once one does, each walk builds its own.
 */
interface PreparedOperation {
  readonly schema: GraphQLSchema;
  readonly operation: OperationDefinitionNode;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  readonly definitions: ReadonlyMap<string, VariableDefinitionNode>;
  /** The key of the root plan: `[operation.selectionSet]`, the same array for every walk. */
  readonly root: SelectionSetNode[];
  readonly plans: Map<SelectionSetNode[], Plan>;
  /** A plan read a variable: plans are no longer shared. */
  variable: boolean;
}

/**
 * Prepared operations by document and operation name. A `WeakMap` on the document, as the analysis
 * cache (engine.ts): Apollo hands the same document object to every request of the same query.
 */
const prepared = new WeakMap<DocumentNode, Map<string, PreparedOperation>>();

function prepareOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): PreparedOperation | undefined {
  const name = operationName ?? '';
  let byName = prepared.get(document);
  const cached = byName?.get(name);
  if (cached && cached.schema === schema) return cached;
  const { operation, fragments } = selectOperation(document, operationName);
  if (!operation) return undefined;
  const entry: PreparedOperation = {
    schema,
    operation,
    fragments,
    definitions: variableDefinitionsOf(operation),
    root: [operation.selectionSet],
    plans: new Map(),
    variable: false,
  };
  if (!byName) {
    byName = new Map();
    prepared.set(document, byName);
  }
  byName.set(name, entry);
  return entry;
}

/**
 * Counts the cost of `data` (the `data` of a response) as produced by the selected operation.
 * @returns both figures; `{ cost: 0, fieldCost: 0 }` when no operation is selected (see core's
 * `selectOperation`: an unknown name, or several operations and no name).
 */
export function actualCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  data: unknown,
  options: ActualCostOptions = {},
): ActualCost {
  const operation = prepareOperation(schema, document, options.operationName);
  if (!operation || data === null || typeof data !== 'object') return { cost: 0, fieldCost: 0 };
  const budget: WorkBudget = { units: 0, max: options.workBudget ?? 2_000_000 };
  const values = variableValues(operation.operation, options.variables, budget);
  const walk = new ActualCostWalk(operation, values, budget);
  const rootType = schema.getRootType(operation.operation.operation) ?? undefined;
  const figures = walk.object(data as Record<string, unknown>, operation.root, rootType);
  const base = operation.operation.operation === 'mutation' ? (options.mutationBase ?? 10) : 0;
  return { cost: base + figures.cost, fieldCost: figures.fieldCost };
}

/** The walk of one response along one operation (plans shared per operation, see {@link PreparedOperation}). */
class ActualCostWalk {
  readonly #schemaInfo: SchemaInfo;
  readonly #operation: PreparedOperation;
  /**
   * Plans by merged selection sets: the operation's shared ones, or this walk's own when a plan
   * depends on a variable. A `Map`, not a `WeakMap`: weak entries made per request are costly to collect.
   */
  readonly #plans: Map<SelectionSetNode[], Plan>;
  readonly #onVariable = (): void => {
    this.#operation.variable = true;
  };

  constructor(
    operation: PreparedOperation,
    private readonly values: Readonly<Dictionary<unknown>>,
    private readonly budget: WorkBudget,
  ) {
    this.#operation = operation;
    this.#plans = operation.variable ? new Map() : operation.plans;
    this.#schemaInfo = schemaInfo(operation.schema);
  }

  /** Both figures of one object resolved for `sets` (merged selection sets) on `type`. */
  object(data: Record<string, unknown>, sets: SelectionSetNode[], type: GraphQLNamedType | undefined): ActualCost {
    let cost = 0;
    let fieldCost = 0;
    for (const entry of this.#plan(sets, type)) {
      if (this.budget.units > this.budget.max) break;
      entry.info ??= this.#schemaInfo.field(entry.type, entry.name);
      const info = entry.info;
      if (info.meta) continue;
      if (entry.costOf !== this) {
        entry.argumentCost = this.#argumentCost(info, entry.node);
        entry.costOf = this;
      }
      const argumentCost = entry.argumentCost;
      // A leaf that weighs nothing adds nothing, whatever its value: not even read.
      if (entry.sets.length === 0 && info.valueWeight === 0 && info.callWeight === 0 && argumentCost === 0) continue;
      const value = ownValue(data, entry.key);
      if (value === undefined) continue;
      if (entry.sets.length > 0) {
        const below = { objects: 0, cost: 0, fieldCost: 0 };
        this.#objects(value, entry.sets, info.type, below, 0);
        cost += Math.max(0, below.objects * info.valueWeight + below.cost + argumentCost);
        fieldCost += Math.max(0, info.callWeight + argumentCost) + below.fieldCost;
      } else {
        const leaves = countLeaves(value, this.budget);
        cost += Math.max(0, leaves * info.valueWeight + argumentCost);
        fieldCost += Math.max(0, info.callWeight + argumentCost);
      }
    }
    return { cost, fieldCost };
  }

  /** Adds the objects of a field's value (a list is walked through) and their figures to `below`. */
  #objects(
    value: unknown,
    sets: SelectionSetNode[],
    type: GraphQLNamedType | undefined,
    below: { objects: number; cost: number; fieldCost: number },
    depth: number,
  ): void {
    this.budget.units++;
    if (value === null || value === undefined || depth > 64) return;
    if (Array.isArray(value)) {
      for (const item of value) this.#objects(item, sets, type, below, depth + 1);
      return;
    }
    if (typeof value !== 'object') return;
    below.objects++;
    const figures = this.object(value as Record<string, unknown>, sets, type);
    below.cost += figures.cost;
    below.fieldCost += figures.fieldCost;
  }

  #argumentCost(info: FieldCostInfo, node: FieldNode): number {
    if (!node.arguments || !info.def) return 0;
    const schemaInfo = this.#schemaInfo;
    let sum = 0;
    for (const argument of node.arguments) {
      const value = toJS(argument.value, this.values, this.budget, noop);
      const name = argument.name.value;
      sum += schemaInfo.valueCost(
        schemaInfo.argumentWeight(info, name),
        schemaInfo.argumentType(info, name),
        value,
        this.budget,
      );
    }
    return sum;
  }

  /** The response keys of merged selection sets on `parentType`, fragments and `@skip`/`@include` applied. */
  #plan(sets: SelectionSetNode[], parentType: GraphQLNamedType | undefined): Plan {
    const cached = this.#plans.get(sets);
    if (cached) return cached;
    const plan = new Map<string, PlanEntry>();
    const seen = new Set<string>();
    const stack: { selections: readonly SelectionNode[]; type: GraphQLNamedType | undefined }[] = sets.map((set) => ({
      selections: set.selections,
      type: parentType,
    }));
    while (stack.length > 0) {
      const { selections, type } = stack.pop() as (typeof stack)[number];
      for (const selection of selections) {
        this.budget.units++;
        if (!isIncluded(selection.directives, this.values, this.#operation.definitions, this.#onVariable)) continue;
        if (selection.kind === Kind.FIELD) {
          addField(plan, selection, type);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const condition = selection.typeCondition;
          stack.push({
            selections: selection.selectionSet.selections,
            type: condition ? this.#type(condition.name.value) : type,
          });
        } else if (!seen.has(selection.name.value)) {
          seen.add(selection.name.value);
          const fragment = this.#operation.fragments.get(selection.name.value);
          if (fragment) {
            stack.push({
              selections: fragment.selectionSet.selections,
              type: this.#type(fragment.typeCondition.name.value),
            });
          }
        }
      }
    }
    const entries = [...plan.values()];
    this.#plans.set(sets, entries);
    return entries;
  }

  #type(name: string): GraphQLNamedType | undefined {
    return this.#operation.schema.getType(name) ?? undefined;
  }
}

const noop = (): void => {};

/** Adds a field to a plan: a new response key, or its selection set merged into the key's entry. */
function addField(plan: Map<string, PlanEntry>, field: FieldNode, type: GraphQLNamedType | undefined): void {
  const key = field.alias?.value ?? field.name.value;
  const entry = plan.get(key);
  if (entry) {
    if (field.selectionSet) entry.sets.push(field.selectionSet);
  } else {
    plan.set(key, {
      key,
      name: field.name.value,
      type,
      node: field,
      sets: field.selectionSet ? [field.selectionSet] : [],
      info: undefined,
      costOf: undefined,
      argumentCost: 0,
    });
  }
}

/**
 * `data[key]` when it is the object's own value, else `undefined`. Response data holds no functions,
 * so a function is inherited (`constructor`, `toString`…); `__proto__` is checked on its own.
 */
function ownValue(data: Record<string, unknown>, key: string): unknown {
  const value = data[key];
  if (typeof value === 'function' || (key === '__proto__' && !hasOwnKey(data, key))) return undefined;
  return value;
}

function countLeaves(value: unknown, budget: { units: number }, depth = 0): number {
  budget.units++;
  if (value === null || value === undefined || depth > 64) return 0;
  if (Array.isArray(value)) {
    let leaves = 0;
    for (const item of value) leaves += countLeaves(item, budget, depth + 1);
    return leaves;
  }
  return 1;
}
