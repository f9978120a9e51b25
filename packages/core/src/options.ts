/**
 * Option resolution shared by every Rampart package: defaults in one frozen object, user options
 * checked once at startup, and a clear error that names the bad option.
 */

/** Thrown at startup for a bad option. The message names the package and the option path. */
export class RampartConfigError extends Error {
  override readonly name = 'RampartConfigError';
  /** Dotted path of the bad option, e.g. `limits.depth`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.option = option;
  }
}

/** Checks one option value; returns an error message, or `undefined` when the value is fine. */
export type Check = (value: unknown, path: string) => string | undefined;

/** Checks of the common shapes, for use in {@link resolveOptions} schemas. */
export const check = {
  /** A boolean. */
  boolean: (): Check => (v) => (typeof v === 'boolean' ? undefined : `must be true or false, got ${describe(v)}`),
  /** A finite integer within [min, max]. */
  integer:
    (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Check =>
    (v) =>
      typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
        ? undefined
        : `must be an integer from ${min} to ${max}, got ${describe(v)}`,
  /** A finite number within [min, max]. */
  number:
    (min = -Infinity, max = Infinity): Check =>
    (v) =>
      typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max
        ? undefined
        : `must be a number from ${min} to ${max}, got ${describe(v)}`,
  /** A string (non-empty unless `allowEmpty`). */
  string:
    (allowEmpty = false): Check =>
    (v) =>
      typeof v === 'string' && (allowEmpty || v.length > 0)
        ? undefined
        : `must be a non-empty string, got ${describe(v)}`,
  /** One of the listed literal values. */
  oneOf:
    (...values: readonly unknown[]): Check =>
    (v) =>
      values.includes(v)
        ? undefined
        : `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}, got ${describe(v)}`,
  /** A function. */
  function: (): Check => (v) => (typeof v === 'function' ? undefined : `must be a function, got ${describe(v)}`),
  /** A plain object (shape not checked here). */
  object: (): Check => (v) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : `must be an object, got ${describe(v)}`,
  /** An array whose every item passes `item`. */
  arrayOf:
    (item: Check): Check =>
    (v, path) => {
      if (!Array.isArray(v)) return `must be an array, got ${describe(v)}`;
      for (let i = 0; i < v.length; i++) {
        const m = item(v[i], `${path}[${i}]`);
        if (m) return `[${i}] ${m}`;
      }
      return undefined;
    },
  /** Passes when any of the checks passes. */
  anyOf:
    (...checks: Check[]): Check =>
    (v, path) => {
      const messages: string[] = [];
      for (const c of checks) {
        const m = c(v, path);
        if (!m) return undefined;
        messages.push(m);
      }
      return messages.join(', or ');
    },
  /** Anything (the package checks it itself). */
  any: (): Check => () => undefined,
} as const;

/** Describes a value for an error message without dumping it. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(v);
    case 'function':
      return 'a function';
    default:
      return `a ${typeof v}`;
  }
}

/** For each option key, the check its value must pass. Keys not listed are rejected as unknown. */
export type OptionSchema<T> = { readonly [K in keyof T]-?: Check };

/**
 * Merges user options over frozen defaults after checking them. Unknown keys fail (with a
 * "did you mean" hint), so a typo never silently turns a protection off.
 *
 * @param path - the option path for messages, e.g. `'limits'`.
 * @param defaults - every option's default.
 * @param schema - a check per option.
 * @param user - what the user passed (`undefined`: all defaults).
 * @throws RampartConfigError naming the bad option.
 */
export function resolveOptions<T extends object>(
  path: string,
  defaults: Readonly<T>,
  schema: OptionSchema<T>,
  user: Partial<T> | undefined,
): Readonly<T> {
  if (user === undefined || user === null) return defaults;
  if (typeof user !== 'object' || Array.isArray(user)) {
    throw new RampartConfigError(path, `must be an object, got ${describe(user)}`);
  }
  const known = Object.keys(schema);
  for (const key of Object.keys(user)) {
    if (!known.includes(key)) {
      const hint = closestName(key, known);
      throw new RampartConfigError(
        `${path}.${key}`,
        `unknown option${hint ? ` (did you mean "${hint}"?)` : ''}; known options: ${known.join(', ')}`,
      );
    }
  }
  const out: Record<string, unknown> = { ...defaults };
  for (const key of known) {
    const value = (user as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const optionPath = `${path}.${key}`;
    const message = (schema as Record<string, Check>)[key]?.(value, optionPath);
    if (message) throw new RampartConfigError(optionPath, message);
    out[key] = value;
  }
  return Object.freeze(out) as Readonly<T>;
}

/**
 * Maps deprecated option names to their new names before {@link resolveOptions} checks them: each
 * `[oldName, newName]` pair moves a user's `oldName` to `newName`, so old configurations keep working.
 * Both names given with different values is a contradiction, and a startup error.
 *
 * @param path - the option path for messages, e.g. `'authentication.jwt'`.
 * @param user - what the user passed (returned as is when no old name is in it).
 * @param renames - `[oldName, newName]` pairs.
 * @throws RampartConfigError naming the old option when both names are given and disagree.
 */
export function renameDeprecatedOptions<T extends object>(
  path: string,
  user: T | undefined,
  renames: ReadonlyArray<readonly [oldName: string, newName: string]>,
): T | undefined {
  if (user === undefined || user === null || typeof user !== 'object') return user;
  let out: Record<string, unknown> | undefined;
  for (const [oldName, newName] of renames) {
    if (!Object.hasOwn(user, oldName)) continue;
    const source = user as Record<string, unknown>;
    const oldValue = source[oldName];
    const newValue = source[newName];
    if (oldValue !== undefined && newValue !== undefined && oldValue !== newValue) {
      throw new RampartConfigError(
        `${path}.${oldName}`,
        `contradicts ${path}.${newName} (${oldName} is deprecated: use ${newName} only)`,
      );
    }
    out ??= { ...source };
    delete out[oldName];
    out[newName] = newValue ?? oldValue;
  }
  return (out as T | undefined) ?? user;
}

/**
 * The candidate within edit distance 2 of `word` (case-insensitive), if any: the "did you mean" of
 * every Rampart configuration error.
 */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  const a = word.toLowerCase();
  for (const c of candidates) {
    const b = c.toLowerCase();
    if (Math.abs(a.length - b.length) >= bestDistance) continue;
    const d = editDistance(a, b);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}
