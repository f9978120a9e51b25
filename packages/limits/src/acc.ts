/**
 * The frame of the analysis' explicit stack: one selection set being evaluated and, once done, its
 * measures relative to the set (memoized for named fragments).
 */
import type { GraphQLNamedType, SelectionNode } from 'graphql';
import type { MergePlan } from './merge.js';
import type { FieldInfo } from './schema-info.js';

/** Depth below and aliased selections of one overridden coordinate. */
export interface CoordStat {
  L: number;
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
export const ROOT = 0;
export const FIELD = 1;
export const SPREAD = 2;

/**
 * One selection set being evaluated (a frame of the explicit stack) and, once done, its measures,
 * relative to the set (memoized for named fragments). Inline fragments are flattened into the
 * same frame. One object per selection set keeps allocation (and GC) low on large documents.
 */
export class Acc {
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
  /** Cost per unit of the frame's sized-context size (fields named in `sizedFields`). */
  costPer = 0;
  fieldCostPer = 0;
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
  /** This field is one of the sized fields of the parent's context: counted per unit (`n` is 1). */
  sized = false;
  /** The merge plan of the set (undefined: nothing to merge), made when the frame starts. */
  plan: MergePlan | undefined = undefined;
  planned = false;

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

  /** The stat of an overridden coordinate (created on first use). */
  coord(c: string): CoordStat {
    this.over ??= new Map();
    let s = this.over.get(c);
    if (!s) {
      s = { L: Number.NEGATIVE_INFINITY, aliases: 0 };
      this.over.set(c, s);
    }
    return s;
  }

  /** Merges the coordinate stats of `m`, deeper by `offset`. */
  mergeOver(m: Acc, offset: number): void {
    if (!m.over) return;
    for (const [c, v] of m.over) {
      const s = this.coord(c);
      s.L = Math.max(s.L, v.L + offset);
      s.aliases += v.aliases;
    }
  }
}

/** Adds the measures of a finished fragment frame `m` to `acc` (fragments add no depth). */
export function addMeasure(acc: Acc, m: Acc): void {
  acc.L = Math.max(acc.L, m.L);
  acc.Lx = Math.max(acc.Lx, m.Lx);
  acc.all = Math.max(acc.all, m.all);
  acc.intro = Math.max(acc.intro, m.intro);
  acc.height += m.height;
  acc.aliases += m.aliases;
  acc.directives += m.directives;
  acc.cost += m.cost;
  acc.fieldCost += m.fieldCost;
  acc.costPer += m.costPer;
  acc.fieldCostPer += m.fieldCostPer;
  acc.mergeOver(m, 0);
}
