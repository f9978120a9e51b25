/**
 * Subscription fields that reach a Rampart directive: served over graphql-ws without
 * `security.graphqlWs()`, those directives would not be enforced (graphql-ws never runs Apollo's
 * plugins), so `transformSchema` warns about them.
 */
import {
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isInterfaceType,
  isObjectType,
  isUnionType,
} from 'graphql';

/** The directives whose checks run in Apollo's pipeline or the operation hooks. */
export const GUARDED_DIRECTIVES: ReadonlySet<string> = new Set([
  'authenticated',
  'requiresScopes',
  'policy',
  'cost',
  'listSize',
  'rateLimit',
  'audit',
]);

type Directed = {
  readonly astNode?: { readonly directives?: readonly { readonly name: { value: string } }[] } | null | undefined;
};

function carries(node: Directed): boolean {
  return node.astNode?.directives?.some((d) => GUARDED_DIRECTIVES.has(d.name.value)) === true;
}

function typeCarries(type: GraphQLNamedType): boolean {
  return carries(type) || (type.extensionASTNodes ?? []).some((n) => carries({ astNode: n }));
}

/**
 * The `Subscription.field` coordinates whose field, arguments, or any type or field reachable from
 * its result carries one of {@link GUARDED_DIRECTIVES} (a walk over the types reachable from each
 * subscription field; run once, at startup).
 */
export function guardedSubscriptionFields(schema: GraphQLSchema): string[] {
  const root = schema.getSubscriptionType();
  if (!root) return [];
  const fieldCarries = (f: GraphQLField<unknown, unknown>): boolean => carries(f) || f.args.some(carries);
  const reaches = (start: GraphQLNamedType): boolean => {
    const seen = new Set<string>([start.name]);
    const queue: GraphQLNamedType[] = [start];
    const visit = (type: GraphQLNamedType) => {
      if (!seen.has(type.name)) {
        seen.add(type.name);
        queue.push(type);
      }
    };
    for (let i = 0; i < queue.length; i++) {
      const type = queue[i]!;
      if (typeCarries(type)) return true;
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const f of Object.values(type.getFields())) {
          if (fieldCarries(f)) return true;
          visit(getNamedType(f.type));
        }
        if (isInterfaceType(type)) for (const t of schema.getPossibleTypes(type)) visit(t);
      } else if (isUnionType(type)) {
        for (const t of type.getTypes()) visit(t);
      }
    }
    return false;
  };
  return Object.values(root.getFields())
    .filter((f) => fieldCarries(f) || reaches(getNamedType(f.type)))
    .map((f) => `${root.name}.${f.name}`);
}

/** The startup warning for {@link guardedSubscriptionFields}. */
export function unguardedSubscriptionsWarning(fields: readonly string[]): string {
  const shown = fields.length > 5 ? `${fields.slice(0, 5).join(', ')}, …` : fields.join(', ');
  return (
    `[rampart] ${fields.length} Subscription field(s) (${shown}) reach Rampart directives. graphql-ws never ` +
    'runs Apollo plugins: serve subscriptions with useServer({ schema, ...security.graphqlWs() }, wsServer), ' +
    'or those checks do not run. (Call security.graphqlWs() before transformSchema to silence this warning.)'
  );
}
