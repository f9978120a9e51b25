import { performance } from 'node:perf_hooks';
import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import { isThenable } from '@rampart/core';
import {
  defaultFieldResolver,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
} from 'graphql';
import type { AuditLevel } from './options.js';

/** SDL of the directives this package understands. */
export const auditTypeDefs = /* GraphQL */ `
"Kubernetes-style audit levels: NONE, METADATA (no values), REQUEST (+ redacted arguments), RESPONSE (+ result summary)."
enum AuditLevel {
  NONE
  METADATA
  REQUEST
  RESPONSE
}
"Writes an audit record each time this field is resolved."
directive @audit(level: AuditLevel) on FIELD_DEFINITION
"Never log this value: redacted in audit records at every level."
directive @sensitive on ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | FIELD_DEFINITION | INPUT_OBJECT | SCALAR
`;

/** What the schema says about auditing and sensitivity, computed once per schema. */
export interface SchemaIndex {
  /** `Type.field` → level from `@audit` (`undefined`: the configured default level). */
  readonly audited: ReadonlyMap<string, AuditLevel | undefined>;
  /** `Type.field(arg:)` of `@sensitive` arguments. */
  readonly sensitiveArgs: ReadonlySet<string>;
  /** `Input.field` of `@sensitive` input fields. */
  readonly sensitiveInputFields: ReadonlySet<string>;
  /** `Type.field` of `@sensitive` output fields (incl. those inherited from interfaces). */
  readonly sensitiveFields: ReadonlySet<string>;
  /** Names of `@sensitive` input objects and scalars. */
  readonly sensitiveTypes: ReadonlySet<string>;
  /**
   * Names of every argument and input field that is `@sensitive` or of a `@sensitive` type, anywhere in
   * the schema: redacted under any key of a value the schema does not type (an input-object key the
   * type does not define, such as `"__proto__"`, or the inside of a JSON-like scalar).
   */
  readonly sensitiveNames: ReadonlySet<string>;
  /** Name of the mutation root type. */
  readonly mutationType: string | undefined;
}

const indexes = new WeakMap<GraphQLSchema, SchemaIndex>();

function has(schema: GraphQLSchema, node: Parameters<typeof getDirective>[1], name: string): boolean {
  return (getDirective(schema, node, name)?.length ?? 0) > 0;
}

function auditLevelOf(schema: GraphQLSchema, field: GraphQLField<unknown, unknown>): AuditLevel | undefined | null {
  const d = getDirective(schema, field, 'audit')?.[0];
  if (!d) return null;
  const level = d.level as string | undefined;
  return level ? (level.toLowerCase() as AuditLevel) : undefined;
}

const LEVEL_RANK: Record<AuditLevel, number> = { none: 0, metadata: 1, request: 2, response: 3 };

/** Builds (or returns the cached) {@link SchemaIndex} of a schema. */
export function indexSchema(schema: GraphQLSchema): SchemaIndex {
  const cached = indexes.get(schema);
  if (cached) return cached;
  const audited = new Map<string, AuditLevel | undefined>();
  const sensitiveArgs = new Set<string>();
  const sensitiveInputFields = new Set<string>();
  const sensitiveFields = new Set<string>();
  const sensitiveTypes = new Set<string>();
  const sensitiveNames = new Set<string>();
  const types = Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith('__'));
  for (const type of types) {
    if ((isInputObjectType(type) || isScalarType(type)) && has(schema, type, 'sensitive'))
      sensitiveTypes.add(type.name);
  }
  const isSensitiveInput = (v: GraphQLArgument | GraphQLInputField) =>
    has(schema, v, 'sensitive') || sensitiveTypes.has(getNamedType(v.type).name);
  for (const type of types) {
    if (isInputObjectType(type)) {
      for (const f of Object.values(type.getFields()) as GraphQLInputField[]) {
        if (has(schema, f, 'sensitive')) sensitiveInputFields.add(`${type.name}.${f.name}`);
        if (isSensitiveInput(f)) sensitiveNames.add(f.name);
      }
    } else if (isObjectType(type) || isInterfaceType(type)) {
      for (const f of Object.values(type.getFields())) {
        for (const a of f.args) if (isSensitiveInput(a)) sensitiveNames.add(a.name);
      }
    }
  }
  // Interfaces first, so implementing fields inherit their @audit / @sensitive.
  const ifaceAudit = new Map<string, AuditLevel | undefined>();
  const ifaceSensitive = new Set<string>();
  const ifaceSensitiveArgs = new Set<string>();
  for (const type of types) {
    if (!isInterfaceType(type)) continue;
    for (const f of Object.values(type.getFields())) {
      const level = auditLevelOf(schema, f);
      if (level !== null) ifaceAudit.set(`${type.name}.${f.name}`, level);
      if (has(schema, f, 'sensitive')) ifaceSensitive.add(`${type.name}.${f.name}`);
      for (const a of f.args)
        if (has(schema, a, 'sensitive')) ifaceSensitiveArgs.add(`${type.name}.${f.name}(${a.name}:)`);
    }
  }
  for (const type of types) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    const ifaces = type.getInterfaces();
    for (const f of Object.values(type.getFields())) {
      const coord = `${type.name}.${f.name}`;
      let level = auditLevelOf(schema, f);
      let sensitive = has(schema, f, 'sensitive');
      for (const i of ifaces) {
        const ic = `${i.name}.${f.name}`;
        if (ifaceAudit.has(ic)) {
          const il = ifaceAudit.get(ic);
          // The most thorough level wins; an unspecified level counts as the default.
          if (level === null || (il && (level === undefined || LEVEL_RANK[il] > LEVEL_RANK[level]))) level = il;
        }
        if (ifaceSensitive.has(ic)) sensitive = true;
        for (const a of f.args)
          if (ifaceSensitiveArgs.has(`${i.name}.${f.name}(${a.name}:)`)) sensitiveArgs.add(`${coord}(${a.name}:)`);
      }
      if (level !== null && isObjectType(type)) audited.set(coord, level);
      if (sensitive) sensitiveFields.add(coord);
      for (const a of f.args) if (has(schema, a, 'sensitive')) sensitiveArgs.add(`${coord}(${a.name}:)`);
    }
  }
  const index: SchemaIndex = {
    audited,
    sensitiveArgs,
    sensitiveInputFields,
    sensitiveFields,
    sensitiveTypes,
    sensitiveNames,
    mutationType: schema.getMutationType()?.name,
  };
  indexes.set(schema, index);
  return index;
}

/** Called by the field wrapper for each resolution of an audited field. */
export type FieldAuditHook = (
  coordinate: string,
  declaredLevel: AuditLevel | undefined,
  args: Record<string, unknown>,
  context: unknown,
  info: Parameters<GraphQLFieldResolver<unknown, unknown>>[3],
  result: unknown,
  error: unknown,
  failed: boolean,
  /** `performance.now()` when the resolver was called. */
  started: number,
) => void;

/**
 * Wraps, with a synchronous wrapper, only the fields that are audited: `@audit` fields and (when
 * `mutationFields`) the mutation root fields. Every other field keeps its resolver untouched.
 * Fields with `@audit(level: NONE)` are not wrapped.
 */
export function wrapAuditedFields(schema: GraphQLSchema, hook: FieldAuditHook, mutationFields: boolean): GraphQLSchema {
  const index = indexSchema(schema);
  const mutation = index.mutationType;
  const out = mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (config, fieldName, typeName) => {
      const coordinate = `${typeName}.${fieldName}`;
      const declared = index.audited.has(coordinate);
      const level = index.audited.get(coordinate);
      if (!declared && !(mutationFields && typeName === mutation)) return config;
      if (declared && level === 'none') return config;
      const resolve = config.resolve ?? defaultFieldResolver;
      const wrapped: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) => {
        const started = performance.now();
        let result: unknown;
        try {
          result = resolve(source, args, context, info);
        } catch (error) {
          hook(coordinate, level, args, context, info, undefined, error, true, started);
          throw error;
        }
        if (isThenable(result)) {
          return Promise.resolve(result).then(
            (value) => {
              hook(coordinate, level, args, context, info, value, undefined, false, started);
              return value;
            },
            (error) => {
              hook(coordinate, level, args, context, info, undefined, error, true, started);
              throw error;
            },
          );
        }
        const failed = result instanceof Error;
        hook(coordinate, level, args, context, info, result, failed ? result : undefined, failed, started);
        return result;
      };
      return { ...config, resolve: wrapped };
    },
  });
  // The index is keyed by schema object: share it with the transformed schema.
  indexes.set(out, index);
  return out;
}

/** Whether a named type is declared `@sensitive` (scalars and input objects). */
export function isSensitiveType(index: SchemaIndex, type: GraphQLNamedType): boolean {
  return index.sensitiveTypes.has(type.name);
}
