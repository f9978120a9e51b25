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

/** Response keys the rewrite adds (and the response walk strips): `__typename` and, in introspection, `name`. */
export interface Aliases {
  readonly typename: string;
  readonly name: string;
}

/** Response keys for `__typename` and `name` that the client did not use. */
export function pickAliases(analysis: Analysis): Aliases {
  let i = 0;
  const suffix = () => (i === 0 ? '' : String(i));
  while (analysis.reservedKeys.has(`__rampart_t${suffix()}`) || analysis.reservedKeys.has(`__rampart_n${suffix()}`))
    i++;
  return { typename: `__rampart_t${suffix()}`, name: `__rampart_n${suffix()}` };
}

const NAMED_INTROSPECTION = new Set(['__Type', '__Field', '__InputValue']);

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
  aliases: Aliases,
): { document: DocumentNode; operation: OperationDefinitionNode } {
  const typenameField: FieldNode = {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: aliases.typename },
    name: { kind: Kind.NAME, value: '__typename' },
  };
  const nameField: FieldNode = {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: aliases.name },
    name: { kind: Kind.NAME, value: 'name' },
  };
  let newOperation = operation;
  const definitions: DefinitionNode[] = document.definitions.map((d) => {
    if (d === operation) {
      newOperation = { ...operation, selectionSet: rewriteSet(operation.selectionSet, false) };
      return newOperation;
    }
    if (d.kind === Kind.FRAGMENT_DEFINITION && analysis.dirtyFragments.has(d.name.value)) {
      const t = schema.getType(d.typeCondition.name.value);
      const named = t !== undefined && NAMED_INTROSPECTION.has(t.name);
      return { ...d, selectionSet: rewriteSet(d.selectionSet, t !== undefined && isAbstractType(t), named) };
    }
    return d;
  });
  return { document: { ...document, definitions }, operation: newOperation };

  function rewriteSet(set: SelectionSetNode, needsTypename: boolean, needsName = false): SelectionSetNode {
    const out: SelectionNode[] = [];
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const removal = analysis.removed.get(sel);
        if (removal?.all) continue;
        let field = sel;
        if (sel.selectionSet && analysis.dirty.has(sel)) {
          const t = analysis.returnTypes.get(sel);
          field = {
            ...sel,
            selectionSet: rewriteSet(
              sel.selectionSet,
              t !== undefined && isAbstractType(t),
              t !== undefined && NAMED_INTROSPECTION.has(t.name),
            ),
          };
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
    if (needsName) out.push(nameField);
    if (needsTypename || out.length === 0) out.push(typenameField);
    return { ...set, selections: out };
  }
}
