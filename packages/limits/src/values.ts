/**
 * Variable and argument values as graphql-js execution sees them. Request variables are untrusted
 * JSON: only own properties are read (an own `"__proto__"`, `"constructor"` or `"prototype"` key is
 * an ordinary key, never the prototype chain) and every map built here has no prototype. A variable
 * that is declared but not sent is absent, so an argument given that variable takes the argument's
 * schema default, as in graphql-js `coerceVariableValues`/`getArgumentValues`.
 */
import { createDictionary, type Dictionary, hasOwnKey, ownProperty } from '@rampart/core';
import {
  type FieldNode,
  type GraphQLInputType,
  getNullableType,
  isInputObjectType,
  Kind,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';
import type { FieldCostInfo, SchemaInfo } from './schema-info.js';

/** Work units spent and the most allowed; every walk of a document or a value charges it. */
export interface WorkBudget {
  units: number;
  readonly max: number;
}

const NO_VARIABLES: Dictionary<unknown> = createDictionary();
const noop = (): void => {};

/**
 * The operation's variable values: for each declared variable, the request's value when the request
 * has it as an own property, else the variable's default from the document; otherwise absent.
 * Undeclared request variables are ignored (graphql-js ignores them too).
 */
export function variableValues(
  operation: OperationDefinitionNode,
  variables: unknown,
  budget: WorkBudget,
): Dictionary<unknown> {
  const vars = createDictionary<unknown>();
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (hasOwnKey(variables, name)) vars[name] = ownProperty(variables, name);
    else if (definition.defaultValue) vars[name] = toJS(definition.defaultValue, NO_VARIABLES, budget, noop);
  }
  return vars;
}

/**
 * An AST value as a JS value, variables substituted (`markVar` is called when one is read). A
 * variable that is absent gives `undefined` (an input-object field holding it is left out, so its
 * default applies; a list item holding it is `null`). Objects built here have no prototype. Past the
 * budget, gives `undefined` (the caller checks the budget).
 */
export function toJS(
  node: ValueNode,
  vars: Readonly<Dictionary<unknown>>,
  budget: WorkBudget,
  markVar: () => void,
  depth = 0,
): unknown {
  if (++budget.units > budget.max || depth > 64) return undefined;
  switch (node.kind) {
    case Kind.VARIABLE:
      markVar();
      return ownProperty(vars, node.name.value);
    case Kind.INT:
      return Number.parseInt(node.value, 10);
    case Kind.FLOAT:
      return Number.parseFloat(node.value);
    case Kind.STRING:
    case Kind.ENUM:
    case Kind.BOOLEAN:
      return node.value;
    case Kind.NULL:
      return null;
    case Kind.LIST: {
      const out: unknown[] = new Array(node.values.length);
      for (let i = 0; i < node.values.length; i++) {
        if (budget.units > budget.max) return undefined;
        out[i] = toJS(node.values[i] as ValueNode, vars, budget, markVar, depth + 1) ?? null;
      }
      return out;
    }
    case Kind.OBJECT: {
      const out = createDictionary<unknown>();
      for (const f of node.fields) {
        if (budget.units > budget.max) return undefined;
        const v = toJS(f.value, vars, budget, markVar, depth + 1);
        if (v !== undefined) out[f.name.value] = v;
      }
      return out;
    }
  }
}

/**
 * The value execution gives the argument at `path` (`['input', 'page', 'first']`): the literal or
 * variable of the field node, else (argument not given, or given an absent variable) the argument's
 * schema default; along a nested path, an input-object field that is not an own property of the
 * value takes the input field's default (graphql-js `coerceInputValue`).
 */
export function argumentValue(
  node: FieldNode,
  path: readonly string[],
  schemaInfo: SchemaInfo,
  info: FieldCostInfo,
  vars: Readonly<Dictionary<unknown>>,
  budget: WorkBudget,
  markVar: () => void,
): unknown {
  const argName = path[0] as string;
  const argNode = node.arguments?.find((a) => a.name.value === argName);
  let v: unknown;
  if (argNode && argNode.value.kind === Kind.VARIABLE && !hasOwnKey(vars, argNode.value.name.value)) {
    markVar();
    v = schemaInfo.argumentDefault(info, argName);
  } else if (argNode) {
    v = toJS(argNode.value, vars, budget, markVar);
  } else {
    v = schemaInfo.argumentDefault(info, argName);
  }
  let type = schemaInfo.argumentType(info, argName);
  for (let p = 1; p < path.length; p++) {
    if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) return undefined;
    const key = path[p] as string;
    const t = type ? getNullableType(type) : undefined;
    const def = isInputObjectType(t) ? ownProperty(t.getFields(), key) : undefined;
    const inputField = def as { type: GraphQLInputType; defaultValue?: unknown } | undefined;
    v = hasOwnKey(v, key) ? ownProperty(v, key) : inputField?.defaultValue;
    type = inputField?.type;
  }
  return v;
}

/** A slicing size from a value: an array's length, a finite number (at least 0), else `undefined`. */
export function sizeOf(v: unknown): number | undefined {
  if (Array.isArray(v)) return v.length;
  return typeof v === 'number' && Number.isFinite(v) ? Math.max(0, v) : undefined;
}
