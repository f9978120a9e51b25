/**
 * Response shaping: `null` and an error path at each place a removed field would have been, null
 * propagation, the client's key order, and the rewrite's added keys stripped. Field collection is in
 * shape-groups.ts, introspection filtering in introspection-filter.ts.
 */
import { createDictionary } from '@rampart/core';
import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  type OperationDefinitionNode,
  SchemaMetaFieldDef,
  type SelectionSetNode,
  TypeMetaFieldDef,
} from 'graphql';
import type { Analysis, Denial } from './analyze.js';
import { filterIntrospectionValue, type IntrospectionFilter, type IntrospectionPlace } from './introspection-filter.js';
import type { Aliases } from './rewrite.js';
import { FieldGroups, type ShapeCache, shapeCache } from './shape-groups.js';

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

/** A non-null field became `null`: its parent becomes `null` too. */
const PROPAGATE = Symbol('propagate null');

/**
 * Puts `null` where the client asked for a field that was removed, at every place it would have been
 * in the response (through aliases, fragments and list items), applying GraphQL's null propagation for
 * non-null fields, keeps the response keys in the order the client asked for them, and strips the
 * `__typename` alias of the rewrite. Only the subtrees holding a removal are walked.
 */
export function shapeResponse(input: ShapeInput, data: Record<string, unknown>): Shaped {
  const root = input.schema.getRootType(input.operation.operation);
  if (!root) return { data, removed: [] };
  const shaper = new ResponseShaper(input);
  const out = shaper.object(data, root, [input.operation.selectionSet], [], {});
  return { data: out === PROPAGATE ? null : out, removed: shaper.removed };
}

/** One walk of one result. */
export class ResponseShaper {
  /** The removed fields found, in response order. */
  readonly removed: RemovedPath[] = [];
  readonly #input: ShapeInput;
  readonly #groups: FieldGroups;
  /** The response key of the `__typename` the rewrite added, and of the `name` it added to introspection. */
  readonly #typenameKey: string;
  readonly #nameKey: string;
  readonly #queryTypeName: string | undefined;

  constructor(input: ShapeInput) {
    this.#input = input;
    const cache = input.cache ?? shapeCache(input.operation);
    this.#groups = new FieldGroups(input.schema, input.fragments, input.variables, cache);
    this.#typenameKey = input.aliases.typename;
    this.#nameKey = input.aliases.name;
    this.#queryTypeName = input.schema.getQueryType()?.name;
  }

  /** Shapes one object of static type `staticType` resolved for `sets`; `PROPAGATE` when it becomes `null`. */
  object(
    data: Record<string, unknown>,
    staticType: GraphQLCompositeType,
    sets: readonly SelectionSetNode[],
    path: (string | number)[],
    place: IntrospectionPlace,
  ): Record<string, unknown> | typeof PROPAGATE {
    if (staticType.name === '__Type') place = { typeName: this.#nameOf(data) };
    else if (staticType.name === '__Field') place = { typeName: place.typeName, fieldName: this.#nameOf(data) };
    const runtime = this.#runtimeType(data, staticType);
    const groups = this.#groups.of(sets, runtime, staticType);
    // Response keys are client aliases (`__proto__` is a valid one): a map with no prototype keeps each one.
    const out = createDictionary<unknown>();
    for (const [key, nodes] of groups) {
      const fieldName = (nodes[0] as FieldNode).name.value;
      const definition = fieldDefinition(runtime ?? staticType, fieldName);
      if (Object.hasOwn(data, key)) {
        const value = this.#value(data[key], staticType, fieldName, definition, nodes, path, key, place);
        if (value === PROPAGATE) return PROPAGATE;
        out[key] = value;
        continue;
      }
      const denial = runtime ? removedFor(this.#input.analysis, nodes, runtime.name) : undefined;
      if (!denial) continue; // absent for another reason (e.g. an error bubbled): leave it
      this.removed.push({ path: [...path, key], denial });
      if (definition && isNonNullType(definition.type)) return PROPAGATE;
      out[key] = null;
    }
    const typenameKey = this.#typenameKey;
    const nameKey = this.#nameKey;
    for (const key of Object.keys(data)) {
      if (key !== typenameKey && key !== nameKey && !Object.hasOwn(out, key)) out[key] = data[key];
    }
    return out;
  }

  /** The value of one response key present in the result: filtered, and walked when it holds a removal. */
  #value(
    value: unknown,
    parent: GraphQLCompositeType,
    fieldName: string,
    definition: GraphQLField<unknown, unknown> | undefined,
    nodes: readonly FieldNode[],
    parentPath: (string | number)[],
    key: string,
    place: IntrospectionPlace,
  ): unknown {
    const filter = this.#input.introspection;
    if (filter && value !== null) {
      const nameOf = (item: unknown) => this.#nameOf(item);
      value = filterIntrospectionValue(filter, this.#queryTypeName, parent.name, fieldName, value, place, nameOf);
    }
    if (value === null || !definition || !nodes.some((node) => this.#input.analysis.dirty.has(node))) return value;
    const childSets: SelectionSetNode[] = [];
    for (const node of nodes) if (node.selectionSet) childSets.push(node.selectionSet);
    const shaped = this.#walkValue(value, definition.type, childSets, [...parentPath, key], place);
    if (shaped !== PROPAGATE) return shaped;
    return isNonNullType(definition.type) ? PROPAGATE : null;
  }

  #walkValue(
    value: unknown,
    type: GraphQLOutputType,
    sets: readonly SelectionSetNode[],
    path: (string | number)[],
    place: IntrospectionPlace,
  ): unknown {
    if (value === null || value === undefined) return value;
    const nullable = isNonNullType(type) ? type.ofType : type;
    if (isListType(nullable)) {
      if (!Array.isArray(value)) return value;
      const item = nullable.ofType as GraphQLOutputType;
      const out = new Array(value.length);
      for (let i = 0; i < value.length; i++) {
        const shaped = this.#walkValue(value[i], item, sets, [...path, i], place);
        if (shaped === PROPAGATE) {
          if (isNonNullType(item)) return PROPAGATE;
          out[i] = null;
        } else out[i] = shaped;
      }
      return out;
    }
    if (isCompositeType(nullable) && typeof value === 'object') {
      return this.object(value as Record<string, unknown>, nullable, sets, path, place);
    }
    return value;
  }

  /** The object's type: the static type when concrete, else the `__typename` the rewrite added. */
  #runtimeType(data: Record<string, unknown>, staticType: GraphQLCompositeType): GraphQLObjectType | undefined {
    if (isObjectType(staticType)) return staticType;
    const name = data[this.#typenameKey];
    const type = typeof name === 'string' ? this.#input.schema.getType(name) : undefined;
    return type && isObjectType(type) ? type : undefined;
  }

  #nameOf(data: unknown): string | undefined {
    const name = data && typeof data === 'object' ? (data as Record<string, unknown>)[this.#nameKey] : undefined;
    return typeof name === 'string' ? name : undefined;
  }
}

/** The definition of `fieldName` on `parent` (introspection's `__schema`/`__type` included). */
function fieldDefinition(parent: GraphQLCompositeType, fieldName: string): GraphQLField<unknown, unknown> | undefined {
  if (fieldName === '__schema') return SchemaMetaFieldDef;
  if (fieldName === '__type') return TypeMetaFieldDef;
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[fieldName] : undefined;
}

/** The denial of the first of `nodes` removed for runtime type `typeName`. */
function removedFor(analysis: Analysis, nodes: readonly FieldNode[], typeName: string): Denial | undefined {
  for (const node of nodes) {
    const removal = analysis.removed.get(node);
    if (!removal) continue;
    const denial = removal.verdicts.get(typeName) ?? (removal.all ? removal.verdicts.values().next().value : undefined);
    if (denial) return denial;
  }
  return undefined;
}
