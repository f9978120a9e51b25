/**
 * Filtered introspection: what the caller may not see (types, fields, arguments and input fields
 * whose requirements the caller does not meet), and its removal from `__schema`/`__type` results.
 */
import type { Evaluator } from './evaluate.js';
import type { ScopesModel } from './requirements.js';

/** What introspection may show the caller (used when introspection filtering is on). */
export interface IntrospectionFilter {
  /** The type is hidden (its requirement is not met). */
  hiddenType(name: string): boolean;
  /** The field is hidden. */
  hiddenField(typeName: string, fieldName: string): boolean;
  /** The argument is hidden. */
  hiddenArgument(typeName: string, fieldName: string, argName: string): boolean;
  /** The input field is hidden. */
  hiddenInputField(typeName: string, fieldName: string): boolean;
}

/** Where in an introspection result the response walk is: the `__Type` and `__Field` it is under. */
export interface IntrospectionPlace {
  readonly typeName?: string | undefined;
  readonly fieldName?: string | undefined;
}

/** What filtered introspection hides from this caller: whatever the caller could not select or pass. */
export function introspectionFilter(model: ScopesModel, evaluator: Evaluator): IntrospectionFilter {
  const schema = model.schema;
  const roots = new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].map((type) => type?.name),
  );
  return {
    hiddenType(name) {
      const type = schema.getType(name);
      if (!type || name.startsWith('__') || roots.has(name)) return false;
      return !evaluator.check(model.typeRequirement(type)).ok;
    },
    hiddenField(typeName, fieldName) {
      return !evaluator.check(model.field(typeName, fieldName)?.requirement).ok;
    },
    hiddenArgument(typeName, fieldName, argName) {
      return !evaluator.check(model.field(typeName, fieldName)?.args?.get(argName)?.requirement).ok;
    },
    hiddenInputField(typeName, fieldName) {
      return !evaluator.check(model.inputField(typeName, fieldName)?.requirement).ok;
    },
  };
}

/**
 * Drops what the caller may not see from one introspection value (before it is walked): the value
 * of `parent.field`, where `nameOf` reads the name the rewrite added to each item.
 */
export function filterIntrospectionValue(
  filter: IntrospectionFilter,
  queryTypeName: string | undefined,
  parent: string,
  field: string,
  value: unknown,
  place: IntrospectionPlace,
  nameOf: (item: unknown) => string | undefined,
): unknown {
  const keep = (hidden: (name: string) => boolean) =>
    Array.isArray(value)
      ? value.filter((item) => {
          const name = nameOf(item);
          return name === undefined || !hidden(name);
        })
      : value;
  if (parent === queryTypeName && field === '__type') {
    const name = nameOf(value);
    return name !== undefined && filter.hiddenType(name) ? null : value;
  }
  if (
    (parent === '__Schema' && field === 'types') ||
    (parent === '__Type' && (field === 'possibleTypes' || field === 'interfaces'))
  ) {
    return keep((name) => filter.hiddenType(name));
  }
  const typeName = place.typeName;
  if (typeName === undefined) return value;
  if (parent === '__Type' && field === 'fields') return keep((name) => filter.hiddenField(typeName, name));
  if (parent === '__Type' && field === 'inputFields') return keep((name) => filter.hiddenInputField(typeName, name));
  const fieldName = place.fieldName;
  if (parent === '__Field' && field === 'args' && fieldName !== undefined) {
    return keep((name) => filter.hiddenArgument(typeName, fieldName, name));
  }
  return value;
}
