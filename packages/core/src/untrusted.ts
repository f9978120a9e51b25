/**
 * Reading untrusted JSON (request variables, argument values) safely. `JSON.parse` creates own
 * `"__proto__"`, `"constructor"` and `"prototype"` keys; reading such an object through the prototype
 * chain, or copying it with `Object.assign` / `{...}`, sees something else than graphql-js execution
 * (which reads own properties only). Every Rampart package reads variables and arguments through these.
 */

/** A map-like object with no prototype: any key, `"__proto__"` included, is an ordinary own key. */
export type Dictionary<T> = Record<string, T>;

/** A new empty {@link Dictionary}. */
export function createDictionary<T>(): Dictionary<T> {
  return Object.create(null) as Dictionary<T>;
}

/** True when `value` is a non-null object that has `key` as an own property. */
export function hasOwnKey(value: unknown, key: string): boolean {
  return value !== null && typeof value === 'object' && Object.hasOwn(value, key);
}

/**
 * `value[key]` when `key` is an own property of the object `value`, else `undefined`: never a value
 * inherited through the prototype chain (nor `Object.prototype`'s `__proto__` accessor).
 */
export function ownProperty(value: unknown, key: string): unknown {
  return hasOwnKey(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

/** A shallow copy of an object's own enumerable properties into a {@link Dictionary}. */
export function toDictionary<T = unknown>(value: Readonly<Record<string, T>> | null | undefined): Dictionary<T> {
  const copy = createDictionary<T>();
  if (value === null || value === undefined || typeof value !== 'object') return copy;
  for (const key of Object.keys(value)) copy[key] = value[key] as T;
  return copy;
}
