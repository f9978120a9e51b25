/** Whether an operation can be refused at all: the per-operation shortcut that skips the analysis. */
import {
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { ScopesModel } from './requirements.js';

/**
 * True when no field, argument or input field the operation could ever use declares anything, and
 * it reads no introspection to filter: then no principal and no variables can be refused, and the
 * per-request analysis is skipped. Conservative (every branch, `@skip`/`@include` ignored) and
 * independent of variables and principal, so it is computed once per operation node.
 */
export function isRequirementFree(
  model: ScopesModel,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  filterIntrospection: boolean,
): boolean {
  const root = model.schema.getRootType(operation.operation);
  if (!root) return true;
  const seen = new Set<string>();
  const stack: [SelectionSetNode, GraphQLCompositeType][] = [[operation.selectionSet, root]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [set, parent] = item;
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? model.schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) stack.push([selection.selectionSet, type]);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || seen.has(name)) continue;
        seen.add(name);
        const type = model.schema.getType(fragment.typeCondition.name.value);
        if (type && isCompositeType(type)) stack.push([fragment.selectionSet, type]);
      } else {
        const name = selection.name.value;
        if (name.startsWith('__')) {
          if (filterIntrospection && (name === '__schema' || name === '__type')) return false;
          continue;
        }
        if (!isObjectType(parent) && !isInterfaceType(parent)) continue;
        if (isObjectType(parent) ? model.field(parent.name, name) : model.abstractField(parent.name, name)) {
          return false;
        }
        const definition = parent.getFields()[name];
        if (!definition || !selection.selectionSet) continue;
        const child = getNamedType(definition.type);
        if (isCompositeType(child)) stack.push([selection.selectionSet, child]);
      }
    }
  }
  return true;
}
