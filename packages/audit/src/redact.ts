import { hasOwnKey, ownProperty } from '@rampart/core';
import {
  type DocumentNode,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  type OperationDefinitionNode,
  TypeInfo,
  type TypeNode,
  typeFromAST,
  type ValueNode,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { dataObject, REDACTED, type SanitizeLimits, sanitizeValue, setData, TRUNCATED } from './sanitize.js';
import type { SchemaIndex } from './schema.js';

/** What redaction needs: the schema index, the name backstop and the size limits. */
export interface Redactor {
  readonly index: SchemaIndex;
  /** The name backstop (`sensitiveNames` option). */
  readonly isSensitiveName: (name: string) => boolean;
  /**
   * For values the schema does not type (an input-object key its type does not define, such as
   * `"__proto__"`; JSON-like scalars): the backstop, or the name of any `@sensitive` argument or input
   * field of the schema ({@link SchemaIndex.sensitiveNames}).
   */
  readonly isUntypedSensitive: (name: string) => boolean;
  readonly limits: SanitizeLimits;
}

/** A {@link Redactor} for one schema index. */
export function createRedactor(
  index: SchemaIndex,
  isSensitiveName: (name: string) => boolean,
  limits: SanitizeLimits,
): Redactor {
  const names = index.sensitiveNames;
  return {
    index,
    isSensitiveName,
    isUntypedSensitive: (name) => names.has(name) || isSensitiveName(name),
    limits,
  };
}

/** Copies an input value of a known type, redacting `@sensitive` input fields/types and backstop names at any depth. */
export function redactInput(r: Redactor, value: unknown, type: GraphQLInputType, depth = 0): unknown {
  if (isNonNullType(type)) return redactInput(r, value, type.ofType, depth);
  if (value === null || value === undefined) return value ?? null;
  if (depth >= r.limits.maxDepth) return TRUNCATED;
  if (isListType(type)) {
    if (!Array.isArray(value)) return redactInput(r, value, type.ofType, depth + 1);
    const n = Math.min(value.length, r.limits.maxItems);
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = redactInput(r, value[i], type.ofType, depth + 1);
    if (value.length > n) out.push(`[+${value.length - n} items]`);
    return out;
  }
  if (r.index.sensitiveTypes.has(type.name)) return REDACTED;
  if (isInputObjectType(type)) {
    if (typeof value !== 'object' || Array.isArray(value))
      return sanitizeValue(value, r.limits, r.isUntypedSensitive, depth);
    const fields = type.getFields();
    const out = dataObject();
    let count = 0;
    const keys = Object.keys(value as object);
    for (const key of keys) {
      if (count++ >= r.limits.maxItems) {
        setData(out, '[truncated]', `${keys.length - r.limits.maxItems} more keys`);
        break;
      }
      const v = ownProperty(value, key);
      const field = hasOwnKey(fields, key) ? fields[key] : undefined;
      const safeKey = sanitizeValue(key, r.limits) as string;
      if (field) {
        const redact = r.isSensitiveName(key) || r.index.sensitiveInputFields.has(`${type.name}.${key}`);
        setData(out, safeKey, redact ? REDACTED : redactInput(r, v, field.type, depth + 1));
      } else {
        // A key the type does not define ("__proto__", "constructor", a typo): graphql-js refuses it, but
        // the record keeps it, its value redacted under any sensitive name the schema or backstop knows.
        const redact = r.isUntypedSensitive(key);
        setData(
          out,
          safeKey,
          redact ? REDACTED : (sanitizeValue(v, r.limits, r.isUntypedSensitive, depth + 1) ?? null),
        );
      }
    }
    return out;
  }
  if (isEnumType(type) && typeof value === 'string') return sanitizeValue(value, r.limits);
  // Scalars (custom JSON-like scalars included): untyped inside, so sensitive names apply at any depth.
  return sanitizeValue(value, r.limits, r.isUntypedSensitive, depth) ?? null;
}

/** Copies a field's (coerced) arguments, redacting `@sensitive` arguments and backstop names. */
export function redactArguments(
  r: Redactor,
  coordinate: string,
  argDefs: readonly GraphQLArgument[],
  args: Record<string, unknown>,
): Record<string, unknown> {
  const out = dataObject();
  for (const def of argDefs) {
    if (!hasOwnKey(args, def.name)) continue;
    const redact = r.isSensitiveName(def.name) || r.index.sensitiveArgs.has(`${coordinate}(${def.name}:)`);
    setData(out, def.name, redact ? REDACTED : redactInput(r, ownProperty(args, def.name), def.type));
  }
  return out;
}

const sensitiveVariableCache = new WeakMap<DocumentNode, Map<string, ReadonlySet<string>>>();

function variablesIn(node: ValueNode, into: Set<string>): void {
  switch (node.kind) {
    case Kind.VARIABLE:
      into.add(node.name.value);
      break;
    case Kind.LIST:
      for (const v of node.values) variablesIn(v, into);
      break;
    case Kind.OBJECT:
      for (const f of node.fields) variablesIn(f.value, into);
      break;
    default:
      break;
  }
}

/**
 * Names of the variables that flow into a `@sensitive` argument or input field (or one whose name
 * the backstop matches) anywhere in the operation, so `login(password: $p)` redacts `$p` although
 * `$p` is a plain `String`. Cached per document and operation.
 */
export function sensitiveVariables(
  r: Redactor,
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): ReadonlySet<string> {
  let perDoc = sensitiveVariableCache.get(document);
  const opKey = operation.name?.value ?? '';
  const hit = perDoc?.get(opKey);
  if (hit) return hit;
  const found = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  const doc: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] };
  visit(
    doc,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        const arg = typeInfo.getArgument();
        const field = typeInfo.getFieldDef();
        const parent = typeInfo.getParentType();
        if (!arg) return;
        const coordinate = field && parent ? `${parent.name}.${field.name}(${arg.name}:)` : '';
        if (r.isSensitiveName(arg.name) || r.index.sensitiveArgs.has(coordinate)) variablesIn(node.value, found);
      },
      ObjectField(node) {
        const parent = typeInfo.getParentInputType();
        const named = parent ? getNamedType(parent) : undefined;
        const name = named && isInputObjectType(named) ? named.name : undefined;
        if (
          r.isSensitiveName(node.name.value) ||
          (name && r.index.sensitiveInputFields.has(`${name}.${node.name.value}`))
        ) {
          variablesIn(node.value, found);
        }
      },
    }),
  );
  if (!perDoc) {
    perDoc = new Map();
    sensitiveVariableCache.set(document, perDoc);
  }
  perDoc.set(opKey, found);
  return found;
}

/** Copies the operation's declared variables, redacted by type, usage and name. Undeclared variables are left out. */
export function redactVariables(
  r: Redactor,
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const out = dataObject();
  if (!variables || typeof variables !== 'object') return out;
  const sensitive = sensitiveVariables(r, schema, document, operation);
  for (const def of operation.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    if (!hasOwnKey(variables, name)) continue;
    if (sensitive.has(name) || r.isSensitiveName(name)) {
      setData(out, name, REDACTED);
      continue;
    }
    const value = ownProperty(variables, name);
    const type = typeFromAST(schema, def.type as TypeNode & { kind: Kind.NAMED_TYPE }) as GraphQLInputType | undefined;
    setData(out, name, type ? redactInput(r, value, type) : sanitizeValue(value, r.limits, r.isUntypedSensitive));
  }
  return out;
}

/** A summary of one resolved value: its shape, never its content, except as allowed by the caller. */
export function summarise(value: unknown, includeScalar: boolean, r: Redactor): Record<string, unknown> {
  if (value === null || value === undefined) return { type: 'null' };
  if (Array.isArray(value)) return { type: 'list', length: value.length };
  if (typeof value === 'object') {
    const id = (value as { id?: unknown }).id;
    const out: Record<string, unknown> = { type: 'object' };
    if (includeScalar && (typeof id === 'string' || typeof id === 'number')) out.id = sanitizeValue(id, r.limits);
    return out;
  }
  return includeScalar ? { type: 'scalar', value: sanitizeValue(value, r.limits) } : { type: 'scalar' };
}
