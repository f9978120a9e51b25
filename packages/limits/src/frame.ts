/**
 * The frame of the analysis' explicit stack: one selection set being evaluated and, once done, its
 * measures relative to the set (memoized for named fragments).
 */
import type { GraphQLNamedType, SelectionNode } from 'graphql';
import type { MergePlan } from './merge.js';
import type { FieldCostInfo } from './schema-info.js';

/** Depth below and aliased selections of one overridden coordinate. */
export interface CoordinateStat {
  depth: number;
  aliases: number;
}

/** Keys per selection set deduplicated before every further selection counts. */
export const KEY_DEDUPE_LIMIT = 256;

/**
 * The list size `@listSize(sizedFields: …)` gives to some child fields of a connection. Frames
 * count those fields per unit of `size` (`costPer`), so a fragment's measures do not depend on the
 * size and are memoized once per set of sized fields (`key`), not once per size.
 */
export interface SizedContext {
  readonly fields: ReadonlySet<string>;
  readonly size: number;
  readonly key: string;
}

/** Kinds of frame: the operation's root set, a field's selection set, a named fragment's. */
export const FrameKind = { root: 'root', field: 'field', fragment: 'fragment' } as const;
/** One of {@link FrameKind}. */
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/**
 * One selection set being evaluated (a frame of the explicit stack) and, once done, its measures,
 * relative to the set (memoized for named fragments). Inline fragments are flattened into the
 * same frame. One object per selection set keeps allocation (and GC) low on large documents.
 */
export class Frame {
  /** graphql-depth-limit depth of the set. */
  depth = 0;
  /** Same, but the subtrees of overridden fields count as leaves (their depth is checked per coordinate). */
  depthOutsideOverrides = 0;
  /** Depth counting `__` fields too. */
  depthWithMeta = 0;
  /** Depth of introspection subtrees. */
  introspectionDepth = Number.NEGATIVE_INFINITY;
  height = 0;
  aliases = 0;
  directives = 0;
  cost = 0;
  fieldCost = 0;
  /** Cost per unit of the frame's sized-context size (fields named in `sizedFields`). */
  costPer = 0;
  fieldCostPer = 0;
  /**
   * Distinct response keys: small sets scan an array, larger ones use a `Set`; past
   * {@link KEY_DEDUPE_LIMIT} keys every further selection counts as new (an upper bound that keeps
   * hashing costs off hostile documents).
   */
  keyCount = 0;
  firstKey: string | undefined = undefined;
  keyList: string[] | undefined = undefined;
  keySet: Set<string> | undefined = undefined;
  /** The first fragment spread in the set, and the others (each fragment merges once per set). */
  firstSpread: string | undefined = undefined;
  otherSpreads: string[] | undefined = undefined;
  /** Stats of the overridden coordinates met in the set. */
  coordinates: Map<string, CoordinateStat> | undefined = undefined;
  /** The selections being walked and the index of the next one. */
  selections: readonly SelectionNode[];
  next = 0;
  /** The type the selections are on. */
  type: GraphQLNamedType | undefined;
  /** While in an inline fragment: the enclosing (selections, next, type) triples to resume. */
  enclosing: unknown[] | undefined = undefined;
  readonly sizedContext: SizedContext | undefined;
  // What to do with the measures when the set is done.
  readonly kind: FrameKind;
  /** The field name (field frames) or the memo key (fragment frames). */
  readonly name: string;
  readonly info: FieldCostInfo | undefined;
  /** The field's list size (how many times the set's measures count). */
  readonly listSize: number;
  /** The cost of the field's arguments. */
  readonly argumentCost: number;
  /** The coordinate of the field when it has overrides. */
  readonly overriddenCoordinate: string | undefined;
  /** This field is one of the sized fields of the parent's context: counted per unit (`listSize` is 1). */
  isSizedField = false;
  /** The merge plan of the set (undefined: nothing to merge), made when the frame starts. */
  plan: MergePlan | undefined = undefined;
  planned = false;

  constructor(
    selections: readonly SelectionNode[],
    type: GraphQLNamedType | undefined,
    sizedContext: SizedContext | undefined,
    kind: FrameKind,
    name: string,
    info: FieldCostInfo | undefined,
    listSize: number,
    argumentCost: number,
    overriddenCoordinate: string | undefined,
  ) {
    this.selections = selections;
    this.type = type;
    this.sizedContext = sizedContext;
    this.kind = kind;
    this.name = name;
    this.info = info;
    this.listSize = listSize;
    this.argumentCost = argumentCost;
    this.overriddenCoordinate = overriddenCoordinate;
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
      this.firstKey = key;
    } else {
      if (!this.keyList) {
        if (key === this.firstKey) return false;
        this.keyList = [this.firstKey as string, key];
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

  /** The stat of an overridden coordinate (created on first use). */
  coordinate(coordinate: string): CoordinateStat {
    this.coordinates ??= new Map();
    let stat = this.coordinates.get(coordinate);
    if (!stat) {
      stat = { depth: Number.NEGATIVE_INFINITY, aliases: 0 };
      this.coordinates.set(coordinate, stat);
    }
    return stat;
  }

  /** Merges the coordinate stats of `done`, deeper by `offset`. */
  mergeCoordinates(done: Frame, offset: number): void {
    if (!done.coordinates) return;
    for (const [coordinate, theirs] of done.coordinates) {
      const stat = this.coordinate(coordinate);
      stat.depth = Math.max(stat.depth, theirs.depth + offset);
      stat.aliases += theirs.aliases;
    }
  }
}

/** Adds the measures of a finished fragment frame `fragment` to `frame` (fragments add no depth). */
export function addFragmentMeasures(frame: Frame, fragment: Frame): void {
  frame.depth = Math.max(frame.depth, fragment.depth);
  frame.depthOutsideOverrides = Math.max(frame.depthOutsideOverrides, fragment.depthOutsideOverrides);
  frame.depthWithMeta = Math.max(frame.depthWithMeta, fragment.depthWithMeta);
  frame.introspectionDepth = Math.max(frame.introspectionDepth, fragment.introspectionDepth);
  frame.height += fragment.height;
  frame.aliases += fragment.aliases;
  frame.directives += fragment.directives;
  frame.cost += fragment.cost;
  frame.fieldCost += fragment.fieldCost;
  frame.costPer += fragment.costPer;
  frame.fieldCostPer += fragment.fieldCostPer;
  frame.mergeCoordinates(fragment, 0);
}
