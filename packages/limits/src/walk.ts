/**
 * The single traversal of an operation: an explicit stack of frames (no recursion over the
 * document), inline fragments flattened into their set, named fragments evaluated once (memoized by
 * name and by the set of sized fields of the connection they are spread in) into measures relative to
 * where they are spread, fields selected twice merged as graphql-js merges them (see merge.ts).
 * Unknown and cyclic fragments are reported, never followed. Every selection and argument value
 * visited is charged to the work budget; the walk stops when it is spent.
 */
import { type Dictionary, isIncluded } from '@rampart/core';
import {
  type DirectiveNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isListType,
  Kind,
  type SelectionNode,
  type VariableDefinitionNode,
} from 'graphql';
import type { AnalysisProblem, SlicingFinding } from './analyze.js';
import { addFragmentMeasures, Frame, FrameKind, type SizedContext } from './frame.js';
import { MergePlanner, qualifiedKey } from './merge.js';
import type { ResolvedLimitsOptions } from './options.js';
import type { FieldCostInfo, ListSizeInfo, SchemaInfo } from './schema-info.js';
import { argumentValue, sizeOf, toJS, type WorkBudget } from './values.js';

const EMPTY: readonly SelectionNode[] = [];
/** Marks a fragment whose evaluation is under way (a spread of it now is a cycle). */
const IN_PROGRESS = 0;

/** One traversal of one operation. */
export class Walker {
  readonly problems: AnalysisProblem[] = [];
  readonly slicing: SlicingFinding[] = [];
  /** Slicing arguments (`Type.field(arg:)`) given one of the open variables (see `AnalyzeLimitsOptions.openVariables`). */
  readonly unbounded: string[] = [];
  /** True once a variable value changed what was measured. */
  variableDependent = false;
  /** Whether `@skip`/`@include` keep a selection (core's semantics; reading a variable marks the analysis variable-dependent). */
  readonly included: (directives: readonly DirectiveNode[] | undefined) => boolean;
  readonly #memo = new Map<string, Frame | typeof IN_PROGRESS>();
  readonly #reported = new Set<string>();
  readonly #planner: MergePlanner;
  readonly #sliceNames: ReadonlySet<string>;
  readonly #hasOverrides: boolean;
  readonly #markVar = (): void => {
    this.variableDependent = true;
  };
  // Results of #size besides the size itself (no allocation per field).
  #childCtx: SizedContext | undefined = undefined;
  #sized = false;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly schemaInfo: SchemaInfo,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly opts: ResolvedLimitsOptions,
    private readonly values: Readonly<Dictionary<unknown>>,
    variableDefinitions: ReadonlyMap<string, VariableDefinitionNode>,
    private readonly budget: WorkBudget,
    documentSize: number,
    private readonly openVariables?: ReadonlySet<string>,
  ) {
    this.included = (directives) => isIncluded(directives, values, variableDefinitions, this.#markVar);
    this.#planner = new MergePlanner(schema, fragments, this.included, documentSize);
    this.#sliceNames = new Set(opts.cost.slicingArgumentNames);
    this.#hasOverrides = Object.keys(opts.overrides).length > 0;
  }

  /** Walks the root set; its measures, or `undefined` when the work budget ran out. */
  run(selections: readonly SelectionNode[], rootType: GraphQLNamedType | undefined): Frame | undefined {
    const budget = this.budget;
    const stack: Frame[] = [new Frame(selections, rootType, undefined, FrameKind.root, '', undefined, 1, 0, undefined)];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as Frame;
      if (!frame.planned) {
        frame.planned = true;
        frame.plan = this.#planner.plan(frame.selections, frame.type);
      }
      if (frame.next >= frame.selections.length) {
        const enclosing = frame.enclosing;
        if (enclosing && enclosing.length > 0) {
          frame.type = enclosing.pop() as GraphQLNamedType | undefined;
          frame.next = enclosing.pop() as number;
          frame.selections = enclosing.pop() as readonly SelectionNode[];
          continue;
        }
        stack.pop();
        const parent = stack[stack.length - 1];
        if (!parent) return frame;
        this.#complete(parent, frame);
        continue;
      }
      const sel = frame.selections[frame.next++] as SelectionNode;
      if (++budget.units > budget.max) return undefined;
      if (!this.included(sel.directives)) continue;
      frame.directives += sel.directives?.length ?? 0;
      let child: Frame | undefined;
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        const type = sel.typeCondition ? this.#type(sel.typeCondition.name.value) : frame.type;
        enter(frame, sel.selectionSet.selections, type);
      } else if (sel.kind === Kind.FRAGMENT_SPREAD) {
        child = this.#spread(frame, sel);
      } else {
        child = this.#field(frame, sel);
        if (budget.units > budget.max) return undefined;
      }
      if (child) stack.push(child);
    }
    return undefined;
  }

  #type(name: string): GraphQLNamedType | undefined {
    return this.schema.getType(name) ?? undefined;
  }

  #report(kind: AnalysisProblem['kind'], key: string, name: string, message: string): void {
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.problems.push({ kind, message, name });
  }

  /** A named fragment spread: merged once per set, walked in place, or its memoized measures added. */
  #spread(frame: Frame, sel: FragmentSpreadNode): Frame | undefined {
    const name = sel.name.value;
    // The same fragment twice in one selection set merges into one.
    if (frame.firstSpread === undefined) frame.firstSpread = name;
    else if (frame.firstSpread === name) return undefined;
    else {
      frame.otherSpreads ??= [];
      const others = frame.otherSpreads;
      if (others.length < 64 ? others.includes(name) : spreadSeen(others, name)) return undefined;
      others.push(name);
    }
    const def = this.fragments.get(name);
    if (!def) {
      this.#report('unknownFragment', `fragment:${name}`, name, `Unknown fragment "${name}".`);
      return undefined;
    }
    if (frame.plan?.inline.has(name)) {
      enter(frame, def.selectionSet.selections, this.#type(def.typeCondition.name.value));
      return undefined;
    }
    const key = frame.sizedContext ? `${name}|${frame.sizedContext.key}` : name;
    const done = this.#memo.get(key);
    if (done !== undefined && done !== IN_PROGRESS) {
      addFragmentMeasures(frame, done);
      return undefined;
    }
    if (done === IN_PROGRESS) {
      this.#report('cyclicFragment', `cycle:${name}`, name, `Fragment "${name}" spreads itself.`);
      frame.depth = Number.POSITIVE_INFINITY;
      frame.depthOutsideOverrides = Number.POSITIVE_INFINITY;
      frame.depthWithMeta = Number.POSITIVE_INFINITY;
      return undefined;
    }
    this.#memo.set(key, IN_PROGRESS);
    const type = this.#type(def.typeCondition.name.value);
    return new Frame(
      def.selectionSet.selections,
      type,
      frame.sizedContext,
      FrameKind.fragment,
      key,
      undefined,
      1,
      0,
      undefined,
    );
  }

  /** A field: counted, and its selection set returned as a new frame (merged with its duplicates). */
  #field(frame: Frame, node: FieldNode): Frame | undefined {
    const name = node.name.value;
    const info = this.schemaInfo.field(frame.type, name);
    if (!info.def) {
      this.#report('unknownField', info.coordinate, info.coordinate, `Unknown field "${info.coordinate}".`);
    }
    const override = this.#hasOverrides && this.opts.overrides[info.coordinate] ? info.coordinate : undefined;
    if (node.alias) {
      frame.aliases++;
      if (override) frame.coordinate(override).aliases++;
    }
    if (frame.addKey(node.alias?.value ?? name)) frame.height++;
    let group: readonly FieldNode[] | undefined;
    const plan = frame.plan;
    if (plan) {
      const key = qualifiedKey(frame.type, node);
      const nodes = plan.groups.get(key);
      if (nodes) {
        // graphql-js resolves the merged field once: the later nodes only add their sub-selections.
        if (plan.started.has(key)) return undefined;
        plan.started.add(key);
        if (nodes.length > 1) group = nodes;
      }
    }
    let args = 0;
    if (node.arguments && node.arguments.length > 0 && info.def) {
      for (const a of node.arguments) {
        const value = toJS(a.value, this.values, this.budget, this.#markVar);
        const weight = this.schemaInfo.argumentWeight(info, a.name.value);
        args += this.schemaInfo.valueCost(weight, this.schemaInfo.argumentType(info, a.name.value), value, this.budget);
      }
    }
    const n = this.#size(frame, node, info);
    const childCtx = this.#childCtx;
    const sized = this.#sized;
    if (node.selectionSet) {
      const sels = group ? group.flatMap((f) => f.selectionSet?.selections ?? EMPTY) : node.selectionSet.selections;
      const child = new Frame(sels, info.type, childCtx, FrameKind.field, name, info, n, args, override);
      child.isSizedField = sized;
      return child;
    }
    frame.depth = Math.max(frame.depth, 0);
    frame.depthOutsideOverrides = Math.max(frame.depthOutsideOverrides, 0);
    frame.depthWithMeta = Math.max(frame.depthWithMeta, 0);
    if (override) {
      const stat = frame.coordinate(override);
      stat.depth = Math.max(stat.depth, 0);
    }
    if (sized) {
      frame.costPer += info.valueWeight;
      frame.cost += args;
    } else {
      frame.cost += Math.max(0, n * info.valueWeight + args);
    }
    frame.fieldCost += Math.max(0, info.callWeight + args);
    return undefined;
  }

  /**
   * The list size of a field (1 for a non-list). Sets `#sized` (a sized field of the parent's
   * connection: counted per unit) and `#childCtx` (the context a `sizedFields` connection gives).
   */
  #size(frame: Frame, node: FieldNode, info: FieldCostInfo): number {
    this.#childCtx = undefined;
    this.#sized = false;
    if (frame.sizedContext?.fields.has(node.name.value) && info.isList) {
      this.#sized = true;
      return 1;
    }
    if (info.listSize) return this.#listSize(node, info, info.listSize);
    if (!info.isList) return 1;
    return this.#namedSlicing(node, info) ?? this.opts.cost.defaultListSize;
  }

  /** The size `@listSize` gives: its slicing arguments, else `assumedSize`, else the default. */
  #listSize(node: FieldNode, info: FieldCostInfo, ls: ListSizeInfo): number {
    const sliceMax = this.opts.slicing.max;
    const { defaultListSize } = this.opts.cost;
    let size: number | undefined;
    let given = 0;
    for (const path of ls.slicingArguments) {
      this.#noteOpen(node, path, info);
      const s = sizeOf(argumentValue(node, path, this.schemaInfo, info, this.values, this.budget, this.#markVar));
      if (s === undefined) continue;
      given++;
      size = size === undefined ? s : Math.max(size, s);
      if (sliceMax !== false && s > sliceMax) {
        const coordinate = `${info.coordinate}(${path[0]}:)`;
        this.slicing.push({ coordinate, problem: 'tooLarge', value: s, max: sliceMax });
      }
    }
    if (ls.slicingArguments.length > 0 && ls.requireOne && this.opts.slicing.requireOne && given !== 1) {
      this.slicing.push({ coordinate: info.coordinate, problem: given === 0 ? 'missing' : 'multiple', value: given });
    }
    const effective = size ?? ls.assumedSize ?? defaultListSize;
    if (ls.sizedFields.size > 0) {
      this.#childCtx = { fields: ls.sizedFields, size: effective, key: [...ls.sizedFields].join(',') };
      return info.isList ? defaultListSize : 1;
    }
    return info.isList ? effective : 1;
  }

  /**
   * On a list field without `@listSize`: the largest value of its integer arguments named in
   * `cost.slicingArgumentNames` (literal, variable or schema default); `undefined` when none has one.
   */
  #namedSlicing(node: FieldNode, info: FieldCostInfo): number | undefined {
    if (this.#sliceNames.size === 0 || !info.def || info.def.args.length === 0) return undefined;
    const sliceMax = this.opts.slicing.max;
    let size: number | undefined;
    for (const arg of info.def.args) {
      if (!this.#sliceNames.has(arg.name) || isListType(getNullableType(arg.type))) continue;
      if (getNamedType(arg.type).name !== 'Int') continue;
      this.#noteOpen(node, [arg.name], info);
      const s = sizeOf(argumentValue(node, [arg.name], this.schemaInfo, info, this.values, this.budget, this.#markVar));
      if (s === undefined) continue;
      size = size === undefined ? s : Math.max(size, s);
      if (sliceMax !== false && s > sliceMax) {
        const coordinate = `${info.coordinate}(${arg.name}:)`;
        this.slicing.push({ coordinate, problem: 'tooLarge', value: s, max: sliceMax });
      }
    }
    return size;
  }

  /** Records a slicing argument whose value is an open variable (the client picks any size). */
  #noteOpen(node: FieldNode, path: readonly string[], info: FieldCostInfo): void {
    if (!this.openVariables) return;
    const name = variableAt(node, path);
    if (name === undefined || !this.openVariables.has(name)) return;
    const coordinate = `${info.coordinate}(${path.join('.')}:)`;
    if (!this.unbounded.includes(coordinate)) this.unbounded.push(coordinate);
  }

  /** Adds the measures of a finished frame `done` to its parent. */
  #complete(parent: Frame, done: Frame): void {
    // Keep only the measures of a finished set (memoized fragments stay alive until the end).
    done.selections = EMPTY;
    done.enclosing = undefined;
    done.keyList = undefined;
    done.keySet = undefined;
    done.otherSpreads = undefined;
    done.plan = undefined;
    if (done.kind === FrameKind.fragment) {
      this.#memo.set(done.name, done);
      addFragmentMeasures(parent, done);
      return;
    }
    parent.height += done.height;
    parent.aliases += done.aliases;
    parent.directives += done.directives;
    const ignored = done.name.startsWith('__');
    parent.depth = Math.max(parent.depth, ignored ? 0 : 1 + done.depth);
    if (done.overriddenCoordinate) {
      parent.depthOutsideOverrides = Math.max(parent.depthOutsideOverrides, 0);
      const stat = parent.coordinate(done.overriddenCoordinate);
      stat.depth = Math.max(stat.depth, ignored ? 0 : 1 + done.depthOutsideOverrides);
    } else {
      parent.depthOutsideOverrides = Math.max(
        parent.depthOutsideOverrides,
        ignored ? 0 : 1 + done.depthOutsideOverrides,
      );
    }
    parent.mergeCoordinates(done, 1);
    parent.depthWithMeta = Math.max(parent.depthWithMeta, 1 + done.depthWithMeta);
    const opensIntrospection = done.name === '__schema' || done.name === '__type';
    parent.introspectionDepth = Math.max(
      parent.introspectionDepth,
      opensIntrospection ? 1 + done.depthWithMeta : 1 + done.introspectionDepth,
    );
    const info = done.info;
    if (!info || info.meta) return;
    // The sizes of the sized fields below `done` are known here: its per-unit cost times its context's size.
    const size = done.sizedContext ? done.sizedContext.size : 0;
    const childCost = done.cost + (done.costPer === 0 ? 0 : size * done.costPer);
    const childFieldCost = done.fieldCost + (done.fieldCostPer === 0 ? 0 : size * done.fieldCostPer);
    if (done.isSizedField) {
      parent.costPer += info.valueWeight + childCost;
      parent.cost += done.argumentCost;
      parent.fieldCost += Math.max(0, info.callWeight + done.argumentCost);
      parent.fieldCostPer += childFieldCost;
    } else {
      parent.cost += Math.max(0, done.listSize * (info.valueWeight + childCost) + done.argumentCost);
      parent.fieldCost += Math.max(0, info.callWeight + done.argumentCost) + done.listSize * childFieldCost;
    }
  }
}

/** The variable written at argument `path` of `node` (`['input', 'first']` through object literals), if any. */
function variableAt(node: FieldNode, path: readonly string[]): string | undefined {
  let value = node.arguments?.find((a) => a.name.value === path[0])?.value;
  for (let p = 1; p < path.length && value; p++) {
    value = value.kind === Kind.OBJECT ? value.fields.find((f) => f.name.value === path[p])?.value : undefined;
  }
  return value?.kind === Kind.VARIABLE ? value.name.value : undefined;
}

/** Walks `selections` in place in `frame` (inline fragments, fragments merged into the set). */
function enter(frame: Frame, selections: readonly SelectionNode[], type: GraphQLNamedType | undefined): void {
  frame.enclosing ??= [];
  frame.enclosing.push(frame.selections, frame.next, frame.type);
  frame.selections = selections;
  frame.next = 0;
  frame.type = type;
}
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
