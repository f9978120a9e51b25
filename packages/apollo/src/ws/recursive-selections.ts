/**
 * The preset's `maxRecursiveSelections` cap as a graphql-js validation rule, for documents that do not
 * go through Apollo (Apollo's own rule is not exported). Counts every selection of an operation with
 * named fragments expanded; a fragment's count is computed once (so a fragment "bomb" is counted in
 * linear time) and counts saturate just above the limit.
 */
import {
  type ASTVisitor,
  GraphQLError,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/** The code of the refusal (as Apollo's validation errors). */
export const VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED';

/** A validation rule refusing operations with more than `limit` selections once fragments are expanded. */
export function maxRecursiveSelectionsRule(limit: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragmentCounts = new Map<string, number>();
    const visiting = new Set<string>();
    const countFragment = (name: string): number => {
      const known = fragmentCounts.get(name);
      if (known !== undefined) return known;
      const fragment = context.getFragment(name);
      // unknown fragments and cycles are reported by graphql-js's own rules
      if (!fragment || visiting.has(name)) return 0;
      visiting.add(name);
      const n = count(fragment.selectionSet);
      visiting.delete(name);
      fragmentCounts.set(name, n);
      return n;
    };
    const count = (set: SelectionSetNode): number => {
      let n = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FRAGMENT_SPREAD) n += countFragment(selection.name.value);
        else {
          n += 1;
          if (selection.selectionSet !== undefined) n += count(selection.selectionSet);
        }
        if (n > limit) return limit + 1;
      }
      return n;
    };
    return {
      OperationDefinition(node) {
        if (count(node.selectionSet) > limit) {
          context.reportError(
            new GraphQLError(`Maximum number of selections exceeded: at most ${limit} are allowed.`, {
              nodes: [node],
              extensions: { code: VALIDATION_FAILED },
            }),
          );
        }
        return false;
      },
    };
  };
}
