/**
 * One-pass operation analysis: depth, height, aliases, root fields, directives, introspection depth
 * and cost (Apollo Router's demand-control score and IBM's field cost) in a single iterative
 * traversal. Named fragments are evaluated once (memoized by name and list-size context) into
 * measures that are relative to where they are spread, so a fragment computed at a shallow place is
 * reused deeper with the right depth. Unknown and cyclic fragments are reported, never followed.
 * No recursion over the document (an explicit stack), and a work budget on top of the linear bound.
 */
import { ErrorCode } from '@rampart/core';
import {
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
  type ValueNode,
} from 'graphql';
import { type LimitsOptions, type ResolvedLimitsOptions, resolveLimitsOptions } from './options.js';
import { type FieldInfo, schemaInfo } from './schema-info.js';

/** Names of the limits, as used in decisions (`rule`) and violations. */
export type LimitName =
  | 'depth'
  | 'height'
  | 'aliases'
  | 'rootFields'
  | 'directives'
  | 'introspectionDepth'
  | 'cost'
  | 'slicing'
  | 'workBudget';

/** A limit the operation is over. */
export interface Violation {
  readonly rule: LimitName;
  readonly code: ErrorCode;
  readonly measured: number;
  readonly max: number;
  /** For per-coordinate limits and slicing arguments. */
  readonly coordinate?: string;
  /** A message that names the limit (and the numbers where `exposeLimits`). */
  readonly message: string;
}

/** Something in the document that could not be analyzed normally. */
export interface AnalysisProblem {
  readonly kind: 'unknownOperation' | 'unknownFragment' | 'cyclicFragment' | 'unknownField' | 'workBudget';
  readonly message: string;
  /** Fragment, field coordinate or operation concerned. */
  readonly name?: string;
}

/** A slicing argument that is missing, repeated or too large. */
export interface SlicingFinding {
  readonly coordinate: string;
  readonly problem: 'missing' | 'multiple' | 'tooLarge';
  /** The value given (for `tooLarge`) or how many slicing arguments were given. */
  readonly value: number;
  /** The cap (for `tooLarge`). */
  readonly max?: number;
}

/** The analysis of one operation. Numbers saturate at `Infinity` (cyclic fragments, overflow). */
export interface OperationAnalysis {
  readonly operationName: string | null;
  readonly operationType: 'query' | 'mutation' | 'subscription' | null;
  /** graphql-depth-limit's depth. */
  readonly depth: number;
  /** Distinct response keys, fragments expanded. */
  readonly height: number;
  readonly aliases: number;
  readonly rootFields: number;
  readonly directives: number;
  /** Depth of the deepest `__schema`/`__type` subtree. */
  readonly introspectionDepth: number;
  /** Estimated cost (Apollo Router's model, mutation base included). */
  readonly cost: number;
  /** IBM field cost (resolver calls weighted). */
  readonly fieldCost: number;
  /** Per overridden coordinate present in the operation: depth below it and aliased selections. */
  readonly coordinates: Readonly<Record<string, { readonly depth: number; readonly aliases: number }>>;
  readonly slicing: readonly SlicingFinding[];
  readonly problems: readonly AnalysisProblem[];
  /** True when a variable value changed the result (`@skip`/`@include`, slicing or costed arguments). */
  readonly variableDependent: boolean;
  /** Work units spent (selections and argument values visited). */
  readonly work: number;
  /** Limits exceeded under the options given. */
  readonly violations: readonly Violation[];
}

/** Options of {@link analyzeOperation}: the limits options plus the request's operation name and variables. */
export interface AnalyzeOptions extends LimitsOptions {
  operationName?: string | null | undefined;
  variables?: Readonly<Record<string, unknown>> | null | undefined;
}

interface CoordStat {
  L: number;
  aliases: number;
}

/** Keys per selection set deduplicated before every further selection counts. */
export const KEY_DEDUPE_LIMIT = 256;

interface SizedContext {
  readonly fields: ReadonlySet<string>;
  readonly size: number;
  readonly key: string;
}

const ROOT = 0;
const FIELD = 1;
const SPREAD = 2;

/**
 * One selection set being evaluated (a frame of the explicit stack) and, once done, its measures,
 * relative to the set (memoized for named fragments). Inline fragments are flattened into the
 * same frame. One object per selection set keeps allocation (and GC) low on large documents.
 */
class Acc {
  /** graphql-depth-limit depth of the set. */
  L = 0;
  /** Same, but the subtrees of overridden fields count as leaves. */
  Lx = 0;
  /** Depth counting `__` fields too. */
  all = 0;
  /** Depth of introspection subtrees. */
  intro = Number.NEGATIVE_INFINITY;
  height = 0;
  aliases = 0;
  directives = 0;
  cost = 0;
  fieldCost = 0;
  /**
   * Distinct response keys: small sets scan an array, larger ones use a `Set`; past
   * {@link KEY_DEDUPE_LIMIT} keys every further selection counts as new (an upper bound that keeps
   * hashing costs off hostile documents).
   */
  keyCount = 0;
  key1: string | undefined = undefined;
  keyList: string[] | undefined = undefined;
  keySet: Set<string> | undefined = undefined;
  spread1: string | undefined = undefined;
  spreads: string[] | undefined = undefined;
  over: Map<string, CoordStat> | undefined = undefined;
  // The frame: current selections, the outer ones (triples) while in inline fragments.
  sels: readonly SelectionNode[];
  i = 0;
  type: GraphQLNamedType | undefined;
  outer: unknown[] | undefined = undefined;
  readonly ctx: SizedContext | undefined;
  // What to do with the measures when the set is done.
  readonly kind: number;
  readonly name: string;
  readonly info: FieldInfo | undefined;
  readonly n: number;
  readonly args: number;
  readonly override: string | undefined;

  constructor(
    sels: readonly SelectionNode[],
    type: GraphQLNamedType | undefined,
    ctx: SizedContext | undefined,
    kind: number,
    name: string,
    info: FieldInfo | undefined,
    n: number,
    args: number,
    override: string | undefined,
  ) {
    this.sels = sels;
    this.type = type;
    this.ctx = ctx;
    this.kind = kind;
    this.name = name;
    this.info = info;
    this.n = n;
    this.args = args;
    this.override = override;
  }

  /** Adds a response key; true when it counts as new. */
  addKey(key: string): boolean {
    if (this.keyCount >= KEY_DEDUPE_LIMIT) {
      this.keyCount++;
      return true;
    }
    if (this.keySet) {
      if (this.keySet.has(key)) return false;
      this.keySet.add(key);
    } else if (this.keyCount === 0) {
      this.key1 = key;
    } else {
      if (!this.keyList) {
        if (key === this.key1) return false;
        this.keyList = [this.key1 as string, key];
      } else {
        if (this.keyList.includes(key)) return false;
        this.keyList.push(key);
        if (this.keyList.length > 8) {
          this.keySet = new Set(this.keyList);
          this.keyList = undefined;
        }
      }
    }
    this.keyCount++;
    return true;
  }

  coord(c: string): CoordStat {
    this.over ??= new Map();
    let s = this.over.get(c);
    if (!s) {
      s = { L: Number.NEGATIVE_INFINITY, aliases: 0 };
      this.over.set(c, s);
    }
    return s;
  }

  mergeOver(m: Acc, offset: number): void {
    if (!m.over) return;
    for (const [c, v] of m.over) {
      const s = this.coord(c);
      s.L = Math.max(s.L, v.L + offset);
      s.aliases += v.aliases;
    }
  }
}

/**
 * Analyzes the selected operation of `document` against `schema` (pure: no Apollo, no I/O).
 * The document need not be valid: unknown fields count as leaves, unknown and cyclic fragments are
 * reported in `problems` (a cycle makes the depth `Infinity`).
 *
 * @param schema - the executable schema (its SDL's `@cost`/`@listSize` are read).
 * @param document - the parsed document.
 * @param options - operation name, variables, and limits options (defaults apply).
 */
export function analyzeOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  options: AnalyzeOptions = {},
): OperationAnalysis {
  const { operationName, variables, ...limitOptions } = options;
  return analyzeWithResolved(schema, document, resolveLimitsOptions(limitOptions), operationName, variables);
}

/** {@link analyzeOperation} with options already resolved (what the plugin calls per request). */
export function analyzeWithResolved(
  schema: GraphQLSchema,
  document: DocumentNode,
  opts: ResolvedLimitsOptions,
  operationName?: string | null,
  variables?: Readonly<Record<string, unknown>> | null,
): OperationAnalysis {
  const problems: AnalysisProblem[] = [];
  const slicing: SlicingFinding[] = [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  let operationCount = 0;
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) {
      if (!fragments.has(def.name.value)) fragments.set(def.name.value, def);
    } else if (def.kind === Kind.OPERATION_DEFINITION) {
      operationCount++;
      if (operationName ? def.name?.value === operationName : operation === undefined) operation = def;
    }
  }
  if (!operation || (!operationName && operationCount > 1)) {
    const message = operationName
      ? `Unknown operation named "${operationName}".`
      : operationCount > 1
        ? 'Must provide an operation name when the document has several operations.'
        : 'The document has no operation.';
    problems.push({ kind: 'unknownOperation', message, ...(operationName ? { name: operationName } : {}) });
    return finish(opts, emptyResult(operationName ?? null, problems));
  }

  const si = schemaInfo(schema);
  const budget = { units: 0 };
  const maxWork = opts.workBudget;
  let variableDependent = false;
  const overrides = opts.overrides;
  const hasOverrides = Object.keys(overrides).length > 0;
  const { defaultListSize } = opts.cost;
  const sliceMax = opts.slicing.max;

  // Variable values: request values over the operation's defaults.
  const vars: Record<string, unknown> = {};
  for (const vd of operation.variableDefinitions ?? []) {
    if (vd.defaultValue) vars[vd.variable.name.value] = toJS(vd.defaultValue, {}, budget, () => {});
  }
  if (variables && typeof variables === 'object') Object.assign(vars, variables);
  const markVar = () => {
    variableDependent = true;
  };

  const included = makeIncluded(vars, markVar);

  const reportedUnknown = new Set<string>();
  const memo = new Map<string, Acc | typeof IN_PROGRESS>();
  const rootType = schema.getRootType(operation.operation) ?? undefined;
  const stack: Acc[] = [
    new Acc(operation.selectionSet.selections, rootType, undefined, ROOT, '', undefined, 1, 0, undefined),
  ];
  let root: Acc | undefined;
  let aborted = false;

  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Acc;
    if (frame.i >= frame.sels.length) {
      const outer = frame.outer;
      if (outer && outer.length > 0) {
        frame.type = outer.pop() as GraphQLNamedType | undefined;
        frame.i = outer.pop() as number;
        frame.sels = outer.pop() as readonly SelectionNode[];
        continue;
      }
      stack.pop();
      const parent = stack[stack.length - 1];
      if (!parent) {
        root = frame;
        break;
      }
      completeFrame(parent, frame);
      continue;
    }
    const sel = frame.sels[frame.i++] as SelectionNode;
    if (++budget.units > maxWork) {
      aborted = true;
      break;
    }
    const acc = frame;
    if (sel.kind === Kind.INLINE_FRAGMENT) {
      if (!included(sel.directives)) continue;
      acc.directives += sel.directives?.length ?? 0;
      const type = sel.typeCondition ? (schema.getType(sel.typeCondition.name.value) ?? undefined) : frame.type;
      frame.outer ??= [];
      frame.outer.push(frame.sels, frame.i, frame.type);
      frame.sels = sel.selectionSet.selections;
      frame.i = 0;
      frame.type = type;
      continue;
    }
    if (sel.kind === Kind.FRAGMENT_SPREAD) {
      if (!included(sel.directives)) continue;
      acc.directives += sel.directives?.length ?? 0;
      const name = sel.name.value;
      // The same fragment twice in one selection set merges into one.
      if (acc.spread1 === undefined) acc.spread1 = name;
      else if (acc.spread1 === name) continue;
      else {
        acc.spreads ??= [];
        if (acc.spreads.length < 64 ? acc.spreads.includes(name) : spreadSeen(acc.spreads, name)) continue;
        acc.spreads.push(name);
      }
      const def = fragments.get(name);
      if (!def) {
        if (!reportedUnknown.has(`fragment:${name}`)) {
          reportedUnknown.add(`fragment:${name}`);
          problems.push({ kind: 'unknownFragment', message: `Unknown fragment "${name}".`, name });
        }
        continue;
      }
      const key = frame.ctx ? `${name}|${frame.ctx.key}` : name;
      const done = memo.get(key);
      if (done !== undefined && done !== IN_PROGRESS) {
        addMeasure(acc, done);
        continue;
      }
      if (done === IN_PROGRESS) {
        if (!reportedUnknown.has(`cycle:${name}`)) {
          reportedUnknown.add(`cycle:${name}`);
          problems.push({ kind: 'cyclicFragment', message: `Fragment "${name}" spreads itself.`, name });
        }
        acc.L = Number.POSITIVE_INFINITY;
        acc.Lx = Number.POSITIVE_INFINITY;
        acc.all = Number.POSITIVE_INFINITY;
        continue;
      }
      memo.set(key, IN_PROGRESS);
      const fragmentType = schema.getType(def.typeCondition.name.value) ?? undefined;
      stack.push(
        new Acc(def.selectionSet.selections, fragmentType, frame.ctx, SPREAD, key, undefined, 1, 0, undefined),
      );
      continue;
    }

    // A field.
    const node = sel as FieldNode;
    if (!included(node.directives)) continue;
    acc.directives += node.directives?.length ?? 0;
    const name = node.name.value;
    const responseKey = node.alias?.value ?? name;
    const info = si.field(frame.type, name);
    if (!info.def && !reportedUnknown.has(info.coordinate)) {
      reportedUnknown.add(info.coordinate);
      problems.push({ kind: 'unknownField', message: `Unknown field "${info.coordinate}".`, name: info.coordinate });
    }
    const override = hasOverrides && overrides[info.coordinate] ? info.coordinate : undefined;
    if (node.alias) {
      acc.aliases++;
      if (override) acc.coord(override).aliases++;
    }
    if (acc.addKey(responseKey)) acc.height++;
    let args = 0;
    if (node.arguments && node.arguments.length > 0 && info.def) {
      for (const a of node.arguments) {
        const value = toJS(a.value, vars, budget, markVar);
        args += si.valueCost(si.argumentWeight(info, a.name.value), si.argumentType(info, a.name.value), value, budget);
      }
    }
    let n = 1;
    let childCtx: SizedContext | undefined;
    if (frame.ctx?.fields.has(name) && info.isList) {
      n = frame.ctx.size;
    } else if (info.listSize) {
      const ls = info.listSize;
      let size: number | undefined;
      let given = 0;
      for (const path of ls.slicingArguments) {
        const argName = path[0] as string;
        const argNode = node.arguments?.find((a) => a.name.value === argName);
        let v: unknown = argNode ? toJS(argNode.value, vars, budget, markVar) : si.argumentDefault(info, argName);
        for (let p = 1; p < path.length && v !== null && v !== undefined; p++) {
          v =
            typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[path[p] as string] : undefined;
        }
        const s = Array.isArray(v)
          ? v.length
          : typeof v === 'number' && Number.isFinite(v)
            ? Math.max(0, v)
            : undefined;
        if (s === undefined) continue;
        given++;
        size = size === undefined ? s : Math.max(size, s);
        if (sliceMax !== false && s > sliceMax) {
          slicing.push({ coordinate: `${info.coordinate}(${argName}:)`, problem: 'tooLarge', value: s, max: sliceMax });
        }
      }
      if (ls.slicingArguments.length > 0 && ls.requireOne && opts.slicing.requireOne && given !== 1) {
        slicing.push({ coordinate: info.coordinate, problem: given === 0 ? 'missing' : 'multiple', value: given });
      }
      const effective = size ?? ls.assumedSize ?? defaultListSize;
      if (ls.sizedFields.size > 0) {
        childCtx = { fields: ls.sizedFields, size: effective, key: `${[...ls.sizedFields].join(',')}=${effective}` };
        n = info.isList ? defaultListSize : 1;
      } else {
        n = info.isList ? effective : 1;
      }
    } else if (info.isList) {
      n = defaultListSize;
    }
    if (node.selectionSet) {
      stack.push(new Acc(node.selectionSet.selections, info.type, childCtx, FIELD, name, info, n, args, override));
      continue;
    }
    // A leaf.
    acc.L = Math.max(acc.L, 0);
    acc.Lx = Math.max(acc.Lx, 0);
    acc.all = Math.max(acc.all, 0);
    if (override) {
      const s = acc.coord(override);
      s.L = Math.max(s.L, 0);
    }
    acc.cost += Math.max(0, n * info.valueWeight + args);
    acc.fieldCost += Math.max(0, info.callWeight + args);
  }

  function completeFrame(parent: Acc, m: Acc): void {
    // Keep only the measures of a finished set (memoized fragments stay alive until the end).
    m.sels = EMPTY;
    m.outer = undefined;
    m.keyList = undefined;
    m.keySet = undefined;
    m.spreads = undefined;
    if (m.kind === SPREAD) {
      memo.set(m.name, m);
      addMeasure(parent, m);
      return;
    }
    const p = m;
    parent.height += m.height;
    parent.aliases += m.aliases;
    parent.directives += m.directives;
    const ignored = p.name.startsWith('__');
    parent.L = Math.max(parent.L, ignored ? 0 : 1 + m.L);
    if (p.override) {
      parent.Lx = Math.max(parent.Lx, 0);
      const s = parent.coord(p.override);
      s.L = Math.max(s.L, ignored ? 0 : 1 + m.Lx);
    } else {
      parent.Lx = Math.max(parent.Lx, ignored ? 0 : 1 + m.Lx);
    }
    parent.mergeOver(m, 1);
    parent.all = Math.max(parent.all, 1 + m.all);
    parent.intro = Math.max(parent.intro, p.name === '__schema' || p.name === '__type' ? 1 + m.all : 1 + m.intro);
    if (!p.info?.meta && p.info) {
      parent.cost += Math.max(0, p.n * (p.info.valueWeight + m.cost) + p.args);
      parent.fieldCost += Math.max(0, p.info.callWeight + p.args) + p.n * m.fieldCost;
    }
  }

  if (aborted || !root) {
    problems.push({
      kind: 'workBudget',
      message: `Analysis stopped after ${maxWork} work units: the operation is too large.`,
    });
    const partial = emptyResult(operation.name?.value ?? null, problems);
    return finish(opts, {
      ...partial,
      operationType: operation.operation as OperationAnalysis['operationType'],
      height: Number.POSITIVE_INFINITY,
      work: budget.units,
      variableDependent,
    });
  }

  let directives = root.directives + (operation.directives?.length ?? 0);
  for (const vd of operation.variableDefinitions ?? []) directives += vd.directives?.length ?? 0;
  const coordinates: Record<string, { depth: number; aliases: number }> = {};
  for (const [c, s] of root.over ?? []) coordinates[c] = { depth: Math.max(0, s.L), aliases: s.aliases };
  const base = operation.operation === 'mutation' ? opts.cost.mutationBase : 0;
  const rootFields = countRootFields(root, fragments, included, budget);

  return finish(
    opts,
    {
      operationName: operation.name?.value ?? null,
      operationType: operation.operation as OperationAnalysis['operationType'],
      depth: root.L,
      height: root.height,
      aliases: root.aliases,
      rootFields,
      directives,
      introspectionDepth: Math.max(0, root.intro),
      cost: sat(base + root.cost),
      fieldCost: sat(root.fieldCost),
      coordinates,
      slicing,
      problems,
      variableDependent,
      work: budget.units,
      violations: [],
    },
    root.Lx,
  );
}

const EMPTY: readonly SelectionNode[] = [];
/** Marks a fragment whose evaluation is under way (a spread of it now is a cycle). */
const IN_PROGRESS = 0;
const spreadSets = new WeakMap<string[], Set<string>>();
/** Membership in a long spread list (a `Set` built once per list and kept in sync). */
function spreadSeen(list: string[], name: string): boolean {
  let set = spreadSets.get(list);
  if (!set) {
    set = new Set(list);
    spreadSets.set(list, set);
  }
  if (set.has(name)) return true;
  set.add(name);
  return false;
}

function sat(n: number): number {
  return Number.isNaN(n) ? Number.POSITIVE_INFINITY : n;
}

function addMeasure(acc: Acc, m: Acc): void {
  acc.L = Math.max(acc.L, m.L);
  acc.Lx = Math.max(acc.Lx, m.Lx);
  acc.all = Math.max(acc.all, m.all);
  acc.intro = Math.max(acc.intro, m.intro);
  acc.height += m.height;
  acc.aliases += m.aliases;
  acc.directives += m.directives;
  acc.cost += m.cost;
  acc.fieldCost += m.fieldCost;
  acc.mergeOver(m, 0);
}

/**
 * Distinct response keys at the root: the root set's own keys (inline fragments included) plus those
 * of the fragments spread at the root, each fragment visited once.
 */
function countRootFields(
  root: Acc,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  included: (d: readonly DirectiveNode[] | undefined) => boolean,
  budget: { units: number },
): number {
  if (root.spread1 === undefined) return root.keyCount;
  const keys = root;
  const seen = new Set<string>();
  const stack: (readonly SelectionNode[])[] = [];
  for (const name of [root.spread1, ...(root.spreads ?? [])]) {
    seen.add(name);
    const def = fragments.get(name);
    if (def) stack.push(def.selectionSet.selections);
  }
  while (stack.length > 0) {
    const sels = stack.pop() as readonly SelectionNode[];
    for (const sel of sels) {
      budget.units++;
      if (!included(sel.directives)) continue;
      if (sel.kind === Kind.FIELD) keys.addKey(sel.alias?.value ?? sel.name.value);
      else if (sel.kind === Kind.INLINE_FRAGMENT) stack.push(sel.selectionSet.selections);
      else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        const def = fragments.get(sel.name.value);
        if (def) stack.push(def.selectionSet.selections);
      }
    }
  }
  return keys.keyCount;
}

/**
 * A `@skip`/`@include` evaluator over literal and variable conditions (`onVariable` is called when a
 * variable is read). A condition whose variable is missing keeps the selection (the upper bound).
 */
export function makeIncluded(
  vars: Readonly<Record<string, unknown>>,
  onVariable: () => void,
): (directives: readonly DirectiveNode[] | undefined) => boolean {
  return (directives) => {
    if (!directives) return true;
    for (const d of directives) {
      const name = d.name.value;
      if (name !== 'skip' && name !== 'include') continue;
      const arg = d.arguments?.find((a) => a.name.value === 'if');
      if (!arg) continue;
      let v: unknown;
      if (arg.value.kind === Kind.BOOLEAN) v = arg.value.value;
      else if (arg.value.kind === Kind.VARIABLE) {
        onVariable();
        v = vars[arg.value.name.value];
      }
      if (name === 'skip' && v === true) return false;
      if (name === 'include' && v === false) return false;
    }
    return true;
  };
}

/** An AST value as a JS value, variables substituted (`markVar` is called when one is read). */
export function toJS(
  node: ValueNode,
  vars: Readonly<Record<string, unknown>>,
  budget: { units: number },
  markVar: () => void,
): unknown {
  budget.units++;
  switch (node.kind) {
    case Kind.VARIABLE:
      markVar();
      return vars[node.name.value];
    case Kind.INT:
      return Number.parseInt(node.value, 10);
    case Kind.FLOAT:
      return Number.parseFloat(node.value);
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.BOOLEAN:
      return node.value;
    case Kind.NULL:
      return null;
    case Kind.LIST: {
      const out: unknown[] = new Array(node.values.length);
      for (let i = 0; i < node.values.length; i++) out[i] = toJS(node.values[i] as ValueNode, vars, budget, markVar);
      return out;
    }
    case Kind.OBJECT: {
      const out: Record<string, unknown> = {};
      for (const f of node.fields) out[f.name.value] = toJS(f.value, vars, budget, markVar);
      return out;
    }
  }
}

function emptyResult(operationName: string | null, problems: AnalysisProblem[]): OperationAnalysis {
  return {
    operationName,
    operationType: null,
    depth: 0,
    height: 0,
    aliases: 0,
    rootFields: 0,
    directives: 0,
    introspectionDepth: 0,
    cost: 0,
    fieldCost: 0,
    coordinates: {},
    slicing: [],
    problems,
    variableDependent: false,
    work: 0,
    violations: [],
  };
}

const CODES: Record<LimitName, ErrorCode> = {
  depth: ErrorCode.MAX_DEPTH_LIMIT,
  introspectionDepth: ErrorCode.MAX_DEPTH_LIMIT,
  height: ErrorCode.MAX_HEIGHT_LIMIT,
  workBudget: ErrorCode.MAX_HEIGHT_LIMIT,
  aliases: ErrorCode.MAX_ALIASES_LIMIT,
  rootFields: ErrorCode.MAX_ROOT_FIELDS_LIMIT,
  directives: ErrorCode.MAX_DIRECTIVES_LIMIT,
  cost: ErrorCode.COST_ESTIMATED_TOO_EXPENSIVE,
  slicing: ErrorCode.COST_ESTIMATED_TOO_EXPENSIVE,
};

const LABELS: Record<LimitName, string> = {
  depth: 'depth',
  introspectionDepth: 'introspection depth',
  height: 'height (distinct fields)',
  workBudget: 'size',
  aliases: 'number of aliases',
  rootFields: 'number of root fields',
  directives: 'number of directives',
  cost: 'estimated cost',
  slicing: 'slicing argument',
};

function show(n: number): string {
  return Number.isFinite(n) ? String(n) : 'unbounded';
}

/** Adds the violations of `analysis` under `opts`: depths, aliases, root fields, directives, height, slicing, cost. */
function finish(
  opts: ResolvedLimitsOptions,
  analysis: OperationAnalysis,
  depthOutside = analysis.depth,
): OperationAnalysis {
  const violations: Violation[] = [];
  const expose = opts.exposeLimits;
  const add = (rule: LimitName, measured: number, max: number | false, coordinate?: string) => {
    if (max === false || !(measured > max)) return;
    const where = coordinate ? ` under ${coordinate}` : '';
    const message = expose
      ? `Operation ${LABELS[rule]}${where} is ${show(measured)}, over the maximum of ${max}.`
      : `Operation ${LABELS[rule]}${where} is over the maximum.`;
    violations.push({ rule, code: CODES[rule], measured, max, ...(coordinate ? { coordinate } : {}), message });
  };
  if (analysis.problems.some((p) => p.kind === 'workBudget')) {
    violations.push({
      rule: 'workBudget',
      code: CODES.workBudget,
      measured: analysis.work,
      max: opts.workBudget,
      message: expose
        ? `Operation is too large to analyze (over ${opts.workBudget} work units).`
        : 'Operation is too large to analyze.',
    });
    return { ...analysis, violations };
  }
  add('depth', depthOutside, opts.depth);
  for (const [c, stat] of Object.entries(analysis.coordinates)) {
    const o = opts.overrides[c];
    if (o?.depth !== undefined) add('depth', stat.depth, o.depth, c);
  }
  add('introspectionDepth', analysis.introspectionDepth, opts.introspectionDepth);
  add('aliases', analysis.aliases, opts.aliases);
  for (const [c, stat] of Object.entries(analysis.coordinates)) {
    const o = opts.overrides[c];
    if (o?.aliases !== undefined) add('aliases', stat.aliases, o.aliases, c);
  }
  add('rootFields', analysis.rootFields, opts.rootFields);
  add('directives', analysis.directives, opts.directives);
  add('height', analysis.height, opts.height);
  for (const s of analysis.slicing) {
    const message =
      s.problem === 'tooLarge'
        ? expose
          ? `Slicing argument ${s.coordinate} is ${s.value}, over the maximum of ${s.max}.`
          : `Slicing argument ${s.coordinate} is over the maximum.`
        : s.problem === 'missing'
          ? `Field ${s.coordinate} requires exactly one slicing argument; none was given.`
          : `Field ${s.coordinate} requires exactly one slicing argument; ${s.value} were given.`;
    violations.push({
      rule: 'slicing',
      code: CODES.slicing,
      measured: s.value,
      max: s.problem === 'tooLarge' ? (s.max as number) : 1,
      coordinate: s.coordinate,
      message,
    });
  }
  const cost = opts.cost.model === 'ibm' ? analysis.fieldCost : analysis.cost;
  add('cost', cost, opts.cost.max);
  return { ...analysis, violations };
}

/** The cost figure the options enforce (`cost` or `fieldCost`). */
export function enforcedCost(analysis: OperationAnalysis, opts: ResolvedLimitsOptions): number {
  return opts.cost.model === 'ibm' ? analysis.fieldCost : analysis.cost;
}
