import {
  type DefinitionNode,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  isAbstractType,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Analysis } from './analyze.js';

/** A response key for `__typename` that the client did not use (stripped from the response again). */
export function typenameAlias(analysis: Analysis): string {
  let alias = '__rampart_t';
  for (let i = 1; analysis.reservedKeys.has(alias); i++) alias = `__rampart_t${i}`;
  return alias;
}

/**
 * A copy of `document` without the removed fields. Nothing of the original is mutated (Apollo caches
 * it): changed nodes are new objects, unchanged subtrees are shared. A field refused for some of its
 * abstract parent's runtime types only is kept inside `... on T` fragments for the allowed types.
 * Selection sets left empty, and abstract selections holding a removal, get `alias: __typename`,
 * which {@link shapeResponse} reads (to know runtime types) and strips.
 */
export function rewriteDocument(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  analysis: Analysis,
  alias: string,
): { document: DocumentNode; operation: OperationDefinitionNode } {
  const typenameField: FieldNode = {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: alias },
    name: { kind: Kind.NAME, value: '__typename' },
  };
  let newOperation = operation;
  const definitions: DefinitionNode[] = document.definitions.map((d) => {
    if (d === operation) {
      newOperation = { ...operation, selectionSet: rewriteSet(operation.selectionSet, false) };
      return newOperation;
    }
    if (d.kind === Kind.FRAGMENT_DEFINITION && analysis.dirtyFragments.has(d.name.value)) {
      const t = schema.getType(d.typeCondition.name.value);
      return { ...d, selectionSet: rewriteSet(d.selectionSet, t !== undefined && isAbstractType(t)) };
    }
    return d;
  });
  return { document: { ...document, definitions }, operation: newOperation };

  function rewriteSet(set: SelectionSetNode, needsTypename: boolean): SelectionSetNode {
    const out: SelectionNode[] = [];
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const removal = analysis.removed.get(sel);
        if (removal?.all) continue;
        let field = sel;
        if (sel.selectionSet && analysis.dirty.has(sel)) {
          field = { ...sel, selectionSet: rewriteSet(sel.selectionSet, returnsAbstract(sel)) };
        }
        if (removal) {
          for (const t of removal.allowedTypes) {
            out.push({
              kind: Kind.INLINE_FRAGMENT,
              typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: t } },
              selectionSet: { kind: Kind.SELECTION_SET, selections: [field] },
            });
          }
        } else {
          out.push(field);
        }
      } else if (sel.kind === Kind.INLINE_FRAGMENT && analysis.dirty.has(sel)) {
        out.push({ ...sel, selectionSet: rewriteSet(sel.selectionSet, false) });
      } else {
        out.push(sel);
      }
    }
    if (needsTypename || out.length === 0) out.push(typenameField);
    return { ...set, selections: out };
  }

  /** Whether a dirty field returns an abstract type (its runtime type is then needed in the response). */
  function returnsAbstract(node: FieldNode): boolean {
    const t = analysis.returnTypes.get(node);
    return t !== undefined && isAbstractType(t);
  }
}
