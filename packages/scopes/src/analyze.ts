import { hasOwnKey, ownProperty } from '@rampart/core';
import {
  type ArgumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLType,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type ValueNode,
  type VariableDefinitionNode,
} from 'graphql';
import { combine, type Evaluator, GRANTED, type Verdict } from './evaluate.js';
import type { FieldInfo, Requirement, ScopesModel } from './requirements.js';

/** Why a field (for some or all of its parent's possible types) is removed. */
export interface Removal {
  /** Removed whatever the runtime type of the parent object. */
  readonly all: boolean;
  /** Runtime type names for which it is removed (when not `all`). */
  readonly types: ReadonlySet<string>;
  /** Runtime type names for which it stays (parent is abstract and only some types are refused). */
  readonly allowedTypes: readonly string[];
  /** The verdict per refused runtime type name (the parent type name when the parent is concrete). */
  readonly verdicts: ReadonlyMap<string, Denial>;
}

/** One refused (field, runtime type) pair, for the security state and the errors. */
export interface Denial {
  /** `Type.field` or `Type.field(arg:)`: what the caller may not use. */
  readonly coordinate: string;
  /** Response path template (`users.@.email`, `@` for list items), from the first place it was met. */
  readonly path: string;
  /** The field node in the document. */
  readonly node: FieldNode;
  /** Why. */
  readonly verdict: Verdict;
}

/** The result of checking one operation. */
export interface Analysis {
  /** Field nodes refused (for some or all runtime types). */
  readonly removed: Map<FieldNode, Removal>;
  /** Field and inline-fragment nodes whose subtree holds a removal. */
  readonly dirty: Set<SelectionNode>;
  /** Fragments whose selection holds a removal. */
  readonly dirtyFragments: Set<string>;
  /** Every refusal, in document order. */
  readonly denials: Denial[];
  /** At least one leaf the client asked for (or `__typename`) stays. */
  readonly keptLeaf: boolean;
  /** Response keys starting with `__rampart` that the client used (the rewrite avoids them). */
  readonly reservedKeys: Set<string>;
  /** Named return type of every dirty field node with a selection set. */
  readonly returnTypes: Map<FieldNode, GraphQLCompositeType>;
  /** The operation reads `__schema` or `__type` and introspection filtering is on. */
  readonly introspection: boolean;
}

/** A linked response-path template. */
interface PathLink {
  readonly prev: PathLink | undefined;
  readonly key: string;
}

function pathString(p: PathLink | undefined): string {
  const keys: string[] = [];
  for (let x = p; x; x = x.prev) keys.push(x.key);
  return keys.reverse().join('.');
}

/** Deepest input value the argument check walks (deeper, hostile values are refused). */
const MAX_INPUT_DEPTH = 128;

interface Ctx {
  readonly model: ScopesModel;
  readonly ev: Evaluator;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly varDefs: ReadonlyMap<string, VariableDefinitionNode>;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  readonly memo: Map<string, SetResult>;
  readonly analysis: Analysis;
  readonly filterIntrospection: boolean;
}

interface SetResult {
  kept: boolean;
  dirty: boolean;
}

const NOTHING: SetResult = { kept: false, dirty: false };
const BLOCKED: Verdict = Object.freeze({ ...GRANTED, ok: false });

/** The fragment definitions of a document, by name. */
export function fragmentsOf(definitions: readonly { kind: Kind }[]): Map<string, FragmentDefinitionNode> {
  const m = new Map<string, FragmentDefinitionNode>();
  for (const d of definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) {
      const f = d as FragmentDefinitionNode;
      m.set(f.name.value, f);
    }
  }
  return m;
}

/**
 * Checks every field, argument and input field the operation would use with these variables
 * (honouring fragments, aliases, `@skip`/`@include`), and returns what must be removed.
 * Linear in the document: each fragment is checked once (decisions do not depend on where it is spread).
 */
export function analyzeOperation(
  model: ScopesModel,
  ev: Evaluator,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Readonly<Record<string, unknown>> | undefined,
  filterIntrospection = false,
): Analysis {
  const analysis: Analysis = {
    removed: new Map(),
    dirty: new Set(),
    dirtyFragments: new Set(),
    denials: [],
    keptLeaf: false,
    reservedKeys: new Set(),
    returnTypes: new Map(),
    introspection: false,
  };
  const varDefs = new Map<string, VariableDefinitionNode>();
  for (const d of operation.variableDefinitions ?? []) varDefs.set(d.variable.name.value, d);
  const ctx: Ctx = {
    model,
    ev,
    variables: variables ?? {},
    varDefs,
    fragments,
    memo: new Map(),
    analysis,
    filterIntrospection,
  };
  const root = model.schema.getRootType(operation.operation);
  if (!root) return analysis;
  const r = visitSet(ctx, operation.selectionSet, root, undefined);
  (analysis as { keptLeaf: boolean }).keptLeaf = r.kept;
  return analysis;
}

/**
 * True when no field, argument or input field the operation could ever use declares anything, and
 * it reads no introspection to filter: then no principal and no variables can be refused, and the
 * per-request analysis is skipped. Conservative (every branch, `@skip`/`@include` ignored) and
 * independent of variables and principal, so it is computed once per operation node.
 */
export function isRequirementFree(
  model: ScopesModel,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  filterIntrospection: boolean,
): boolean {
  const root = model.schema.getRootType(operation.operation);
  if (!root) return true;
  const seen = new Set<string>();
  const stack: [SelectionSetNode, GraphQLCompositeType][] = [[operation.selectionSet, root]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [set, parent] = item;
    for (const sel of set.selections) {
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? model.schema.getType(sel.typeCondition.name.value) : parent;
        if (t && isCompositeType(t)) stack.push([sel.selectionSet, t]);
      } else if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const name = sel.name.value;
        const f = fragments.get(name);
        if (!f || seen.has(name)) continue;
        seen.add(name);
        const t = model.schema.getType(f.typeCondition.name.value);
        if (t && isCompositeType(t)) stack.push([f.selectionSet, t]);
      } else {
        const name = sel.name.value;
        if (name.startsWith('__')) {
          if (filterIntrospection && (name === '__schema' || name === '__type')) return false;
          continue;
        }
        if (!isObjectType(parent) && !isInterfaceType(parent)) continue;
        if (isObjectType(parent) ? model.field(parent.name, name) : model.abstractField(parent.name, name))
          return false;
        const def = parent.getFields()[name];
        if (!def || !sel.selectionSet) continue;
        const child = getNamedType(def.type);
        if (isCompositeType(child)) stack.push([sel.selectionSet, child]);
      }
    }
  }
  return true;
}

/** `@skip`/`@include` with these variables: false when the selection is left out. */
export function isIncluded(
  node: { readonly directives?: readonly { name: { value: string }; arguments?: readonly ArgumentNode[] }[] },
  variables: Readonly<Record<string, unknown>>,
  varDefs: ReadonlyMap<string, VariableDefinitionNode>,
): boolean {
  const ds = node.directives;
  if (!ds || ds.length === 0) return true;
  for (const d of ds) {
    const name = d.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const arg = d.arguments?.find((a) => a.name.value === 'if');
    if (!arg) continue;
    const value = booleanOf(arg.value, variables, varDefs);
    if (value === undefined) continue; // not a boolean: execution will fail coercion; check it anyway
    if (name === 'skip' && value) return false;
    if (name === 'include' && !value) return false;
  }
  return true;
}

function booleanOf(
  v: ValueNode,
  variables: Readonly<Record<string, unknown>>,
  varDefs: ReadonlyMap<string, VariableDefinitionNode>,
): boolean | undefined {
  if (v.kind === Kind.BOOLEAN) return v.value;
  if (v.kind === Kind.VARIABLE) {
    const name = v.name.value;
    if (hasOwnKey(variables, name)) {
      const x = ownProperty(variables, name);
      return typeof x === 'boolean' ? x : undefined;
    }
    const def = varDefs.get(name)?.defaultValue;
    return def?.kind === Kind.BOOLEAN ? def.value : undefined;
  }
  return undefined;
}

function visitSet(
  ctx: Ctx,
  set: SelectionSetNode,
  parent: GraphQLCompositeType,
  path: PathLink | undefined,
): SetResult {
  let kept = false;
  let dirty = false;
  for (const sel of set.selections) {
    if (!isIncluded(sel, ctx.variables, ctx.varDefs)) continue;
    let r: SetResult;
    if (sel.kind === Kind.FIELD) {
      r = visitField(ctx, sel, parent, path);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      const t = sel.typeCondition ? ctx.model.schema.getType(sel.typeCondition.name.value) : parent;
      r = t && isCompositeType(t) ? visitSet(ctx, sel.selectionSet, t, path) : NOTHING;
      if (r.dirty) ctx.analysis.dirty.add(sel);
    } else {
      r = visitFragment(ctx, sel.name.value, path);
    }
    kept ||= r.kept;
    dirty ||= r.dirty;
  }
  return { kept, dirty };
}

function visitFragment(ctx: Ctx, name: string, path: PathLink | undefined): SetResult {
  const memo = ctx.memo.get(name);
  if (memo) return memo;
  const f = ctx.fragments.get(name);
  if (!f) return NOTHING;
  ctx.memo.set(name, NOTHING); // cycle guard (validation forbids cycles)
  const t = ctx.model.schema.getType(f.typeCondition.name.value);
  const r = t && isCompositeType(t) ? visitSet(ctx, f.selectionSet, t, path) : NOTHING;
  ctx.memo.set(name, r);
  if (r.dirty) ctx.analysis.dirtyFragments.add(name);
  return r;
}

function visitField(ctx: Ctx, node: FieldNode, parent: GraphQLCompositeType, path: PathLink | undefined): SetResult {
  const name = node.name.value;
  const responseKey = node.alias?.value ?? name;
  if (responseKey.startsWith('__rampart')) ctx.analysis.reservedKeys.add(responseKey);
  if (name.startsWith('__')) {
    if (ctx.filterIntrospection && (name === '__schema' || name === '__type') && node.selectionSet) {
      const t = ctx.model.schema.getType(name === '__schema' ? '__Schema' : '__Type');
      if (t && isObjectType(t)) {
        markIntrospection(ctx, node, t, new Set());
        (ctx.analysis as { introspection: boolean }).introspection = true;
        return { kept: true, dirty: true };
      }
    }
    return { kept: true, dirty: false }; // __typename, or introspection left as is
  }
  if (isObjectType(parent) || isInterfaceType(parent)) {
    const def = parent.getFields()[name];
    if (!def) return NOTHING;
    let removal: Removal | undefined;
    if (isObjectType(parent)) {
      const info = ctx.model.field(parent.name, name);
      if (info) {
        const denial = checkField(ctx, node, parent, def, info, path);
        if (denial) {
          removal = {
            all: true,
            types: new Set([parent.name]),
            allowedTypes: [],
            verdicts: new Map([[parent.name, denial]]),
          };
        }
      }
    } else {
      removal = checkAbstractField(ctx, node, parent, path);
    }
    if (removal) {
      ctx.analysis.removed.set(node, removal);
      ctx.analysis.dirty.add(node);
      for (const d of removal.verdicts.values()) ctx.analysis.denials.push(d);
      if (removal.all) return { kept: false, dirty: true };
    }
    if (!node.selectionSet) return { kept: true, dirty: removal !== undefined };
    const child = getNamedType(def.type);
    if (!isCompositeType(child)) return { kept: true, dirty: removal !== undefined };
    const r = visitSet(ctx, node.selectionSet, child, childPath(path, responseKey, def.type));
    if (r.dirty) {
      ctx.analysis.dirty.add(node);
      ctx.analysis.returnTypes.set(node, child);
    }
    return { kept: r.kept, dirty: r.dirty || removal !== undefined };
  }
  return NOTHING; // unions have no fields but __typename
}

/** Marks a whole introspection subtree dirty, so the rewrite adds names and the response walk filters it. */
function markIntrospection(ctx: Ctx, node: FieldNode, type: GraphQLCompositeType, seen: Set<string>): void {
  ctx.analysis.dirty.add(node);
  ctx.analysis.returnTypes.set(node, type);
  if (node.selectionSet) markIntrospectionSet(ctx, node.selectionSet, type, seen);
}

function markIntrospectionSet(ctx: Ctx, set: SelectionSetNode, parent: GraphQLCompositeType, seen: Set<string>): void {
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      const key = sel.alias?.value ?? sel.name.value;
      if (key.startsWith('__rampart')) ctx.analysis.reservedKeys.add(key);
      if (!sel.selectionSet || !isObjectType(parent)) continue;
      const def = parent.getFields()[sel.name.value];
      const t = def && getNamedType(def.type);
      if (t && isCompositeType(t)) markIntrospection(ctx, sel, t, seen);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      ctx.analysis.dirty.add(sel);
      markIntrospectionSet(ctx, sel.selectionSet, parent, seen);
    } else {
      const name = sel.name.value;
      const f = ctx.fragments.get(name);
      if (!f || seen.has(name)) continue;
      seen.add(name);
      ctx.analysis.dirtyFragments.add(name);
      const t = ctx.model.schema.getType(f.typeCondition.name.value);
      if (t && isCompositeType(t)) markIntrospectionSet(ctx, f.selectionSet, t, seen);
    }
  }
}

function childPath(path: PathLink | undefined, key: string, type: GraphQLType): PathLink {
  let p: PathLink = { prev: path, key };
  let t = isNonNullType(type) ? type.ofType : type;
  while (isListType(t)) {
    p = { prev: p, key: '@' };
    t = isNonNullType(t.ofType) ? t.ofType.ofType : t.ofType;
  }
  return p;
}

/** The denial of `parent.field` for this node (field requirement, then argument requirements), if refused. */
function checkField(
  ctx: Ctx,
  node: FieldNode,
  parent: GraphQLObjectType | GraphQLInterfaceType,
  def: GraphQLField<unknown, unknown>,
  info: FieldInfo,
  path: PathLink | undefined,
): Denial | undefined {
  const key = node.alias?.value ?? node.name.value;
  let verdict = ctx.ev.check(info.requirement);
  let coordinate = verdict.ok ? undefined : `${parent.name}.${def.name}`;
  if (info.args && node.arguments && node.arguments.length > 0) {
    for (const a of node.arguments) {
      const ai = info.args.get(a.name.value);
      if (!ai || !isPresent(ctx, a.value)) continue;
      let req = ai.requirement;
      let v: Verdict;
      if (ai.inputGuarded) {
        const argDef = def.args.find((x) => x.name === a.name.value);
        const acc: InputAcc = { req, blocked: false };
        if (argDef) inputFromAst(ctx, a.value, argDef.type, acc, 0);
        req = acc.req;
        v = acc.blocked ? BLOCKED : ctx.ev.check(req);
      } else {
        v = ctx.ev.check(req);
      }
      if (!v.ok) {
        coordinate ??= `${parent.name}.${def.name}(${a.name.value}:)`;
        verdict = combine(verdict, v);
      }
    }
  }
  if (verdict.ok) return undefined;
  return { coordinate: coordinate as string, path: pathString({ prev: path, key }), node, verdict };
}

function checkAbstractField(
  ctx: Ctx,
  node: FieldNode,
  parent: GraphQLInterfaceType,
  path: PathLink | undefined,
): Removal | undefined {
  const name = node.name.value;
  const ai = ctx.model.abstractField(parent.name, name);
  if (!ai) return undefined;
  const verdicts = new Map<string, Denial>();
  if (ai.possibleTypes.length === 0) {
    const def = parent.getFields()[name];
    const denial = ai.own && def ? checkField(ctx, node, parent, def, ai.own, path) : undefined;
    if (!denial) return undefined;
    verdicts.set(parent.name, denial);
    return { all: true, types: new Set([parent.name]), allowedTypes: [], verdicts };
  }
  const allowed: string[] = [];
  for (const typeName of ai.possibleTypes) {
    const info = ai.perType.get(typeName);
    const t = ctx.model.schema.getType(typeName) as GraphQLObjectType;
    const def = t.getFields()[name];
    const denial = info && def ? checkField(ctx, node, t, def, info, path) : undefined;
    if (denial) verdicts.set(typeName, denial);
    else allowed.push(typeName);
  }
  if (verdicts.size === 0) return undefined;
  return { all: allowed.length === 0, types: new Set(verdicts.keys()), allowedTypes: allowed, verdicts };
}

/** An argument or input field counts as passed unless it is a variable that was not given and has no default. */
function isPresent(ctx: Ctx, v: ValueNode): boolean {
  if (v.kind !== Kind.VARIABLE) return true;
  const name = v.name.value;
  return hasOwnKey(ctx.variables, name) || ctx.varDefs.get(name)?.defaultValue !== undefined;
}

interface InputAcc {
  req: Requirement | undefined;
  blocked: boolean;
}

function inputFromAst(ctx: Ctx, v: ValueNode, type: GraphQLInputType, acc: InputAcc, depth: number): void {
  if (depth > MAX_INPUT_DEPTH) {
    acc.blocked = true;
    return;
  }
  if (v.kind === Kind.VARIABLE) {
    const name = v.name.value;
    if (hasOwnKey(ctx.variables, name)) inputFromJson(ctx, ownProperty(ctx.variables, name), type, acc, depth + 1);
    else {
      const def = ctx.varDefs.get(name)?.defaultValue;
      if (def) inputFromAst(ctx, def, type, acc, depth + 1);
    }
    return;
  }
  if (v.kind === Kind.NULL) return;
  const t = isNonNullType(type) ? type.ofType : type;
  if (isListType(t)) {
    const item = t.ofType as GraphQLInputType;
    if (v.kind === Kind.LIST) for (const x of v.values) inputFromAst(ctx, x, item, acc, depth + 1);
    else inputFromAst(ctx, v, item, acc, depth + 1);
    return;
  }
  if (!isInputObjectType(t) || v.kind !== Kind.OBJECT) return;
  const fields = t.getFields();
  for (const f of v.fields) {
    const info = ctx.model.inputField(t.name, f.name.value);
    if (!info || !isPresent(ctx, f.value)) continue;
    acc.req = ctx.model.table.merge(acc.req, info.requirement);
    const fd = fields[f.name.value];
    if (info.inputGuarded && fd) inputFromAst(ctx, f.value, fd.type, acc, depth + 1);
  }
}

function inputFromJson(ctx: Ctx, v: unknown, type: GraphQLInputType, acc: InputAcc, depth: number): void {
  if (depth > MAX_INPUT_DEPTH) {
    acc.blocked = true;
    return;
  }
  if (v === null || v === undefined) return;
  const t = isNonNullType(type) ? type.ofType : type;
  if (isListType(t)) {
    const item = t.ofType as GraphQLInputType;
    if (Array.isArray(v)) for (const x of v) inputFromJson(ctx, x, item, acc, depth + 1);
    else inputFromJson(ctx, v, item, acc, depth + 1);
    return;
  }
  if (!isInputObjectType(t) || typeof v !== 'object' || Array.isArray(v)) return;
  const fields = t.getFields();
  for (const key of Object.keys(v)) {
    const info = ctx.model.inputField(t.name, key);
    if (!info) continue;
    acc.req = ctx.model.table.merge(acc.req, info.requirement);
    const fd = fields[key];
    if (info.inputGuarded && fd) inputFromJson(ctx, ownProperty(v, key), fd.type, acc, depth + 1);
  }
}

/** True when `type` (after non-null) is abstract: the response needs `__typename` to tell types apart. */
export function isAbstractOutput(type: GraphQLType): boolean {
  return isAbstractType(getNamedType(type));
}
