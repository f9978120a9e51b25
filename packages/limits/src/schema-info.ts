/**
 * Cost metadata read once per schema from the `@cost` and `@listSize` directives in the SDL
 * (the AST nodes graphql-js keeps on every schema element), cached per schema object.
 */

import { hasOwnKey } from '@rampart/core';
import {
  type ConstDirectiveNode,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isInputObjectType,
  isListType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type ValueNode,
} from 'graphql';

/** `@listSize` of a field, parsed. */
export interface ListSizeInfo {
  readonly assumedSize: number | undefined;
  /** Each slicing argument as a path (`['input', 'pagination', 'first']`). */
  readonly slicingArguments: readonly (readonly string[])[];
  readonly sizedFields: ReadonlySet<string>;
  readonly requireOne: boolean;
}

/** What the analysis needs about one field of one parent type. */
export interface FieldCostInfo {
  readonly coordinate: string;
  readonly def: GraphQLField<unknown, unknown> | undefined;
  /** Named return type (undefined for an unknown field). */
  readonly type: GraphQLNamedType | undefined;
  readonly isList: boolean;
  readonly isComposite: boolean;
  /** `@cost` on the field (for an interface field: the largest among the implementations). */
  readonly weight: number | undefined;
  /** Weight of one returned value under the Apollo model: field weight, else type weight. */
  readonly valueWeight: number;
  /** Weight of one resolver call under the IBM field-cost model. */
  readonly callWeight: number;
  readonly listSize: ListSizeInfo | undefined;
  /** Introspection meta field (`__schema`, `__type`, `__typename`): costs nothing. */
  readonly meta: boolean;
  /** `@cost` of its arguments by name, filled as they are asked for ({@link SchemaInfo.argumentWeight}). */
  readonly argumentWeights: Map<string, number | undefined>;
}

const UNKNOWN_TYPE_WEIGHT = 1;

function directiveOn(
  nodes: readonly ({ readonly directives?: readonly ConstDirectiveNode[] | undefined } | null | undefined)[],
  name: string,
): ConstDirectiveNode | undefined {
  for (const node of nodes) {
    for (const d of node?.directives ?? []) if (d.name.value === name) return d;
  }
  return undefined;
}

function argValue(d: ConstDirectiveNode | undefined, name: string): ValueNode | undefined {
  return d?.arguments?.find((a) => a.name.value === name)?.value;
}

function numberOf(v: ValueNode | undefined): number | undefined {
  if (!v) return undefined;
  if (v.kind === Kind.INT || v.kind === Kind.FLOAT || v.kind === Kind.STRING) {
    const n = Number.parseFloat(v.value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function stringsOf(v: ValueNode | undefined): string[] {
  if (!v) return [];
  if (v.kind === Kind.STRING) return [v.value];
  if (v.kind === Kind.LIST) return v.values.flatMap((x) => (x.kind === Kind.STRING ? [x.value] : []));
  return [];
}

function weightOf(
  nodes: readonly ({ readonly directives?: readonly ConstDirectiveNode[] | undefined } | null | undefined)[],
): number | undefined {
  return numberOf(argValue(directiveOn(nodes, 'cost'), 'weight'));
}

/** Cost metadata of one schema. Build with {@link schemaInfo}. */
export class SchemaInfo {
  readonly schema: GraphQLSchema;
  readonly #types = new Map<string, number>();
  readonly #fields = new Map<string, Map<string, FieldCostInfo>>();
  constructor(schema: GraphQLSchema) {
    this.schema = schema;
  }

  /**
   * Weight of one value of a named type: `@cost` on the type, else 1 for objects, interfaces and
   * unions and 0 for scalars and enums; for an abstract type, the largest of its possible types
   * (IBM: the most expensive possible type).
   */
  typeWeight(type: GraphQLNamedType | undefined): number {
    if (!type) return UNKNOWN_TYPE_WEIGHT;
    const cached = this.#types.get(type.name);
    if (cached !== undefined) return cached;
    let w: number;
    if (isAbstractType(type)) {
      w = weightOf([type.astNode, ...type.extensionASTNodes]) ?? 1;
      for (const t of this.schema.getPossibleTypes(type)) w = Math.max(w, this.typeWeight(t));
    } else {
      const own = weightOf([type.astNode, ...(type.extensionASTNodes ?? [])]);
      w = own ?? (isCompositeType(type) || isInputObjectType(type) ? 1 : 0);
    }
    this.#types.set(type.name, w);
    return w;
  }

  /** Field metadata for `parent.fieldName` (cached). */
  field(parent: GraphQLNamedType | undefined, fieldName: string): FieldCostInfo {
    const parentName = parent?.name ?? '?';
    let perType = this.#fields.get(parentName);
    if (!perType) {
      perType = new Map();
      this.#fields.set(parentName, perType);
    }
    let info = perType.get(fieldName);
    if (!info) {
      info = this.#buildField(parent, fieldName);
      perType.set(fieldName, info);
    }
    return info;
  }

  #buildField(parent: GraphQLNamedType | undefined, fieldName: string): FieldCostInfo {
    const coordinate = `${parent?.name ?? '?'}.${fieldName}`;
    let def: GraphQLField<unknown, unknown> | undefined;
    let meta = false;
    if (fieldName === '__typename') {
      def = TypeNameMetaFieldDef;
      meta = true;
    } else if (fieldName === '__schema' || fieldName === '__type') {
      def = fieldName === '__schema' ? SchemaMetaFieldDef : TypeMetaFieldDef;
      meta = true;
    } else if (parent && (isObjectType(parent) || isAbstractType(parent)) && 'getFields' in parent) {
      def = (parent.getFields() as Record<string, GraphQLField<unknown, unknown>>)[fieldName];
    }
    if (!def) {
      return {
        coordinate,
        def: undefined,
        type: undefined,
        isList: false,
        isComposite: false,
        weight: undefined,
        valueWeight: 0,
        callWeight: 0,
        listSize: undefined,
        meta: false,
        argumentWeights: new Map(),
      };
    }
    const type = getNamedType(def.type);
    const nullable = getNullableType(def.type);
    const isList = isListType(nullable);
    const isComposite = isCompositeType(type);
    let weight = weightOf([def.astNode]);
    let listSizeNode = directiveOn([def.astNode], 'listSize');
    if (parent && isAbstractType(parent)) {
      // Directives on interface fields are not inherited: take the largest among the implementations.
      for (const impl of this.schema.getPossibleTypes(parent)) {
        const implDef = impl.getFields()[fieldName];
        const w = weightOf([implDef?.astNode]);
        if (w !== undefined) weight = Math.max(weight ?? w, w);
        listSizeNode ??= directiveOn([implDef?.astNode], 'listSize');
      }
    }
    let listSize: ListSizeInfo | undefined;
    if (listSizeNode) {
      const require = argValue(listSizeNode, 'requireOneSlicingArgument');
      listSize = {
        assumedSize: numberOf(argValue(listSizeNode, 'assumedSize')),
        slicingArguments: stringsOf(argValue(listSizeNode, 'slicingArguments')).map((s) => s.split('.')),
        sizedFields: new Set(stringsOf(argValue(listSizeNode, 'sizedFields'))),
        requireOne: require?.kind === Kind.BOOLEAN ? require.value : true,
      };
    }
    const typeWeight = meta ? 0 : this.typeWeight(type);
    return {
      coordinate,
      def,
      type,
      isList,
      isComposite,
      weight: meta ? undefined : weight,
      valueWeight: meta ? 0 : (weight ?? typeWeight),
      callWeight: meta ? 0 : (weight ?? (isComposite ? 1 : 0)),
      listSize,
      meta,
      argumentWeights: new Map(),
    };
  }

  /** `@cost` on an argument definition (`coordinate` is `Type.field(arg:)`). */
  argumentWeight(field: FieldCostInfo, argName: string): number | undefined {
    const known = field.argumentWeights.get(argName);
    if (known !== undefined || field.argumentWeights.has(argName)) return known;
    const arg = field.def?.args.find((a) => a.name === argName);
    const w = weightOf([arg?.astNode]);
    field.argumentWeights.set(argName, w);
    return w;
  }

  /** Input type of an argument. */
  argumentType(field: FieldCostInfo, argName: string): GraphQLInputType | undefined {
    return field.def?.args.find((a) => a.name === argName)?.type;
  }

  /** Default value of an argument (already coerced by graphql-js). */
  argumentDefault(field: FieldCostInfo, argName: string): unknown {
    return field.def?.args.find((a) => a.name === argName)?.defaultValue;
  }

  /**
   * Cost of an argument value (Apollo Router / IBM): an input object costs its weight (default 1)
   * plus its fields; a list the sum of its items; a scalar or enum its weight (default the type's
   * `@cost`, else 0); `null` nothing. `budget.units` counts every value visited.
   */
  valueCost(
    weight: number | undefined,
    type: GraphQLInputType | undefined,
    value: unknown,
    budget: { units: number; readonly max: number },
    depth = 0,
  ): number {
    if (++budget.units > budget.max) return 0;
    if (value === null || value === undefined || !type || depth > 64) return 0;
    const t = getNullableType(type);
    if (isListType(t)) {
      if (!Array.isArray(value)) return this.valueCost(weight, t.ofType, value, budget, depth + 1);
      let sum = 0;
      for (const item of value) {
        if (budget.units > budget.max) break;
        sum += this.valueCost(weight, t.ofType, item, budget, depth + 1);
      }
      return sum;
    }
    if (isInputObjectType(t)) {
      let sum = weight ?? 1;
      if (typeof value !== 'object' || Array.isArray(value)) return sum;
      const fields = t.getFields();
      for (const k of Object.keys(value)) {
        const f = hasOwnKey(fields, k) ? fields[k] : undefined;
        if (!f) continue;
        const v = (value as Record<string, unknown>)[k];
        sum += this.valueCost(weightOf([f.astNode]), f.type, v, budget, depth + 1);
      }
      return sum;
    }
    return weight ?? this.typeWeight(t as GraphQLNamedType);
  }
}

const infos = new WeakMap<GraphQLSchema, SchemaInfo>();

/** The (cached) cost metadata of a schema. */
export function schemaInfo(schema: GraphQLSchema): SchemaInfo {
  let info = infos.get(schema);
  if (!info) {
    info = new SchemaInfo(schema);
    infos.set(schema, info);
  }
  return info;
}
