/**
 * `--explain`: the cost each field adds, by the limits engine itself: the operation analysed again
 * without that field (and its selections), the difference being what the field costs, list sizes of
 * the fields above it included. Fields of a fragment are named `...Fragment.field`.
 */
import { type AnalyzeLimitsOptions, analyzeLimits, type OperationAnalysis } from '@rampart/limits';
import { type DocumentNode, type FieldNode, type GraphQLSchema, TypeInfo, visit, visitWithTypeInfo } from 'graphql';

/** What one field adds to the estimate. */
export interface FieldCost {
  /** Response path (`customer.orders.items`), or `...Fragment.field` inside a fragment. */
  readonly path: string;
  /** Schema coordinate (`Customer.orders`), when the field is known. */
  readonly coordinate: string | null;
  /** Apollo-model cost the field and its selections add (`null` when unbounded). */
  readonly cost: number | null;
  /** IBM field cost it adds (`null` when unbounded). */
  readonly fieldCost: number | null;
}

interface Located {
  readonly node: FieldNode;
  readonly path: string;
  readonly coordinate: string | null;
}

function fieldsOf(schema: GraphQLSchema, document: DocumentNode): Located[] {
  const typeInfo = new TypeInfo(schema);
  const out: Located[] = [];
  const path: string[] = [];
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      FragmentDefinition: {
        enter: (node) => void path.push(`...${node.name.value}`),
        leave: () => void path.pop(),
      },
      Field: {
        enter(node) {
          const parent = typeInfo.getParentType();
          path.push(node.alias?.value ?? node.name.value);
          const coordinate = parent && typeInfo.getFieldDef() ? `${parent.name}.${node.name.value}` : null;
          out.push({ node, path: path.join('.'), coordinate });
        },
        leave: () => void path.pop(),
      },
    }),
  );
  return out;
}

const difference = (a: number, b: number) => {
  const d = a - b;
  return Number.isFinite(d) ? d : null;
};

/** The cost of every field of the analysed operation, in document order. */
export function explainCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  options: AnalyzeLimitsOptions,
  analysis: OperationAnalysis,
): FieldCost[] {
  return fieldsOf(schema, document).map(({ node, path, coordinate }) => {
    const without = visit(document, { Field: (n) => (n === node ? null : undefined) });
    const other = analyzeLimits(schema, without, options);
    return {
      path,
      coordinate,
      cost: difference(analysis.cost, other.cost),
      fieldCost: difference(analysis.fieldCost, other.fieldCost),
    };
  });
}
