/**
 * Actual cost after execution: the result data walked along the operation, with the same weights as
 * the estimate but the real list sizes and only the objects actually resolved (IBM "query response
 * analysis"). Per operation, never per resolver.
 */

import { hasOwnKey } from '@rampart/core';
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
} from 'graphql';
import { type FieldInfo, schemaInfo } from './schema-info.js';
import { makeIncluded, toJS, variableValues, type WorkBudget } from './values.js';

/** Both actual cost figures. */
export interface ActualCost {
  /** Apollo model: type weights of the objects (and costed leaves) resolved, plus arguments and mutation base. */
  readonly cost: number;
  /** IBM field cost: resolver calls weighted. */
  readonly fieldCost: number;
}

interface PlanEntry {
  readonly name: string;
  readonly type: GraphQLNamedType | undefined;
  readonly node: FieldNode;
  readonly sets: SelectionSetNode[];
}

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
 * Counts the cost of `data` (the `data` of a response) as produced by the selected operation.
 * @returns both figures; `{ cost: 0, fieldCost: 0 }` when the operation is not found.
 */
export function actualCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  data: unknown,
  options: ActualCostOptions = {},
): ActualCost {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) {
      if (!fragments.has(def.name.value)) fragments.set(def.name.value, def);
    } else if (def.kind === Kind.OPERATION_DEFINITION) {
      if (options.operationName ? def.name?.value === options.operationName : operation === undefined) operation = def;
    }
  }
  if (!operation || data === null || typeof data !== 'object') return { cost: 0, fieldCost: 0 };
  const maxWork = options.workBudget ?? 2_000_000;
  const budget: WorkBudget = { units: 0, max: maxWork };
  const vars = variableValues(operation, options.variables, budget);
  const included = makeIncluded(vars, () => {});
  const si = schemaInfo(schema);
  const plans = new WeakMap<SelectionSetNode[], Map<string, PlanEntry>>();

  const plan = (sets: SelectionSetNode[], parentType: GraphQLNamedType | undefined): Map<string, PlanEntry> => {
    const cached = plans.get(sets);
    if (cached) return cached;
    const out = new Map<string, PlanEntry>();
    const seen = new Set<string>();
    const stack: { sels: readonly SelectionNode[]; type: GraphQLNamedType | undefined }[] = sets.map((s) => ({
      sels: s.selections,
      type: parentType,
    }));
    while (stack.length > 0) {
      const { sels, type } = stack.pop() as (typeof stack)[number];
      for (const sel of sels) {
        budget.units++;
        if (!included(sel.directives)) continue;
        if (sel.kind === Kind.FIELD) {
          const key = sel.alias?.value ?? sel.name.value;
          const entry = out.get(key);
          if (entry) {
            if (sel.selectionSet) entry.sets.push(sel.selectionSet);
          } else {
            out.set(key, { name: sel.name.value, type, node: sel, sets: sel.selectionSet ? [sel.selectionSet] : [] });
          }
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          const t = sel.typeCondition ? (schema.getType(sel.typeCondition.name.value) ?? undefined) : type;
          stack.push({ sels: sel.selectionSet.selections, type: t });
        } else if (!seen.has(sel.name.value)) {
          seen.add(sel.name.value);
          const def = fragments.get(sel.name.value);
          if (def) {
            stack.push({
              sels: def.selectionSet.selections,
              type: schema.getType(def.typeCondition.name.value) ?? undefined,
            });
          }
        }
      }
    }
    plans.set(sets, out);
    return out;
  };

  const argCost = (info: FieldInfo, node: FieldNode): number => {
    let sum = 0;
    if (!node.arguments || !info.def) return 0;
    for (const a of node.arguments) {
      const value = toJS(a.value, vars, budget, () => {});
      sum += si.valueCost(si.argumentWeight(info, a.name.value), si.argumentType(info, a.name.value), value, budget);
    }
    return sum;
  };

  // Returns [apollo, ibm] of one object.
  const walk = (obj: Record<string, unknown>, sets: SelectionSetNode[], type: GraphQLNamedType | undefined) => {
    let cost = 0;
    let fieldCost = 0;
    for (const [key, entry] of plan(sets, type)) {
      if (!hasOwnKey(obj, key) || budget.units > maxWork) continue;
      const info = si.field(entry.type, entry.name);
      if (info.meta) continue;
      const value = obj[key];
      const args = argCost(info, entry.node);
      if (entry.sets.length > 0) {
        let k = 0;
        let childCost = 0;
        let childFieldCost = 0;
        const visit = (v: unknown, depth: number): void => {
          budget.units++;
          if (v === null || v === undefined || depth > 64) return;
          if (Array.isArray(v)) {
            for (const x of v) visit(x, depth + 1);
            return;
          }
          if (typeof v !== 'object') return;
          k++;
          const [c, f] = walk(v as Record<string, unknown>, entry.sets, info.type);
          childCost += c;
          childFieldCost += f;
        };
        visit(value, 0);
        cost += Math.max(0, k * info.valueWeight + childCost + args);
        fieldCost += Math.max(0, info.callWeight + args) + childFieldCost;
      } else {
        const n = countLeaves(value, budget);
        cost += Math.max(0, n * info.valueWeight + args);
        fieldCost += Math.max(0, info.callWeight + args);
      }
    }
    return [cost, fieldCost] as const;
  };

  const rootType = schema.getRootType(operation.operation) ?? undefined;
  const [cost, fieldCost] = walk(data as Record<string, unknown>, [operation.selectionSet], rootType);
  const base = operation.operation === 'mutation' ? (options.mutationBase ?? 10) : 0;
  return { cost: base + cost, fieldCost };
}

function countLeaves(v: unknown, budget: { units: number }, depth = 0): number {
  budget.units++;
  if (v === null || v === undefined || depth > 64) return 0;
  if (Array.isArray(v)) {
    let n = 0;
    for (const x of v) n += countLeaves(x, budget, depth + 1);
    return n;
  }
  return 1;
}
