/**
 * Field merging as graphql-js executes it: a field selected twice under the same response key in
 * one selection set (directly, through an inline fragment, or through a named fragment) is one field,
 * resolved once, whose sub-selections are the union of both. Before a frame is walked, its set is
 * planned: the keys selected more than once become groups (walked once, children concatenated), and
 * the small named fragments that share a key with the rest of the set are walked in place instead of
 * being added as memoized measures. Keys are qualified by the type they are selected on, so fields
 * under inline fragments on two different types stay apart (summed, as Apollo Router does).
 *
 * Linear: a fragment is summarised once, from its own top level and the summaries of the fragments
 * it spreads (at most {@link SUMMARY_LIMIT} selections and keys, else it is never walked in place),
 * and walking fragments in place is allowed up to a total of the document's own size; past it, or for
 * larger fragments, duplicates are counted twice (an upper bound, the behaviour before merging).
 */
import {
  type DirectiveNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  Kind,
  type SelectionNode,
} from 'graphql';

/** Selections of a fragment's top level (fragments flattened) beyond which it is never walked in place. */
export const SUMMARY_LIMIT = 32;

/** What to merge in one selection set. */
export interface MergePlan {
  /** Qualified keys (`Type.responseKey`) selected more than once → their field nodes, in order. */
  readonly groups: Map<string, FieldNode[]>;
  /** Groups whose merged frame has been started (later nodes of the group are skipped). */
  readonly started: Set<string>;
  /** Fragments walked in place in this set. */
  readonly inline: Set<string>;
}

/** The key under which graphql-js merges a field: its response key, on the type it is selected on. */
export function qualifiedKey(type: GraphQLNamedType | undefined, field: FieldNode): string {
  return `${type?.name ?? '?'}.${field.alias?.value ?? field.name.value}`;
}

type Included = (directives: readonly DirectiveNode[] | undefined) => boolean;

/**
 * What a scan of a set's top level does: count its keys, collect its groups and in-place fragments,
 * or list a fragment's own keys and spreads (see `#scan`).
 */
const ScanMode = { count: 'count', collect: 'collect', own: 'own' } as const;
type ScanMode = (typeof ScanMode)[keyof typeof ScanMode];
/** Marks a summary under way (a spread of that fragment now is a cycle). */
const PENDING: readonly string[] = [];

/** Plans the merges of the selection sets of one operation analysis. */
export class MergePlanner {
  /** Keys of each fragment's top level, fragments flattened; `null` when too large or cyclic. */
  readonly #summaries = new Map<string, readonly string[] | null>();
  /** Own keys and spread fragment names of each fragment's top level (not entering spreads). */
  readonly #own = new Map<string, { keys: string[]; spreads: string[] } | null>();
  readonly #counts = new Map<string, number>();
  /**
   * Scratch state of the scans, reused to keep allocation off the hot path (a fragment's `own` scan
   * may run inside the others: it works above their part of the stack).
   */
  readonly #stack: unknown[] = [];
  readonly #spreads = new Set<string>();
  #plan: MergePlan | undefined = undefined;
  #ownKeys: string[] = [];
  #ownSpreads: string[] = [];
  #visited = 0;
  #ok = true;
  #repeated = false;
  #allowance: number;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly included: Included,
    documentSize: number,
  ) {
    this.#allowance = documentSize;
  }

  /** The plan of a set, or `undefined` when no key is selected twice. */
  plan(sels: readonly SelectionNode[], type: GraphQLNamedType | undefined): MergePlan | undefined {
    if (!mayRepeat(sels)) return undefined;
    this.#counts.clear();
    this.#repeated = false;
    this.#scan(sels, type, ScanMode.count);
    if (!this.#repeated) return undefined;
    const plan: MergePlan = { groups: new Map(), started: new Set(), inline: new Set() };
    // Second scan, in the order of the analysis: collect the groups, decide which fragments go in place.
    this.#plan = plan;
    this.#scan(sels, type, ScanMode.collect);
    this.#plan = undefined;
    return plan;
  }

  /**
   * Walks a set's top level in document order (inline fragments entered in place). `count` counts the
   * keys (fragments by their summaries); `collect` gathers the groups and enters the fragments to walk
   * in place; `own` lists a fragment's own keys and the fragments it spreads (not entered).
   */
  #scan(sels: readonly SelectionNode[], type: GraphQLNamedType | undefined, mode: ScanMode): void {
    const stack = this.#stack;
    const base = stack.length;
    if (mode !== ScanMode.own) this.#spreads.clear();
    let i = 0;
    let nested = false;
    for (;;) {
      if (i >= sels.length) {
        if (stack.length === base) break;
        nested = stack.pop() as boolean;
        type = stack.pop() as GraphQLNamedType | undefined;
        i = stack.pop() as number;
        sels = stack.pop() as readonly SelectionNode[];
        continue;
      }
      const sel = sels[i++] as SelectionNode;
      if (!this.included(sel.directives)) continue;
      if (sel.kind === Kind.FIELD) {
        this.#onField(qualifiedKey(type, sel), sel, mode);
        if (mode === ScanMode.own && !this.#ok) break;
        continue;
      }
      let inner: readonly SelectionNode[];
      let innerType: GraphQLNamedType | undefined;
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        inner = sel.selectionSet.selections;
        innerType = sel.typeCondition ? (this.schema.getType(sel.typeCondition.name.value) ?? undefined) : type;
      } else {
        const name = sel.name.value;
        const def = this.fragments.get(name);
        if (!def || !this.#onSpread(name, def, nested, mode)) {
          if (mode === ScanMode.own && !this.#ok) break;
          continue;
        }
        inner = def.selectionSet.selections;
        innerType = this.schema.getType(def.typeCondition.name.value) ?? undefined;
      }
      stack.push(sels, i, type, nested);
      nested = nested || sel.kind === Kind.FRAGMENT_SPREAD;
      sels = inner;
      type = innerType;
      i = 0;
    }
    stack.length = base;
  }

  #onField(key: string, field: FieldNode, mode: ScanMode): void {
    if (mode === ScanMode.count) {
      const c = (this.#counts.get(key) ?? 0) + 1;
      this.#counts.set(key, c);
      if (c > 1) this.#repeated = true;
    } else if (mode === ScanMode.collect) {
      if ((this.#counts.get(key) ?? 0) < 2) return;
      const groups = (this.#plan as MergePlan).groups;
      const group = groups.get(key);
      if (group) group.push(field);
      else groups.set(key, [field]);
    } else if (++this.#visited > SUMMARY_LIMIT) this.#ok = false;
    else this.#ownKeys.push(key);
  }

  /** Whether a spread fragment is entered by the scan. */
  #onSpread(name: string, def: FragmentDefinitionNode, nested: boolean, mode: ScanMode): boolean {
    if (mode === ScanMode.own) {
      if (++this.#visited > SUMMARY_LIMIT) this.#ok = false;
      else this.#ownSpreads.push(name);
      return false;
    }
    const spreads = this.#spreads;
    if (spreads.has(name)) return false;
    spreads.add(name);
    if (mode === ScanMode.count) {
      for (const key of this.#summary(name) ?? []) this.#onField(key, undefined as never, ScanMode.count);
      return false;
    }
    const keys = this.#summary(name);
    if (!keys) return false;
    if (!nested && !keys.some((k) => (this.#counts.get(k) ?? 0) > 1)) return false;
    const size = def.loc ? def.loc.end - def.loc.start : 1000;
    if (size > this.#allowance) return false;
    this.#allowance -= size;
    (this.#plan as MergePlan).inline.add(name);
    return true;
  }

  /**
   * The qualified keys of a fragment's top level, fragments flattened (memoized): its own keys and
   * the summaries of the fragments it spreads, computed bottom-up with an explicit stack; `null` when
   * over {@link SUMMARY_LIMIT}, when a spread fragment's is `null`, or on a cycle (the memoized path
   * of the walk reports cycles).
   */
  #summary(name: string): readonly string[] | null {
    const summaries = this.#summaries;
    const known = summaries.get(name);
    if (known !== undefined) return known === PENDING ? null : known;
    const stack = [name];
    summaries.set(name, PENDING);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as string;
      const own = this.#ownOf(top);
      // Depth first, one spread fragment at a time: a PENDING one is on the path, so a cycle.
      let next: string | undefined;
      let cyclic = false;
      for (const g of own?.spreads ?? []) {
        const sg = summaries.get(g);
        if (sg === PENDING) cyclic = true;
        else if (sg === undefined) next = g;
        if (cyclic || next) break;
      }
      if (next && !cyclic) {
        summaries.set(next, PENDING);
        stack.push(next);
        continue;
      }
      stack.pop();
      summaries.set(top, own === null || cyclic ? null : this.#combine(own));
    }
    return summaries.get(name) ?? null;
  }

  /** Own keys plus the (finished) summaries of the spread fragments, or `null` past the limit. */
  #combine(own: { keys: string[]; spreads: string[] }): readonly string[] | null {
    const keys = new Set(own.keys);
    for (const g of own.spreads) {
      const sg = this.#summaries.get(g);
      if (!sg || sg === PENDING) return null;
      for (const k of sg) keys.add(k);
      if (keys.size > SUMMARY_LIMIT) return null;
    }
    return [...keys];
  }

  /** A fragment's own keys and spreads (memoized); `null` when unknown or over the limit. */
  #ownOf(name: string): { keys: string[]; spreads: string[] } | null {
    const known = this.#own.get(name);
    if (known !== undefined) return known;
    const def = this.fragments.get(name);
    let own: { keys: string[]; spreads: string[] } | null = null;
    if (def) {
      this.#ownKeys = [];
      this.#ownSpreads = [];
      this.#visited = 0;
      this.#ok = true;
      const type = this.schema.getType(def.typeCondition.name.value) ?? undefined;
      this.#scan(def.selectionSet.selections, type, ScanMode.own);
      if (this.#ok) own = { keys: this.#ownKeys, spreads: this.#ownSpreads };
    }
    this.#own.set(name, own);
    return own;
  }
}

/**
 * False when the set cannot select a key twice: a single field or spread, or only fields with
 * distinct response keys (checked without allocation for small sets).
 */
function mayRepeat(sels: readonly SelectionNode[]): boolean {
  const n = sels.length;
  // One field, or one fragment spread (whose own duplicates merge in its own frame).
  if (n === 1) return sels[0]?.kind === Kind.INLINE_FRAGMENT;
  if (n > 16) return true;
  for (let i = 0; i < n; i++) {
    const a = sels[i] as SelectionNode;
    if (a.kind !== Kind.FIELD) return true;
    const key = a.alias?.value ?? a.name.value;
    for (let j = 0; j < i; j++) {
      const b = sels[j] as FieldNode;
      if ((b.alias?.value ?? b.name.value) === key) return true;
    }
  }
  return false;
}
