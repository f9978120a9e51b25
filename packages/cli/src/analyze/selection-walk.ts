/**
 * Every field an operation can select, with its parent type: fragments followed once each, inline
 * fragments and their type conditions honoured, `@skip`/`@include` ignored (an upper bound: what a
 * client may make the operation select).
 */
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** One selected field. */
export interface SelectedField {
  readonly parent: GraphQLCompositeType;
  readonly def: GraphQLField<unknown, unknown>;
  readonly node: FieldNode;
}

/** The operation of `document` named `name` (the only one when `name` is null). */
export function operationOf(document: DocumentNode, name: string | null): OperationDefinitionNode | undefined {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return name === null ? ops[0] : ops.find((o) => o.name?.value === name);
}

/** The selected fields of `operation`, in document order, each field node once. */
export function selectedFields(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): SelectedField[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root = schema.getRootType(operation.operation);
  const out: SelectedField[] = [];
  if (!root) return out;
  const visited = new Set<string>();
  const stack: [SelectionSetNode, GraphQLCompositeType][] = [[operation.selectionSet, root]];
  while (stack.length > 0) {
    const [set, parent] = stack.pop() as [SelectionSetNode, GraphQLCompositeType];
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const fields = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields() : undefined;
        const def = fields ? fields[sel.name.value] : undefined;
        if (!def) continue;
        out.push({ parent, def, node: sel });
        const type = getNamedType(def.type);
        if (sel.selectionSet && isCompositeType(type)) stack.push([sel.selectionSet, type]);
        continue;
      }
      const condition =
        sel.kind === Kind.INLINE_FRAGMENT ? sel.typeCondition : fragments.get(sel.name.value)?.typeCondition;
      const type = condition ? schema.getType(condition.name.value) : parent;
      if (!isCompositeType(type)) continue;
      if (sel.kind === Kind.INLINE_FRAGMENT) stack.push([sel.selectionSet, type]);
      else if (!visited.has(sel.name.value)) {
        visited.add(sel.name.value);
        stack.push([(fragments.get(sel.name.value) as FragmentDefinitionNode).selectionSet, type]);
      }
    }
  }
  return out;
}
