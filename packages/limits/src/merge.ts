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

interface Entry {
  sels: readonly SelectionNode[];
  type: GraphQLNamedType | undefined;
}

/** Plans the merges of the selection sets of one operation analysis. */
export class MergePlanner {
  /** Keys of each fragment's top level; `null` when too large, or when it spreads a fragment twice. */
  readonly #summaries = new Map<string, readonly string[] | null>();
  readonly #counts = new Map<string, number>();
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
    if (sels.length < 2 && sels[0]?.kind === Kind.FIELD) return undefined;
    const counts = this.#counts;
    counts.clear();
    let repeated = false;
    const count = (key: string) => {
      const c = (counts.get(key) ?? 0) + 1;
      counts.set(key, c);
      if (c > 1) repeated = true;
    };
    const spreads = new Set<string>();
    this.#walk(
      sels,
      type,
      (field, t) => count(qualifiedKey(t, field)),
      (name) => {
        if (spreads.has(name)) return false;
        spreads.add(name);
        for (const key of this.#summary(name) ?? []) count(key);
        return false;
      },
    );
    if (!repeated) return undefined;
    const plan: MergePlan = { groups: new Map(), started: new Set(), inline: new Set() };
    const seen = new Set<string>();
    // Second walk, in the order of the analysis: collect the groups, decide which fragments go in place.
    this.#walk(
      sels,
      type,
      (field, t) => {
        const key = qualifiedKey(t, field);
        if ((counts.get(key) ?? 0) < 2) return;
        const group = plan.groups.get(key);
        if (group) group.push(field);
        else plan.groups.set(key, [field]);
      },
      (name, nested) => {
        if (seen.has(name)) return false;
        seen.add(name);
        const keys = this.#summary(name);
        if (!keys) return false;
        if (!nested && !keys.some((k) => (counts.get(k) ?? 0) > 1)) return false;
        const def = this.fragments.get(name) as FragmentDefinitionNode;
        const size = def.loc ? def.loc.end - def.loc.start : 1000;
        if (size > this.#allowance) return false;
        this.#allowance -= size;
        plan.inline.add(name);
        return true;
      },
    );
    return plan;
  }

  /**
   * Walks the set's top level in document order (inline fragments entered in place); `onSpread`
   * decides whether a spread fragment is entered too (`nested`: met inside an entered fragment).
   */
  #walk(
    sels: readonly SelectionNode[],
    type: GraphQLNamedType | undefined,
    onField: (field: FieldNode, type: GraphQLNamedType | undefined) => void,
    onSpread: (name: string, nested: boolean) => boolean,
  ): void {
    const stack: (Entry & { i: number; nested: boolean })[] = [{ sels, type, i: 0, nested: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as Entry & { i: number; nested: boolean };
      if (top.i >= top.sels.length) {
        stack.pop();
        continue;
      }
      const sel = top.sels[top.i++] as SelectionNode;
      if (!this.included(sel.directives)) continue;
      if (sel.kind === Kind.FIELD) onField(sel, top.type);
      else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? (this.schema.getType(sel.typeCondition.name.value) ?? undefined) : top.type;
        stack.push({ sels: sel.selectionSet.selections, type: t, i: 0, nested: top.nested });
      } else {
        const def = this.fragments.get(sel.name.value);
        if (def && onSpread(sel.name.value, top.nested)) {
          const t = this.schema.getType(def.typeCondition.name.value) ?? undefined;
          stack.push({ sels: def.selectionSet.selections, type: t, i: 0, nested: true });
        }
      }
    }
  }

  /** The qualified keys of a fragment's top level, fragments flattened (memoized). */
  #summary(name: string): readonly string[] | null {
    const known = this.#summaries.get(name);
    if (known !== undefined) return known;
    this.#summaries.set(name, null);
    const def = this.fragments.get(name);
    if (!def) return null;
    const keys: string[] = [];
    const spread = new Set<string>([name]);
    let visited = 0;
    let ok = true;
    const type = this.schema.getType(def.typeCondition.name.value) ?? undefined;
    this.#walk(
      def.selectionSet.selections,
      type,
      (field, t) => {
        if (++visited > SUMMARY_LIMIT) ok = false;
        else keys.push(qualifiedKey(t, field));
      },
      (nestedName) => {
        // A fragment spread twice, or a cycle: not walked in place (the memoized path reports cycles).
        if (!ok || spread.has(nestedName) || ++visited > SUMMARY_LIMIT) {
          ok = false;
          return false;
        }
        spread.add(nestedName);
        return true;
      },
    );
    const summary = ok ? [...new Set(keys)] : null;
    this.#summaries.set(name, summary);
    return summary;
  }
}
