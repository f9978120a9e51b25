/**
 * Field merging as graphql-js executes it: a field selected twice under the same response key in
 * one selection set (directly, through an inline fragment, or through a named fragment) is one field,
 * resolved once, whose sub-selections are the union of both. Before a frame is walked, its set is
 * planned: the keys selected more than once become groups (walked once, children concatenated), and
 * the small named fragments that share a key with the rest of the set are walked in place instead of
 * being added as memoized measures. Keys are qualified by the type they are selected on, so fields
 * under inline fragments on two different types stay apart (summed, as Apollo Router does).
 *
 * Linear: a fragment is summarised once (at most {@link SUMMARY_LIMIT} selections of its top level),
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

const COUNT = 0;
const COLLECT = 1;
const SUMMARY = 2;

/** Plans the merges of the selection sets of one operation analysis. */
export class MergePlanner {
  /** Keys of each fragment's top level; `null` when too large, or when it spreads a fragment twice. */
  readonly #summaries = new Map<string, readonly string[] | null>();
  readonly #counts = new Map<string, number>();
  /** Scratch state of one scan (scans never nest), reused to keep allocation off the hot path. */
  readonly #stack: unknown[] = [];
  readonly #spreads = new Set<string>();
  /** The fragments entered by the summary scan under way (summaries run inside the other scans). */
  readonly #summarySpreads = new Set<string>();
  #plan: MergePlan | undefined = undefined;
  #keys: string[] = [];
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
    this.#scan(sels, type, COUNT);
    if (!this.#repeated) return undefined;
    const plan: MergePlan = { groups: new Map(), started: new Set(), inline: new Set() };
    // Second scan, in the order of the analysis: collect the groups, decide which fragments go in place.
    this.#plan = plan;
    this.#scan(sels, type, COLLECT);
    this.#plan = undefined;
    return plan;
  }

  /**
   * Walks a set's top level in document order (inline fragments entered in place). COUNT counts the
   * keys (fragments by their summaries); COLLECT gathers the groups and enters the fragments to walk
   * in place; SUMMARY lists a fragment's keys, entering the fragments it spreads.
   */
  #scan(sels: readonly SelectionNode[], type: GraphQLNamedType | undefined, mode: number): void {
    const stack = this.#stack;
    const base = stack.length;
    if (mode !== SUMMARY) this.#spreads.clear();
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
        if (mode === SUMMARY && !this.#ok) break;
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
          if (mode === SUMMARY && !this.#ok) break;
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

  #onField(key: string, field: FieldNode, mode: number): void {
    if (mode === COUNT) {
      const c = (this.#counts.get(key) ?? 0) + 1;
      this.#counts.set(key, c);
      if (c > 1) this.#repeated = true;
    } else if (mode === COLLECT) {
      if ((this.#counts.get(key) ?? 0) < 2) return;
      const groups = (this.#plan as MergePlan).groups;
      const group = groups.get(key);
      if (group) group.push(field);
      else groups.set(key, [field]);
    } else if (++this.#visited > SUMMARY_LIMIT) this.#ok = false;
    else this.#keys.push(key);
  }

  /** Whether a spread fragment is entered by the scan. */
  #onSpread(name: string, def: FragmentDefinitionNode, nested: boolean, mode: number): boolean {
    if (mode === SUMMARY) {
      const spreads = this.#summarySpreads;
      // A fragment spread twice, or a cycle: not walked in place (the memoized path reports cycles).
      if (spreads.has(name) || ++this.#visited > SUMMARY_LIMIT) {
        this.#ok = false;
        return false;
      }
      spreads.add(name);
      return true;
    }
    const spreads = this.#spreads;
    if (spreads.has(name)) return false;
    spreads.add(name);
    if (mode === COUNT) {
      for (const key of this.#summary(name) ?? []) this.#onField(key, undefined as never, COUNT);
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

  /** The qualified keys of a fragment's top level, fragments flattened (memoized). */
  #summary(name: string): readonly string[] | null {
    const known = this.#summaries.get(name);
    if (known !== undefined) return known;
    this.#summaries.set(name, null);
    const def = this.fragments.get(name);
    if (!def) return null;
    this.#summarySpreads.clear();
    this.#summarySpreads.add(name);
    this.#keys = [];
    this.#visited = 0;
    this.#ok = true;
    this.#scan(def.selectionSet.selections, this.schema.getType(def.typeCondition.name.value) ?? undefined, SUMMARY);
    const summary = this.#ok ? [...new Set(this.#keys)] : null;
    this.#summaries.set(name, summary);
    return summary;
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
