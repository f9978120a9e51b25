/**
 * The options of @rampart/auth: one type ({@link AuthOptions}) with three groups —
 * `authentication`, `ipFilter`, `rules` — each resolved with core's `resolveOptions`.
 */
import { type Clock, check, DEFAULT_REALM, RampartConfigError, resolveOptions } from '@rampart/core';
import type { GraphQLResolveInfo } from 'graphql';
import type { AuthLogger } from './auth-log.js';
import type { CustomAuthenticator } from './custom.js';
import type { JwtOptions } from './jwt-options.js';
import type { ShieldRule } from './rules/constructors.js';
import type { RuleLogger } from './rules/rule-errors.js';

export {
  type ClaimPath,
  type JwtOptions,
  jwtDefaults,
  MIN_SECRET_BYTES,
  type ResolvedJwtOptions,
  resolveJwtOptions,
} from './jwt-options.js';

/** One API key, as stored in configuration: never the key itself, only its SHA-256. */
export interface ApiKeyEntry {
  /** The client the key belongs to: becomes `principal.id` and `principal.clientId`. */
  clientId: string;
  /** `sha256:<64 hex>` or 64 hex characters: the SHA-256 of the key (see `hashApiKey`). */
  hash: string;
  /** Scopes granted to the key. @default [] */
  scopes?: string[];
  /** Roles granted to the key. @default [] */
  roles?: string[];
  /** Addresses/CIDRs the key may be used from; others get 403. @default undefined (any) */
  allowedCidrs?: string[];
  /** Tenant of the client. @default undefined */
  tenant?: string;
}

/** Options of API-key authentication. */
export interface ApiKeyOptions {
  /** The keys. */
  keys: ApiKeyEntry[];
  /** Header carrying the key (also accepted: `Authorization: ApiKey <key>`). @default 'x-api-key' */
  header?: string;
  /** Shortest key accepted (shorter ones are refused before hashing). @default 32 */
  minLength?: number;
}

/** Options of authentication. */
export interface AuthenticationOptions {
  /**
   * Bearer JWT verification: one issuer configuration, or a list of them (the token's `iss`, read
   * before any signature check, selects the configuration; an unknown `iss` is refused).
   * @default undefined (no JWTs accepted)
   */
  jwt?: JwtOptions | readonly JwtOptions[] | undefined;
  /** API keys. @default undefined (no API keys accepted) */
  apiKeys?: ApiKeyOptions | undefined;
  /**
   * Your own authentication (sessions, cookies, a gateway header, mTLS), tried after an API key and a
   * bearer JWT (when `jwt` is configured; without `jwt`, bearer tokens and any other `Authorization` are
   * its business). Its principal has `authMethod: 'custom'`. See {@link CustomAuthenticator}.
   * @default undefined
   */
  custom?: CustomAuthenticator | undefined;
  /**
   * Where authentication warns (startup misconfiguration, JWKS outage and recovery, a custom
   * authenticator that throws). Apollo's `Logger` fits. @default undefined: the server's logger (handed
   * over by `authModule`'s plugin), `console` before a server has started (`authContext`)
   */
  logger?: AuthLogger | undefined;
  /**
   * How many verified tokens are remembered, so that a token seen again is not verified again: each
   * until its `exp` (never before its `nbf`), while its issuer's key set loses no key; failed
   * verifications are never kept; DPoP proofs are checked on every request. `0` turns it off.
   * @default 10000
   */
  verifiedTokenCacheSize?: number;
  /** Refuse requests without credentials (401) instead of giving them an anonymous principal. @default false */
  required?: boolean;
  /** HTTP status when the JWKS cannot be fetched (401, or 503 to tell clients to retry). @default 401 */
  jwksUnavailableStatus?: 401 | 503;
  /** `realm` of the `WWW-Authenticate` challenge. @default 'graphql' (the same realm as `@rampart/scopes`' challenges) */
  realm?: string;
  /** Include an `error_description` in the challenge (no secrets, just the failure class). @default true */
  describeErrors?: boolean;
}

/** Options of IP filtering and client-address resolution. */
export interface IpFilterOptions {
  /** Addresses/CIDRs allowed (IPv4/IPv6). Empty: every address not denied is allowed. @default [] */
  allow?: string[];
  /** Addresses/CIDRs denied; deny wins over allow. @default [] */
  deny?: string[];
  /**
   * Proxies whose `X-Forwarded-For` is believed. When the socket peer is one of them, the client is the
   * right-most `X-Forwarded-For` entry that is not itself a trusted proxy. @default [] (the socket peer is the client)
   */
  trustedProxies?: string[];
}

/** The error of a denial: a message, an `Error`, or a function building one (graphql-shield's `fallbackError`). */
export type FallbackError =
  | string
  | Error
  | ((
      thrown: unknown,
      parent: unknown,
      args: unknown,
      ctx: unknown,
      info: GraphQLResolveInfo,
    ) => Error | Promise<Error>);

/** Options of `shield(ruleTree, options)`: graphql-shield's, plus Rampart's. */
export interface ShieldOptions {
  /** Rule for fields the tree does not cover. Anything but `allow` wraps every uncovered field. @default allow */
  fallbackRule?: ShieldRule;
  /** Error of a denial. Strings and plain `Error`s become `FORBIDDEN` errors with that message. @default 'Not Authorised!' */
  fallbackError?: FallbackError;
  /**
   * Let an error thrown by a rule reach the client as is (the field is still denied). Errors thrown by
   * resolvers always reach the client unchanged, whatever this says. @default false
   */
  allowExternalErrors?: boolean;
  /** Like `allowExternalErrors`, for debugging rules. @default false */
  debug?: boolean;
  /** Key of `strict` cache entries (graphql-shield's option). @default parent identity + JSON of the arguments */
  hashFunction?: ((input: { parent: unknown; args: unknown }) => string) | undefined;
  /** Accepted for graphql-shield compatibility; no effect. @default false */
  disableFragmentsAndPostExecRules?: boolean;
  /**
   * When a denial carries HTTP 403: `'sole-root-field'` when the denied field is the operation's only root
   * field (otherwise partial data with 200), `'always'` on any denial, `'never'`. @default 'sole-root-field'
   */
  forbiddenStatus?: 'sole-root-field' | 'always' | 'never';
  /** Which allowed decisions are recorded in the security state: the first per field per request, all, or none. Denials are always recorded. @default 'first' */
  recordAllowed?: 'first' | 'all' | 'none';
  /**
   * Where a rule that throws is logged (once per rule, with its error; the field is denied). Apollo's
   * `Logger` fits. @default undefined: the server's logger (handed over by `shield.plugin`, which
   * `authModule` adds), `console` before a server has started
   */
  logger?: RuleLogger | undefined;
}

/** The options of the whole package, as `rampart({ authentication, ipFilter, rules })` takes them. */
export interface AuthOptions {
  /** Who is calling. @default undefined (everyone anonymous) */
  authentication?: AuthenticationOptions | undefined;
  /** Who may connect. @default undefined (no filtering; the socket peer is the client) */
  ipFilter?: IpFilterOptions | undefined;
  /** What they may do: the result of `shield(ruleTree, options)`. @default undefined */
  rules?: { readonly transformSchema: (schema: any) => any } | undefined;
  /** Clock for token time checks in the standalone `authContext` (rampart() uses the security state's). @default systemClock */
  clock?: Clock | undefined;
}

const strings = check.arrayOf(check.string());

/** Defaults of {@link ApiKeyOptions}. */
export const apiKeyDefaults = Object.freeze({ header: 'x-api-key', minLength: 32 });

const HASH = /^(sha256:)?[0-9a-f]{64}$/i;

/** Resolves and checks API-key options (every key a well-formed SHA-256, client ids unique). */
export function resolveApiKeyOptions(
  user: ApiKeyOptions,
  path = 'authentication.apiKeys',
): Readonly<Required<ApiKeyOptions>> {
  const o = resolveOptions(
    path,
    { ...apiKeyDefaults, keys: [] } as ApiKeyOptions,
    {
      keys: check.arrayOf(check.object()),
      header: check.string(),
      minLength: check.integer(16, 512),
    },
    user,
  ) as Required<ApiKeyOptions>;
  const hashes = new Set<string>();
  o.keys.forEach((k, i) => {
    resolveOptions(
      `${path}.keys[${i}]`,
      {} as ApiKeyEntry,
      {
        clientId: check.string(),
        hash: (v) =>
          typeof v === 'string' && HASH.test(v) ? undefined : 'must be "sha256:" + 64 hex characters (see hashApiKey)',
        scopes: strings,
        roles: strings,
        allowedCidrs: strings,
        tenant: check.string(),
      },
      k,
    );
    if (typeof k.clientId !== 'string' || typeof k.hash !== 'string') {
      throw new RampartConfigError(`${path}.keys[${i}]`, 'clientId and hash are mandatory');
    }
    const h = k.hash.toLowerCase().replace(/^sha256:/, '');
    if (hashes.has(h)) throw new RampartConfigError(`${path}.keys[${i}].hash`, 'duplicate key hash');
    hashes.add(h);
  });
  return o;
}

/** Defaults of {@link AuthenticationOptions}. */
export const authenticationDefaults: Readonly<AuthenticationOptions> = Object.freeze({
  jwt: undefined,
  apiKeys: undefined,
  custom: undefined,
  logger: undefined,
  verifiedTokenCacheSize: 10_000,
  required: false,
  jwksUnavailableStatus: 401,
  realm: DEFAULT_REALM,
  describeErrors: true,
});

/** Resolves authentication options (nested groups checked by their own resolvers). */
export function resolveAuthenticationOptions(user: AuthenticationOptions | undefined): Readonly<AuthenticationOptions> {
  return resolveOptions(
    'authentication',
    authenticationDefaults,
    {
      jwt: check.anyOf(check.object(), check.arrayOf(check.object())),
      apiKeys: check.object(),
      custom: check.function(),
      logger: (v) =>
        v !== null &&
        typeof v === 'object' &&
        typeof (v as { warn?: unknown }).warn === 'function' &&
        typeof (v as { error?: unknown }).error === 'function'
          ? undefined
          : 'must be a logger with warn(message) and error(message) methods',
      verifiedTokenCacheSize: check.integer(0, 10_000_000),
      required: check.boolean(),
      jwksUnavailableStatus: check.oneOf(401, 503),
      realm: (v) =>
        typeof v === 'string' && /^[\x20-\x7e]*$/.test(v) && !v.includes('"')
          ? undefined
          : 'must be printable ASCII without quotes',
      describeErrors: check.boolean(),
    },
    user,
  );
}

/** Defaults of {@link IpFilterOptions}. */
export const ipFilterDefaults: Readonly<Required<IpFilterOptions>> = Object.freeze({
  allow: [],
  deny: [],
  trustedProxies: [],
});

/** Resolves IP-filter options (addresses are parsed by the engine, which names a bad entry). */
export function resolveIpFilterOptions(user: IpFilterOptions | undefined): Readonly<Required<IpFilterOptions>> {
  return resolveOptions('ipFilter', ipFilterDefaults, { allow: strings, deny: strings, trustedProxies: strings }, user);
}

/** Defaults of {@link ShieldOptions} (`fallbackRule` is `allow`, set by `shield()`). */
export const shieldDefaults = Object.freeze({
  fallbackError: 'Not Authorised!',
  allowExternalErrors: false,
  debug: false,
  hashFunction: undefined,
  disableFragmentsAndPostExecRules: false,
  forbiddenStatus: 'sole-root-field',
  recordAllowed: 'first',
  logger: undefined,
}) as Readonly<Omit<ShieldOptions, 'fallbackRule'>>;

/** Resolves shield options. */
export function resolveShieldOptions(
  user: ShieldOptions | undefined,
  defaultFallbackRule: ShieldRule,
): Readonly<Required<ShieldOptions>> {
  return resolveOptions(
    'rules',
    { ...shieldDefaults, fallbackRule: defaultFallbackRule } as ShieldOptions,
    {
      fallbackRule: check.object(),
      fallbackError: check.anyOf(check.string(), check.function(), (v) =>
        v instanceof Error ? undefined : 'must be an Error',
      ),
      allowExternalErrors: check.boolean(),
      debug: check.boolean(),
      hashFunction: check.function(),
      disableFragmentsAndPostExecRules: check.boolean(),
      forbiddenStatus: check.oneOf('sole-root-field', 'always', 'never'),
      recordAllowed: check.oneOf('first', 'all', 'none'),
      logger: (v) =>
        v !== null && typeof v === 'object' && typeof (v as { error?: unknown }).error === 'function'
          ? undefined
          : 'must be a logger with an error(message) method',
    },
    user,
  ) as Required<ShieldOptions>;
}

/** Resolves the package's top-level options. */
export function resolveAuthOptions(user: AuthOptions | undefined): Readonly<AuthOptions> {
  return resolveOptions(
    'auth',
    {} as AuthOptions,
    {
      authentication: check.object(),
      ipFilter: check.object(),
      rules: (v) =>
        v !== null &&
        typeof v === 'object' &&
        typeof (v as { transformSchema?: unknown }).transformSchema === 'function'
          ? undefined
          : 'must be the result of shield(ruleTree, options)',
      clock: check.object(),
    },
    user,
  );
}
