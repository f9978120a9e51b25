import type { ApolloServerOptions, ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { type Audit, type AuditModule, auditModule, auditTypeDefs } from '@rampart/audit';
import { authModule } from '@rampart/auth';
import { MODULE_PHASES, type ModulePhase, type RampartModule, type RequestInfo } from '@rampart/core';
import { costDirectivesTypeDefs, limitsModule } from '@rampart/limits';
import { rateLimitDefaults, rateLimitModule } from '@rampart/rate-limit';
import { scopesModule } from '@rampart/scopes';
import type { RampartTelemetry } from '@rampart/telemetry';
import type { GraphQLSchema } from 'graphql';
import { anomalyModule } from './anomaly/module.js';
import { composePlugins } from './compose.js';
import { type SecurityContextFunction, securityContext, type UserContextFunction } from './context.js';
import { withDeadlineChecks } from './deadline.js';
import { withDpopReplayStore } from './dpop-replay.js';
import { collectHealth, type RampartHealth } from './health.js';
import { type RampartOptions, type ResolvedRampartOptions, resolveRampartOptions } from './options.js';
import { hardeningPlugin } from './plugin.js';
import { normaliseRequest } from './request-shapes.js';
import { schemaUsesCacheControl } from './schema.js';
import { telemetryOf, withTelemetry } from './telemetry.js';
import { type TrustedDocumentsControl, trustedDocumentsSetup } from './trusted/setup.js';
import type { GraphqlWsOptions } from './ws/options.js';
import { guardedSubscriptionFields, unguardedSubscriptionsWarning } from './ws/schema-warning.js';
import { type GraphqlWsServerOptions, graphqlWsHooks } from './ws/server.js';

/** The part of Apollo's server options `rampart()` sets; spread it into `new ApolloServer({...})`. */
export type RampartServerOptions = Pick<
  ApolloServerOptions<BaseContext>,
  | 'parseOptions'
  | 'maxRecursiveSelections'
  | 'introspection'
  | 'includeStacktraceInErrorResponses'
  | 'allowBatchedHttpRequests'
  | 'documentStore'
>;

/** What {@link rampart} returns: the pieces to spread into Apollo. */
export interface Rampart {
  /** SDL of every Rampart directive; put it first in your `typeDefs`. */
  readonly typeDefs: string;
  /** Applies every Rampart schema transform (call it on your executable schema, once). */
  transformSchema(schema: GraphQLSchema): GraphQLSchema;
  /**
   * Apollo plugins, in Rampart's order. Read it after `transformSchema` (the cache-control decision
   * in `'auto'` mode depends on the schema).
   */
  readonly plugins: ApolloServerPlugin<BaseContext>[];
  /** Apollo server options of the hardened preset. */
  readonly serverOptions: RampartServerOptions;
  /**
   * Wraps your context function for any of Apollo's HTTP integrations (the shapes are in
   * `request-shapes.ts`: `{ req }` of standalone and Express, Fastify's `(request, reply)`, a Fetch
   * `Request`, AWS Lambda's `{ event, context }`): builds the security state (request id, principal via
   * the authentication modules), refuses documents nested too deep, then calls yours with the
   * integration's arguments and the state appended (`async ({ req }, state) => …`, for Fastify
   * `async (request, reply, state) => …`), and returns a copy of what yours returned with the state
   * attached. An argument list of no known shape fails the request (HTTP 500, `RampartConfigError`
   * logged) instead of serving an anonymous caller.
   */
  context<TArgs extends readonly unknown[], TContext extends object = BaseContext>(
    userContext?: UserContextFunction<TArgs, TContext>,
  ): SecurityContextFunction<TArgs, TContext>;
  /**
   * The graphql-ws server hooks that guard subscriptions (and any operation sent over the socket) as
   * the HTTP pipeline is guarded: spread them into `useServer({ schema, ...security.graphqlWs({ context }) }, wsServer)`
   * (last: they must not be overridden). Authenticates the `connection_init` payload and the upgrade
   * request (close 4401/4403), runs the limits, scopes, rate limits and audit of every `subscribe`
   * (refusals are `error` messages with Rampart's codes), closes the connection (4401) when its token
   * expires, and caps subscriptions and messages per connection. See the README's "Subscriptions".
   */
  graphqlWs<TContext extends object = object>(options?: GraphqlWsOptions<TContext>): GraphqlWsServerOptions;
  /**
   * Trusted documents (`trustedDocuments` option): `reload()` reads the manifest again; `undefined`
   * when the option is not set.
   */
  readonly trustedDocuments: TrustedDocumentsControl | undefined;
  /** The resolved options (for inspection and tests). */
  readonly options: ResolvedRampartOptions;
  /**
   * The audit trail when `audit` is configured, else undefined: `rotateKey()` rotates its keys on the
   * running server; `writer()` shows its health and drops.
   */
  readonly audit: Audit | undefined;
  /**
   * The state of what Rampart depends on outside a request (rate-limit stores, remote JWKS, the audit
   * writer) and an overall `status` (`up`, `degraded`, `down`; see {@link RampartHealth}), for a
   * readiness endpoint. Plain JSON with no secrets, tokens, keys, addresses or principal ids.
   */
  health(): RampartHealth;
  /**
   * The OpenTelemetry telemetry (option `telemetry`), started with the Apollo server (or by
   * `graphqlWs()`) and stopped with it; `undefined` when turned off.
   */
  readonly telemetry: RampartTelemetry | undefined;
}

/**
 * The packages' modules and the user's, ordered by {@link ModulePhase} (identity, checks, accounting,
 * audit); within a phase, Rampart's modules first, then the user's in the order given.
 */
function orderedModules(resolved: ResolvedRampartOptions): RampartModule[] {
  const phaseOf = (m: RampartModule) => MODULE_PHASES.indexOf(m.phase ?? 'checks');
  // Array.prototype.sort is stable: the order within a phase is kept
  return packageModules(resolved).sort((a, b) => phaseOf(a) - phaseOf(b));
}

/** The configured packages' modules, then the user's. */
function packageModules(resolved: ResolvedRampartOptions): RampartModule[] {
  const p = resolved.packages;
  const modules: RampartModule[] = [];
  if (p.authentication || p.ipFilter || p.rules) {
    modules.push(
      authModule({
        // DPoP proofs are remembered in the rate-limit store (one replay cache across replicas)
        ...(p.authentication
          ? {
              authentication: withDpopReplayStore(
                p.authentication,
                p.rateLimit?.store,
                p.rateLimit?.prefix ?? rateLimitDefaults.prefix,
              ),
            }
          : {}),
        ...(p.ipFilter ? { ipFilter: p.ipFilter } : {}),
        ...(p.rules ? { rules: p.rules } : {}),
      }),
    );
  }
  // limits before scopes and rate-limit: the estimated cost it writes is what rate-limit charges
  modules.push(
    p.limits === false ? { name: 'limits', phase: 'checks', typeDefs: costDirectivesTypeDefs } : limitsModule(p.limits),
  );
  modules.push(scopesModule(p.scopes));
  // after limits (reads the estimated and actual cost), after scopes (a refused operation is refunded)
  modules.push(rateLimitModule({ clock: resolved.clock, ...p.rateLimit }));
  modules.push(...resolved.modules);
  // just before audit: the record of the operation that crosses the threshold carries the anomaly
  if (resolved.anomaly) modules.push(anomalyModule(resolved.anomaly));
  // audit last: its plugin sees the final response and every decision; its field wrapper is outermost
  modules.push(p.audit ? auditModule(p.audit) : { name: 'audit', phase: 'audit', typeDefs: auditTypeDefs });
  return modules;
}

/**
 * Composes the Rampart suite for Apollo Server 5: hardened defaults plus every configured package.
 *
 * @example
 * ```ts
 * const security = rampart({ hardening: { batching: 5 } });
 * const schema = security.transformSchema(makeExecutableSchema({ typeDefs: [security.typeDefs, typeDefs], resolvers }));
 * const server = new ApolloServer({ schema, ...security.serverOptions, plugins: [...security.plugins] });
 * await startStandaloneServer(server, { context: security.context(async ({ req }) => ({ db })) });
 * ```
 */
export function rampart(options: RampartOptions = {}): Rampart {
  const resolved = resolveRampartOptions(options);
  const { hardening, clock, logger } = resolved;
  const modules = orderedModules(resolved);
  let schemaHasCacheControl: boolean | undefined;
  /** The schema `transformSchema` returned last (what `graphqlWs()` runs operations against). */
  let transformed: GraphQLSchema | undefined;
  /** `graphqlWs()` was called: no warning about unguarded subscriptions. */
  let wsGuarded = false;
  let warned = false;

  const typeDefs = modules
    .map((m) => m.typeDefs ?? '')
    .filter((t) => t.trim().length > 0)
    .join('\n');

  const trusted = trustedDocumentsOf(resolved, modules);
  const telemetry = telemetryOf(resolved.packages.telemetry);
  const composed = withTelemetry(presetPlugin(resolved, modules, trusted?.plugin), telemetry);

  return {
    typeDefs,
    options: resolved,
    trustedDocuments: trusted?.control,
    telemetry,
    transformSchema(schema) {
      schemaHasCacheControl = schemaUsesCacheControl(schema);
      let out = schema;
      for (const m of transformOrder(modules)) out = m.transformSchema?.(out) ?? out;
      if (hardening.executionTimeoutMs !== false) out = withDeadlineChecks(out);
      transformed = out;
      if (!wsGuarded && !warned) {
        const fields = guardedSubscriptionFields(out);
        if (fields.length > 0) {
          warned = true;
          logger.warn(unguardedSubscriptionsWarning(fields));
        }
      }
      return out;
    },
    graphqlWs(wsOptions) {
      wsGuarded = true;
      telemetry?.start(); // a server with graphql-ws only has no Apollo start to start it
      return graphqlWsHooks(
        {
          modules,
          hardening,
          clock,
          logger,
          apiKeyHeader: resolved.packages.authentication?.apiKeys?.header ?? 'x-api-key',
          schema: () => transformed,
          trustedDocuments: trusted?.wsStep,
        },
        wsOptions,
      );
    },
    get plugins() {
      const disableCacheControl =
        hardening.cacheControl === 'disable' || (hardening.cacheControl === 'auto' && schemaHasCacheControl !== true);
      return [
        composed,
        ...(disableCacheControl ? [ApolloServerPluginCacheControlDisabled() as ApolloServerPlugin<BaseContext>] : []),
      ];
    },
    serverOptions: {
      parseOptions: { maxTokens: hardening.maxTokens },
      maxRecursiveSelections: hardening.maxRecursiveSelections,
      introspection: hardening.introspection,
      includeStacktraceInErrorResponses: hardening.includeStacktraceInErrorResponses,
      allowBatchedHttpRequests: hardening.batching !== false,
      // trusted documents parsed and validated once, at load (others in a bounded LRU)
      ...(trusted ? { documentStore: trusted.documentStore } : {}),
    },
    context: securityContext({ modules, hardening, clock }),
    health: () => collectHealth(modules, clock.now()),
    audit: modules.find((m): m is AuditModule => m.name === 'audit' && 'audit' in m)?.audit,
  };
}

/**
 * One Apollo plugin for the preset and every module: Apollo's per-listener cost is paid once. The
 * trusted documents decide right after the preset (which forks a batch's states), before any module.
 */
function presetPlugin(
  resolved: ResolvedRampartOptions,
  modules: readonly RampartModule[],
  trustedPlugin: ApolloServerPlugin<BaseContext> | undefined,
): ApolloServerPlugin<BaseContext> {
  return composePlugins([
    hardeningPlugin(resolved.hardening, resolved.clock),
    ...(trustedPlugin ? [trustedPlugin] : []),
    ...modules.flatMap((m) => m.plugins ?? []),
  ]);
}

/** The trusted documents' parts, when configured: each module prepares what it can of every document at load. */
function trustedDocumentsOf(resolved: ResolvedRampartOptions, modules: readonly RampartModule[]) {
  if (!resolved.trustedDocuments) return undefined;
  const preparers = modules.flatMap((m) => (m.prepareDocument ? [m.prepareDocument.bind(m)] : []));
  return trustedDocumentsSetup(resolved.trustedDocuments, preparers, resolved.hardening.introspection);
}

/** The order schema transforms are applied in, by phase: the last applied wraps outermost. */
const TRANSFORM_RANK: Readonly<Record<ModulePhase, number>> = { accounting: 0, checks: 1, identity: 2, audit: 3 };

/**
 * Schema transforms wrap resolvers: the last applied runs first. Applied innermost first: accounting
 * (so a call the rules or checks deny is never charged), then checks, then identity (the rules decide
 * first), then audit (outermost: it records the outcome of everything inside); the deadline check is
 * added after all of them.
 */
function transformOrder(modules: readonly RampartModule[]): RampartModule[] {
  const rank = (m: RampartModule) => TRANSFORM_RANK[m.phase ?? 'checks'];
  return [...modules].sort((a, b) => rank(a) - rank(b));
}

/**
 * Normalises a context call's arguments (any shape `context()` knows) into Rampart's {@link RequestInfo}.
 *
 * @throws RampartConfigError when neither headers nor a peer address can be found in them.
 */
export function requestInfo(...args: readonly unknown[]): RequestInfo {
  return normaliseRequest(args).info;
}
