import {
  type Check,
  check,
  DEFAULT_REALM,
  describe,
  type OptionSchema,
  type Principal,
  resolveOptions,
} from '@rampart/core';

/** What a policy function receives. */
export interface PolicyInput<TContext = unknown> {
  /** The policy's name, as written in `@policy(policies: …)`. */
  readonly policy: string;
  /** The caller (anonymous when nobody authenticated). */
  readonly principal: Principal;
  /** The Apollo context value of the request. */
  readonly context: TContext;
  /** The GraphQL request (query, operationName, variables, http). */
  readonly request: {
    readonly query?: string | undefined;
    readonly operationName?: string | null | undefined;
    readonly variables?: Readonly<Record<string, unknown>> | undefined;
    readonly http?: unknown;
  };
}

/**
 * A named policy: returns (or resolves to) `true` to grant. Evaluated at most once per request,
 * and only when an operation selects something that names it. A policy that throws or rejects denies.
 */
export type PolicyFunction<TContext = any> = (input: PolicyInput<TContext>) => boolean | Promise<boolean>;

/**
 * Scopes required for a whole operation type. A string is one scope; an array of strings means all
 * of them; an array of arrays is Apollo's form: outer list OR, inner list AND.
 */
export type ScopeRequirement = string | readonly string[] | readonly (readonly string[])[];

/** Options of `scopesPlugin` / `scopesModule` (`rampart({ scopes })`). */
export interface ScopesOptions {
  /**
   * What to do with a field the caller may not access. `'filter'` (Apollo Router's default): remove it
   * before execution; it comes back as `null` with an `UNAUTHORIZED_FIELD_OR_TYPE` error at its exact
   * response path, and the whole operation is refused (403, or 401 when anonymous) when nothing
   * authorized remains. `'reject'`: refuse the whole operation as soon as one field is unauthorized.
   * @default 'filter'
   */
  mode: 'filter' | 'reject';
  /**
   * Record the decisions in the security state without enforcing anything (no removal, no refusal).
   * @default false
   */
  dryRun: boolean;
  /**
   * Refuse every operation of an anonymous caller with 401 `UNAUTHENTICATED`.
   * @default false
   */
  requireAuthentication: boolean;
  /**
   * Scopes every operation of a type needs, e.g. `{ query: 'api:read', mutation: 'api:write' }`.
   * An operation whose type is listed and whose caller lacks them is refused (403, 401 when anonymous).
   * @default {}
   */
  operationScopes: { query?: ScopeRequirement; mutation?: ScopeRequirement; subscription?: ScopeRequirement };
  /**
   * The named policies `@policy` refers to. A schema that names a policy missing here fails at startup.
   * @default {}
   */
  policies: Readonly<Record<string, PolicyFunction>>;
  /**
   * Filter introspection: `__schema` and `__type` show only the types, fields, arguments and input
   * fields the caller may use, so the schema itself does not leak to clients who cannot use it.
   * (Introspection can also be turned off altogether with Apollo's `introspection: false`.)
   * @default false
   */
  filterIntrospection: boolean;
  /**
   * Put the scopes that would have granted access (`extensions.missingScopes`) and the schema
   * coordinate in the errors sent to clients. Off by default: the schema's requirements stay private.
   * Decisions in the security state always carry them.
   * @default false
   */
  exposeRequirements: boolean;
  /**
   * At most this many `UNAUTHORIZED_FIELD_OR_TYPE` errors with exact paths per response (a removed
   * field in a 20,000-item list would otherwise add 20,000 errors); the rest are counted in one
   * last error's `extensions.omittedPaths`.
   * @default 100
   */
  maxFieldErrors: number;
  /**
   * `realm` of the `WWW-Authenticate: Bearer` challenge sent with 401 and 403 refusals.
   * @default 'graphql'
   */
  realm: string;
}

/** Every option's default. */
export const defaultScopesOptions: Readonly<ScopesOptions> = Object.freeze({
  mode: 'filter',
  dryRun: false,
  requireAuthentication: false,
  operationScopes: Object.freeze({}),
  policies: Object.freeze({}),
  filterIntrospection: false,
  exposeRequirements: false,
  maxFieldErrors: 100,
  realm: DEFAULT_REALM,
});

const scopeRequirement: Check = (v) => {
  if (typeof v === 'string') return v.length > 0 ? undefined : 'must not be an empty string';
  if (!Array.isArray(v))
    return `must be a scope, an array of scopes or an array of arrays of scopes, got ${describe(v)}`;
  if (v.length === 0) return 'must not be an empty array';
  const allStrings = v.every((x) => typeof x === 'string' && x.length > 0);
  const allArrays = v.every((x) => Array.isArray(x) && x.every((y) => typeof y === 'string' && y.length > 0));
  return allStrings || allArrays
    ? undefined
    : 'must be a scope, an array of scopes or an array of arrays of scopes (non-empty strings)';
};

const operationScopesCheck: Check = (v, path) => {
  const m = check.object()(v, path);
  if (m) return m;
  for (const [k, x] of Object.entries(v as object)) {
    if (k !== 'query' && k !== 'mutation' && k !== 'subscription') {
      return `unknown operation type "${k}"; known: query, mutation, subscription`;
    }
    if (x === undefined) continue;
    const e = scopeRequirement(x, `${path}.${k}`);
    if (e) return `${k} ${e}`;
  }
  return undefined;
};

const policiesCheck: Check = (v, path) => {
  const m = check.object()(v, path);
  if (m) return m;
  for (const [k, f] of Object.entries(v as object)) {
    if (typeof f !== 'function') return `policy "${k}" must be a function, got ${describe(f)}`;
  }
  return undefined;
};

const schema: OptionSchema<ScopesOptions> = {
  mode: check.oneOf('filter', 'reject'),
  dryRun: check.boolean(),
  requireAuthentication: check.boolean(),
  operationScopes: operationScopesCheck,
  policies: policiesCheck,
  filterIntrospection: check.boolean(),
  exposeRequirements: check.boolean(),
  maxFieldErrors: check.integer(0, 100_000),
  realm: check.string(),
};

/**
 * Checks the user's options and merges them over {@link defaultScopesOptions}.
 * @throws RampartConfigError naming the bad option (`scopes.mode`, …).
 */
export function resolveScopesOptions(user?: Partial<ScopesOptions>): Readonly<ScopesOptions> {
  return resolveOptions('scopes', defaultScopesOptions, schema, user);
}

/** Normalises a {@link ScopeRequirement} to Apollo's form (outer OR, inner AND). */
export function normalizeScopeRequirement(r: ScopeRequirement): string[][] {
  if (typeof r === 'string') return [[r]];
  if (r.every((x) => typeof x === 'string')) return [[...(r as readonly string[])]];
  return (r as readonly (readonly string[])[]).map((x) => [...x]);
}
