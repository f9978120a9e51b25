/**
 * Field collection for the response walk: which field nodes of the client's selection sets apply to
 * an object of a given runtime type, grouped by response key (fragments, type conditions and
 * `@skip`/`@include` applied as graphql-js collects fields), memoized per operation.
 */
import { isIncluded, variableDefinitionsOf } from '@rampart/core';
import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLSchema,
  isAbstractType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';

/**
 * Per-operation memo of the response walk: the variable definitions, and the response keys of each
 * selection set per runtime type (fixed once the variables are known).
 */
export interface ShapeCache {
  readonly varDefs: ReadonlyMap<string, VariableDefinitionNode>;
  readonly groups: WeakMap<SelectionSetNode, Map<string, Map<string, FieldNode[]>>>;
}

/** A fresh {@link ShapeCache} for an operation (built once, at decision time). */
export function shapeCache(operation: OperationDefinitionNode): ShapeCache {
  return { varDefs: variableDefinitionsOf(operation), groups: new WeakMap() };
}

/** The field groups of one operation's selection sets with one request's variables. */
export class FieldGroups {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly variables: Readonly<Record<string, unknown>>,
    private readonly cache: ShapeCache,
  ) {}

  /** Response key → field nodes of `sets` for an object of `runtime` (memoised for a single set). */
  of(
    sets: readonly SelectionSetNode[],
    runtime: GraphQLObjectType | undefined,
    staticType: GraphQLCompositeType,
  ): Map<string, FieldNode[]> {
    const only = sets.length === 1 ? sets[0] : undefined;
    // Without a known runtime type, what applies depends on the static type: key on it instead.
    const typeKey = runtime ? runtime.name : `?${staticType.name}`;
    let byType = only ? this.cache.groups.get(only) : undefined;
    const hit = byType?.get(typeKey);
    if (hit) return hit;
    const groups = new Map<string, FieldNode[]>();
    for (const set of sets) this.#collect(set, runtime, staticType, groups, new Set());
    if (only) {
      if (!byType) {
        byType = new Map();
        this.cache.groups.set(only, byType);
      }
      byType.set(typeKey, groups);
    }
    return groups;
  }

  #collect(
    set: SelectionSetNode,
    runtime: GraphQLObjectType | undefined,
    staticType: GraphQLCompositeType,
    groups: Map<string, FieldNode[]>,
    visited: Set<string>,
  ): void {
    for (const selection of set.selections) {
      if (!isIncluded(selection.directives, this.variables, this.cache.varDefs)) continue;
      if (selection.kind === 'Field') {
        const key = selection.alias?.value ?? selection.name.value;
        const group = groups.get(key);
        if (group) group.push(selection);
        else groups.set(key, [selection]);
      } else if (selection.kind === 'InlineFragment') {
        const condition = selection.typeCondition;
        if (!condition || this.#applies(condition.name.value, runtime, staticType)) {
          this.#collect(selection.selectionSet, runtime, staticType, groups, visited);
        }
      } else {
        const name = selection.name.value;
        if (visited.has(name)) continue;
        const fragment = this.fragments.get(name);
        if (!fragment || !this.#applies(fragment.typeCondition.name.value, runtime, staticType)) continue;
        visited.add(name);
        this.#collect(fragment.selectionSet, runtime, staticType, groups, visited);
      }
    }
  }

  #applies(condition: string, runtime: GraphQLObjectType | undefined, staticType: GraphQLCompositeType): boolean {
    if (!runtime) return condition === staticType.name; // unknown runtime type: only what surely applies
    if (condition === runtime.name) return true;
    const type = this.schema.getType(condition);
    return type !== undefined && isAbstractType(type) && this.schema.isSubType(type, runtime);
  }
}
