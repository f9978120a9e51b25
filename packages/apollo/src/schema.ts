import { type GraphQLSchema, isInterfaceType, isObjectType, isUnionType } from 'graphql';

/** True when the schema declares or uses `@cacheControl` anywhere. */
export function schemaUsesCacheControl(schema: GraphQLSchema): boolean {
  if (schema.getDirective('cacheControl')) return true;
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (type.astNode?.directives?.some((d) => d.name.value === 'cacheControl')) return true;
    if (type.extensionASTNodes?.some((n) => n.directives?.some((d) => d.name.value === 'cacheControl'))) return true;
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const f of Object.values(type.getFields())) {
        if (f.astNode?.directives?.some((d) => d.name.value === 'cacheControl')) return true;
      }
    } else if (isUnionType(type)) {
      // unions carry directives on the type node only (checked above)
    }
  }
  return false;
}
