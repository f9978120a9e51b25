/**
 * Introspection marking: a `__schema`/`__type` subtree is marked dirty as a whole, so the rewrite
 * adds the names the response walk needs and the walk filters what the caller may not see.
 */
import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  getNamedType,
  isCompositeType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import type { Analysis } from './analyze.js';

/** Marks one introspection field and everything below it. */
export class IntrospectionMarks {
  readonly #seen = new Set<string>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly analysis: Analysis,
  ) {}

  /** Marks `node` (of named type `type`) and its whole subtree dirty. */
  mark(node: FieldNode, type: GraphQLCompositeType): void {
    this.analysis.dirty.add(node);
    this.analysis.returnTypes.set(node, type);
    if (node.selectionSet) this.#markSet(node.selectionSet, type);
  }

  #markSet(set: SelectionSetNode, parent: GraphQLCompositeType): void {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        if (key.startsWith('__rampart')) this.analysis.reservedKeys.add(key);
        if (!selection.selectionSet || !isObjectType(parent)) continue;
        const definition = parent.getFields()[selection.name.value];
        const type = definition && getNamedType(definition.type);
        if (type && isCompositeType(type)) this.mark(selection, type);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        this.analysis.dirty.add(selection);
        this.#markSet(selection.selectionSet, parent);
      } else {
        const name = selection.name.value;
        const fragment = this.fragments.get(name);
        if (!fragment || this.#seen.has(name)) continue;
        this.#seen.add(name);
        this.analysis.dirtyFragments.add(name);
        const type = this.schema.getType(fragment.typeCondition.name.value);
        if (type && isCompositeType(type)) this.#markSet(fragment.selectionSet, type);
      }
    }
  }
}
