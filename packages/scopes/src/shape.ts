import { createDictionary } from '@rampart/core';
import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  type OperationDefinitionNode,
  SchemaMetaFieldDef,
  type SelectionSetNode,
  TypeMetaFieldDef,
  type VariableDefinitionNode,
} from 'graphql';
import { type Analysis, type Denial, isIncluded } from './analyze.js';
import type { Aliases } from './rewrite.js';

/** What introspection may show the caller (used when introspection filtering is on). */
export interface IntrospectionFilter {
  /** The type is hidden (its requirement is not met). */
  hiddenType(name: string): boolean;
  /** The field is hidden. */
  hiddenField(typeName: string, fieldName: string): boolean;
  /** The argument is hidden. */
  hiddenArgument(typeName: string, fieldName: string, argName: string): boolean;
  /** The input field is hidden. */
  hiddenInputField(typeName: string, fieldName: string): boolean;
}

/** Where in an introspection result the walk is. */
interface IntroCtx {
  readonly typeName?: string | undefined;
  readonly fieldName?: string | undefined;
}

/** Everything {@link shapeResponse} needs from the request. */
export interface ShapeInput {
  readonly schema: GraphQLSchema;
  /** The operation as the client sent it (not the rewritten one). */
  readonly operation: OperationDefinitionNode;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly analysis: Analysis;
  /** The response keys the rewrite added. */
  readonly aliases: Aliases;
  /** Filters `__schema`/`__type` results, when introspection filtering is on. */
  readonly introspection?: IntrospectionFilter | undefined;
  /**
   * What the walk can keep from one result to the next of the same operation (a subscription's events,
   * the items of a list): made by {@link shapeCache}; without one, each call starts afresh.
   */
  readonly cache?: ShapeCache | undefined;
}

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
  const varDefs = new Map<string, VariableDefinitionNode>();
  for (const d of operation.variableDefinitions ?? []) varDefs.set(d.variable.name.value, d);
  return { varDefs, groups: new WeakMap() };
}

/** One removed field found in the response. */
export interface RemovedPath {
  /** Exact response path (indices for list items). */
  readonly path: readonly (string | number)[];
  readonly denial: Denial;
}

/** The data with `null` in place of each removed field (null propagation applied), and where they were. */
export interface Shaped {
  readonly data: Record<string, unknown> | null;
  readonly removed: RemovedPath[];
}

const PROPAGATE = Symbol('propagate null');

/**
 * Puts `null` where the client asked for a field that was removed, at every place it would have been
 * in the response (through aliases, fragments and list items), applying GraphQL's null propagation for
 * non-null fields, keeps the response keys in the order the client asked for them, and strips the
 * `__typename` alias of the rewrite. Only the subtrees holding a removal are walked.
 */
export function shapeResponse(input: ShapeInput, data: Record<string, unknown>): Shaped {
  const { schema, analysis, aliases, introspection } = input;
  const alias = aliases.typename;
  const nameKey = aliases.name;
  const queryType = schema.getQueryType();
  const cache = input.cache ?? shapeCache(input.operation);
  const varDefs = cache.varDefs;
  const removed: RemovedPath[] = [];
  const root = schema.getRootType(input.operation.operation);
  if (!root) return { data, removed };
  const out = walkObject(data, root, [input.operation.selectionSet], [], {});
  return { data: out === PROPAGATE ? null : out, removed };

  function walkObject(
    obj: Record<string, unknown>,
    staticType: GraphQLCompositeType,
    sets: readonly SelectionSetNode[],
    path: (string | number)[],
    intro: IntroCtx,
  ): Record<string, unknown> | typeof PROPAGATE {
    if (staticType.name === '__Type') intro = { typeName: nameOf(obj) };
    else if (staticType.name === '__Field') intro = { typeName: intro.typeName, fieldName: nameOf(obj) };
    let runtime: GraphQLObjectType | undefined;
    if (isObjectType(staticType)) runtime = staticType;
    else {
      const name = obj[alias];
      const t = typeof name === 'string' ? schema.getType(name) : undefined;
      if (t && isObjectType(t)) runtime = t;
    }
    const groups = groupsOf(sets, runtime, staticType);
    // Response keys are client aliases (`__proto__` is a valid one): a map with no prototype keeps each one.
    const out = createDictionary<unknown>();
    for (const [key, nodes] of groups) {
      const first = nodes[0] as FieldNode;
      const fieldName = first.name.value;
      const parentForDef = runtime ?? staticType;
      const def =
        fieldName === '__schema'
          ? SchemaMetaFieldDef
          : fieldName === '__type'
            ? TypeMetaFieldDef
            : isObjectType(parentForDef) || isInterfaceType(parentForDef)
              ? parentForDef.getFields()[fieldName]
              : undefined;
      if (Object.hasOwn(obj, key)) {
        let value = obj[key];
        if (introspection && value !== null) value = filterIntrospection(staticType.name, fieldName, value, intro);
        if (value !== null && def && nodes.some((n) => analysis.dirty.has(n))) {
          const childSets: SelectionSetNode[] = [];
          for (const n of nodes) if (n.selectionSet) childSets.push(n.selectionSet);
          const v = walkValue(value, def.type, childSets, [...path, key], intro);
          if (v === PROPAGATE) {
            if (isNonNullType(def.type)) return PROPAGATE;
            value = null;
          } else value = v;
        }
        out[key] = value;
        continue;
      }
      const denial = runtime ? removedFor(nodes, runtime.name) : undefined;
      if (!denial) continue; // absent for another reason (e.g. an error bubbled): leave it
      removed.push({ path: [...path, key], denial });
      if (def && isNonNullType(def.type)) return PROPAGATE;
      out[key] = null;
    }
    for (const k of Object.keys(obj)) if (k !== alias && k !== nameKey && !Object.hasOwn(out, k)) out[k] = obj[k];
    return out;
  }

  function nameOf(obj: unknown): string | undefined {
    const n = obj && typeof obj === 'object' ? (obj as Record<string, unknown>)[nameKey] : undefined;
    return typeof n === 'string' ? n : undefined;
  }

  /** Drops what the caller may not see from one introspection value (before it is walked). */
  function filterIntrospection(parent: string, field: string, value: unknown, intro: IntroCtx): unknown {
    const f = introspection as IntrospectionFilter;
    const keep = (test: (name: string) => boolean) =>
      Array.isArray(value)
        ? value.filter((item) => {
            const n = nameOf(item);
            return n === undefined || !test(n);
          })
        : value;
    if (parent === queryType?.name && field === '__type') {
      const n = nameOf(value);
      return n !== undefined && f.hiddenType(n) ? null : value;
    }
    if (
      (parent === '__Schema' && field === 'types') ||
      (parent === '__Type' && (field === 'possibleTypes' || field === 'interfaces'))
    ) {
      return keep((n) => f.hiddenType(n));
    }
    const typeName = intro.typeName;
    if (typeName === undefined) return value;
    if (parent === '__Type' && field === 'fields') return keep((n) => f.hiddenField(typeName, n));
    if (parent === '__Type' && field === 'inputFields') return keep((n) => f.hiddenInputField(typeName, n));
    const fieldName = intro.fieldName;
    if (parent === '__Field' && field === 'args' && fieldName !== undefined) {
      return keep((n) => f.hiddenArgument(typeName, fieldName, n));
    }
    return value;
  }

  function walkValue(
    value: unknown,
    type: GraphQLOutputType,
    sets: readonly SelectionSetNode[],
    path: (string | number)[],
    intro: IntroCtx,
  ): unknown {
    if (value === null || value === undefined) return value;
    const t = isNonNullType(type) ? type.ofType : type;
    if (isListType(t)) {
      if (!Array.isArray(value)) return value;
      const item = t.ofType as GraphQLOutputType;
      const out = new Array(value.length);
      for (let i = 0; i < value.length; i++) {
        const v = walkValue(value[i], item, sets, [...path, i], intro);
        if (v === PROPAGATE) {
          if (isNonNullType(item)) return PROPAGATE;
          out[i] = null;
        } else out[i] = v;
      }
      return out;
    }
    if (isCompositeType(t) && typeof value === 'object') {
      return walkObject(value as Record<string, unknown>, t, sets, path, intro);
    }
    return value;
  }

  /** Response key → field nodes of `sets` for an object of `runtime` (memoised for a single set). */
  function groupsOf(
    sets: readonly SelectionSetNode[],
    runtime: GraphQLObjectType | undefined,
    staticType: GraphQLCompositeType,
  ): Map<string, FieldNode[]> {
    const only = sets.length === 1 ? sets[0] : undefined;
    // Without a known runtime type, what applies depends on the static type: key on it instead.
    const typeKey = runtime ? runtime.name : `?${staticType.name}`;
    let byType = only ? cache.groups.get(only) : undefined;
    const hit = byType?.get(typeKey);
    if (hit) return hit;
    const groups = new Map<string, FieldNode[]>();
    for (const s of sets) collect(s, runtime, staticType, groups, new Set());
    if (only) {
      if (!byType) {
        byType = new Map();
        cache.groups.set(only, byType);
      }
      byType.set(typeKey, groups);
    }
    return groups;
  }

  function collect(
    set: SelectionSetNode,
    runtime: GraphQLObjectType | undefined,
    staticType: GraphQLCompositeType,
    groups: Map<string, FieldNode[]>,
    visited: Set<string>,
  ): void {
    for (const sel of set.selections) {
      if (!isIncluded(sel, input.variables, varDefs)) continue;
      if (sel.kind === 'Field') {
        const key = sel.alias?.value ?? sel.name.value;
        const g = groups.get(key);
        if (g) g.push(sel);
        else groups.set(key, [sel]);
      } else if (sel.kind === 'InlineFragment') {
        if (!sel.typeCondition || applies(sel.typeCondition.name.value, runtime, staticType)) {
          collect(sel.selectionSet, runtime, staticType, groups, visited);
        }
      } else {
        const name = sel.name.value;
        if (visited.has(name)) continue;
        const f = input.fragments.get(name);
        if (!f || !applies(f.typeCondition.name.value, runtime, staticType)) continue;
        visited.add(name);
        collect(f.selectionSet, runtime, staticType, groups, visited);
      }
    }
  }

  function applies(condition: string, runtime: GraphQLObjectType | undefined, staticType: GraphQLCompositeType) {
    if (!runtime) return condition === staticType.name; // unknown runtime type: only what surely applies
    if (condition === runtime.name) return true;
    const t = schema.getType(condition);
    return t !== undefined && isAbstractType(t) && schema.isSubType(t, runtime);
  }

  function removedFor(nodes: readonly FieldNode[], typeName: string): Denial | undefined {
    for (const n of nodes) {
      const r = analysis.removed.get(n);
      if (!r) continue;
      const d = r.verdicts.get(typeName) ?? (r.all ? r.verdicts.values().next().value : undefined);
      if (d) return d;
    }
    return undefined;
  }
}
