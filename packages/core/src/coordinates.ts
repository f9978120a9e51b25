/** Schema coordinate of a field: `Type.field`. */
export function fieldCoordinate(typeName: string, fieldName: string): string {
  return `${typeName}.${fieldName}`;
}

/** Schema coordinate of an argument: `Type.field(arg:)`. */
export function argumentCoordinate(typeName: string, fieldName: string, argName: string): string {
  return `${typeName}.${fieldName}(${argName}:)`;
}

/** A response path as a dotted string (`orders.0.total`), from graphql-js's linked `Path`. */
export function pathToString(path: { readonly prev: unknown; readonly key: string | number } | undefined): string {
  const keys: Array<string | number> = [];
  let p = path as { prev: unknown; key: string | number } | undefined;
  while (p) {
    keys.push(p.key);
    p = p.prev as typeof p;
  }
  return keys.reverse().join('.');
}
