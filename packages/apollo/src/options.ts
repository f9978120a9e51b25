import type { AuditOptions } from '@rampart/audit';
import type { AuthenticationOptions, IpFilterOptions, Shield } from '@rampart/auth';
import { type Clock, check, type OptionSchema, type RampartModule, resolveOptions, systemClock } from '@rampart/core';
import type { LimitsOptions } from '@rampart/limits';
import type { RateLimitOptions } from '@rampart/rate-limit';
import type { ScopesOptions } from '@rampart/scopes';
import { type AnomalyOptions, resolveAnomalyOptions } from './anomaly/options.js';
import type { TelemetryOption } from './telemetry.js';
import { resolveTrustedDocumentsOptions, type TrustedDocumentsOptions } from './trusted/options.js';

/** The hardened Apollo Server defaults `rampart()` applies. Every one can be changed. */
export interface HardeningOptions {
  /**
   * Maximum number of tokens in a GraphQL document (Apollo's `parseOptions.maxTokens`). It bounds the
   * parser's work; its stack is protected by {@link HardeningOptions.maxNesting}.
   * @default 4000
   */
  maxTokens: number;
  /**
   * Maximum nesting of `{`, `[` and `(` in a GraphQL document, counted before parsing (brackets in
   * strings and comments do not count). The parser is recursive: under the token cap a document of
   * ~1,750 nested list and object values still overflows its stack. Deeper documents are refused with
   * HTTP 400 `MAX_DEPTH_LIMIT` by `rampart().context` before Apollo parses them (by the plugin when the
   * document arrives another way). An engine error from the parser never reaches a client.
   * @default 200
   */
  maxNesting: number;
  /**
   * Maximum number of selections counted with named fragments expanded (Apollo's
   * `maxRecursiveSelections`): stops fragment "bombs" that are small as text and huge when expanded.
   * @default 10000
   */
  maxRecursiveSelections: number;
  /**
   * Hide "Did you mean …" suggestions in validation errors and in variable coercion errors (which
   * would name input fields and enum values). Done by Rampart's plugin (what Apollo's option of the
   * same name does for validation, without the request listener Apollo's own costs every request).
   * @default true
   */
  hideSchemaDetailsFromClientErrors: boolean;
  /**
   * Allow introspection queries.
   * @default true, except when NODE_ENV is 'production'
   */
  introspection: boolean;
  /**
   * Include stack traces in error responses.
   * @default true, except when NODE_ENV is 'production'
   */
  includeStacktraceInErrorResponses: boolean;
  /**
   * Mask unexpected errors (code `INTERNAL_SERVER_ERROR`) as "Internal server error" with the request
   * id; the original is logged server-side. Errors with any other code pass unchanged.
   * @default true when NODE_ENV is 'production', else false
   */
  maskErrors: boolean;
  /**
   * Batched HTTP requests (a JSON array of operations). `false`: refused (Apollo's default);
   * a number: allowed, with at most that many operations per request (HTTP 400
   * `MAX_BATCH_SIZE_LIMIT` beyond).
   * @default false
   */
  batching: false | number;
  /**
   * Apollo's cache-control plugin instruments every field, which slows large lists down.
   * `'auto'`: kept only when the schema given to `transformSchema` declares `@cacheControl`;
   * `'keep'`: always kept; `'disable'`: always disabled.
   * @default 'auto'
   */
  cacheControl: 'auto' | 'keep' | 'disable';
  /**
   * Execution deadline per operation, in milliseconds; `false` turns it off. On expiry no further
   * resolver starts, the response carries one `EXECUTION_TIMEOUT` error and HTTP status 503 (an
   * operation whose last resolvers finish after the deadline with none refused is answered as it is).
   * Needs `transformSchema` (the check sits in a synchronous wrapper around each resolver).
   * @default 10000
   */
  executionTimeoutMs: number | false;
  /**
   * Request header whose value becomes the request id when well formed (1–128 characters of
   * `[A-Za-z0-9._:-]`); the same header carries the id back on responses (see `exposeRequestId`).
   * @default 'x-request-id'
   */
  requestIdHeader: string;
  /**
   * Which responses carry the request id in `requestIdHeader`. `'errors'`: responses with errors or
   * an error status (the id is in the masked error and the server log), and responses to requests
   * that sent a well-formed id of their own (echoed); `'always'`: every response; `'never'`.
   * `'auto'`: `'always'` when an audit log is configured (it records every request's id), else
   * `'errors'` — the id goes back whenever a server-side record carries it (`hardeningPlugin` used
   * alone, which cannot see the audit log, treats `'auto'` as `'errors'`). Without a header to send and
   * nothing that records it, no id is made for the request at all.
   * @default 'auto'
   */
  exposeRequestId: 'auto' | 'always' | 'errors' | 'never';
}

/** Options of {@link rampart}. Each package's options are documented in its own README. */
export interface RampartOptions {
  /** Hardened Apollo defaults; see {@link HardeningOptions}. */
  hardening?: Partial<HardeningOptions>;
  /**
   * Who is calling: OAuth2 bearer JWTs (JWKS) and API keys (`@rampart/auth`).
   * @default undefined (everyone is anonymous)
   */
  authentication?: AuthenticationOptions;
  /**
   * Who may connect: allow/deny CIDR lists and trusted proxies (`@rampart/auth`).
   * @default undefined (no filtering; the socket peer is the client)
   */
  ipFilter?: IpFilterOptions;
  /**
   * What they may do: the result of `shield(ruleTree, options)` (`@rampart/auth`).
   * @default undefined (no rules)
   */
  rules?: Shield;
  /**
   * Static limits and cost (`@rampart/limits`): depth, height, aliases, root fields, directives,
   * introspection depth, `@cost`/`@listSize` cost, slicing arguments. On by default; `false` turns
   * the package off (the `@cost`/`@listSize` directives stay defined).
   * @default {} (depth 10, aliases 30, root fields 20, directives 50, height 1000, cost 5000, …)
   */
  limits?: LimitsOptions | false;
  /**
   * `@authenticated`, `@requiresScopes`, `@policy` (`@rampart/scopes`). Always on, so a schema that
   * declares a requirement is never served unenforced; these options tune it.
   * @default {} (filter mode: unauthorized fields removed before execution)
   */
  scopes?: Partial<ScopesOptions>;
  /**
   * Rate limits, cost budgets, calendar quotas, throttling and brute-force guards
   * (`@rampart/rate-limit`). Always on, so `@rateLimit` in a schema is never served unenforced;
   * without a `store` the counters live in memory (one process).
   * @default {} (only `@rateLimit` fields are limited; memory store)
   */
  rateLimit?: Partial<RateLimitOptions>;
  /**
   * Audit records (`@rampart/audit`): one per operation and per `@audit` field, redacted, hash-chained.
   * Its plugin runs last, its field wrapper is the outermost Rampart wrapper.
   * @default undefined (no audit log; the `@audit`/`@sensitive` directives are still defined)
   */
  audit?: Partial<AuditOptions>;
  /**
   * Trusted documents (persisted operations): the manifest of the operations first-party clients may
   * send, by id or as text, and what happens to other documents (`mode`: `'enforce'`,
   * `'allow-untrusted'`, `'measure'`). See the README's "Trusted documents".
   * @default undefined (every document is accepted, under the limits)
   */
  trustedDocuments?: Partial<TrustedDocumentsOptions> & Pick<TrustedDocumentsOptions, 'manifest'>;
  /**
   * OpenTelemetry metrics and spans (`@rampart/telemetry`): decisions, cost, depth, time spent in
   * Rampart, rate-limit stores, JWKS fetches, audit writes, open subscriptions. On by default through
   * the global providers (a no-op until an OpenTelemetry SDK is registered); `{ meterProvider,
   * tracerProvider, … }` picks the providers; `false` turns it off.
   * @default true
   */
  telemetry?: TelemetryOption;
  /**
   * The anomaly signal ("spot an attack as it happens"): when one client (principal id, else client
   * id, else address) has `threshold` refused operations within `windowSeconds` — authentication
   * failures, IP, rule and scope denials, limits and rate-limit refusals — the operation that reaches
   * it gets an `anomaly` decision (in its audit record and `rampart.decisions`) and `rampart.anomalies`
   * counts one; at most once per client and window. A signal only: no response changes. `false` turns
   * it off.
   * @default { threshold: 50, windowSeconds: 60, maxClients: 10000 }
   */
  anomaly?: Partial<AnomalyOptions> | false;
  /**
   * Extra modules composed after Rampart's own (for your own directives and plugins).
   * @default []
   */
  modules?: RampartModule[];
  /**
   * The clock every package uses (tests inject one).
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Where Rampart's own warnings (the startup warning about unguarded subscriptions) and the errors
   * of the graphql-ws transport go. Apollo's HTTP pipeline logs through Apollo's logger.
   * @default console
   */
  logger?: RampartLogger;
}

/** Where `rampart()` writes its warnings and the graphql-ws transport its errors. */
export interface RampartLogger {
  warn(message: string): void;
  error(message: string): void;
}

const production = (): boolean => process.env.NODE_ENV === 'production';

/** The hardening defaults, resolved against `NODE_ENV` at call time. */
export function hardeningDefaults(): Readonly<HardeningOptions> {
  return Object.freeze({
    maxTokens: 4000,
    maxNesting: 200,
    maxRecursiveSelections: 10_000,
    hideSchemaDetailsFromClientErrors: true,
    introspection: !production(),
    includeStacktraceInErrorResponses: !production(),
    maskErrors: production(),
    batching: false,
    cacheControl: 'auto',
    executionTimeoutMs: 10_000,
    requestIdHeader: 'x-request-id',
    exposeRequestId: 'auto',
  });
}

const hardeningSchema: OptionSchema<HardeningOptions> = {
  maxTokens: check.integer(1, 1_000_000),
  maxNesting: check.integer(1, 100_000),
  maxRecursiveSelections: check.integer(1, 100_000_000),
  hideSchemaDetailsFromClientErrors: check.boolean(),
  introspection: check.boolean(),
  includeStacktraceInErrorResponses: check.boolean(),
  maskErrors: check.boolean(),
  batching: check.anyOf(check.oneOf(false), check.integer(1, 1000)),
  cacheControl: check.oneOf('auto', 'keep', 'disable'),
  executionTimeoutMs: check.anyOf(check.oneOf(false), check.integer(1, 24 * 3600 * 1000)),
  requestIdHeader: check.string(),
  exposeRequestId: check.oneOf('auto', 'always', 'errors', 'never'),
};

/** Resolved {@link RampartOptions}. */
export interface ResolvedRampartOptions {
  readonly hardening: Readonly<HardeningOptions>;
  /** The packages' own options, as given (each package resolves and checks its own). */
  readonly packages: Readonly<
    Omit<RampartOptions, 'hardening' | 'modules' | 'clock' | 'logger' | 'trustedDocuments' | 'anomaly'>
  >;
  /** The anomaly signal, resolved (`undefined`: off). */
  readonly anomaly: Readonly<AnomalyOptions> | undefined;
  /** Trusted documents, resolved (`undefined`: off). */
  readonly trustedDocuments: Readonly<TrustedDocumentsOptions> | undefined;
  readonly modules: readonly RampartModule[];
  readonly clock: Clock;
  readonly logger: RampartLogger;
}

const topSchema: OptionSchema<RampartOptions> = {
  hardening: check.object(),
  authentication: check.object(),
  ipFilter: check.object(),
  rules: check.object(),
  limits: check.anyOf(check.oneOf(false), check.object()),
  scopes: check.object(),
  rateLimit: check.object(),
  audit: check.object(),
  trustedDocuments: check.object(),
  telemetry: check.anyOf(check.boolean(), check.object()),
  anomaly: check.anyOf(check.oneOf(false), check.object()),
  modules: check.arrayOf(check.object()),
  clock: check.object(),
  logger: check.object(),
};

/** Resolves and checks every option of {@link rampart} in one place. */
export function resolveRampartOptions(options: RampartOptions = {}): ResolvedRampartOptions {
  const top = resolveOptions<RampartOptions>('rampart', {}, topSchema, options);
  const resolved = resolveOptions('rampart.hardening', hardeningDefaults(), hardeningSchema, top.hardening);
  // header names are case-insensitive: keep one spelling for lookups
  const hardening = Object.freeze({
    ...resolved,
    requestIdHeader: resolved.requestIdHeader.toLowerCase(),
    exposeRequestId: resolved.exposeRequestId === 'auto' ? (top.audit ? 'always' : 'errors') : resolved.exposeRequestId,
  });
  const { hardening: _h, modules, clock, logger, trustedDocuments, anomaly, ...packages } = top;
  return {
    hardening,
    packages,
    anomaly: resolveAnomalyOptions(anomaly),
    trustedDocuments: trustedDocuments ? resolveTrustedDocumentsOptions(trustedDocuments) : undefined,
    modules: modules ?? [],
    clock: clock ?? systemClock,
    logger: logger ?? console,
  };
}
