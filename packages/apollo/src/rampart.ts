import type { IncomingMessage } from 'node:http';
import type { ApolloServerOptions, ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { auditModule, auditTypeDefs } from '@rampart/audit';
import { authModule } from '@rampart/auth';
import {
  anonymousPrincipal,
  attachSecurityState,
  canonicalAddress,
  type RampartModule,
  type RequestInfo,
  requestInfoFrom,
  SecurityState,
  wellFormedRequestId,
} from '@rampart/core';
import { costDirectivesTypeDefs, limitsModule } from '@rampart/limits';
import { rateLimitModule } from '@rampart/rate-limit';
import { scopesModule } from '@rampart/scopes';
import type { GraphQLSchema } from 'graphql';
import { composePlugins } from './compose.js';
import { withDeadlineChecks } from './deadline.js';
import { checkNestingAtTheDoor, type RequestWithDocument } from './nesting.js';
import { type RampartOptions, type ResolvedRampartOptions, resolveRampartOptions } from './options.js';
import { hardeningPlugin } from './plugin.js';
import { schemaUsesCacheControl } from './schema.js';

/** The part of Apollo's server options `rampart()` sets; spread it into `new ApolloServer({...})`. */
export type RampartServerOptions = Pick<
  ApolloServerOptions<BaseContext>,
  | 'parseOptions'
  | 'maxRecursiveSelections'
  | 'introspection'
  | 'includeStacktraceInErrorResponses'
  | 'allowBatchedHttpRequests'
>;

/**
 * What integrations pass to a context function: Node's request (standalone, express, …). Its parsed
 * JSON `body` (and, for GET, its `url`) is read for the GraphQL documents' nesting before Apollo parses.
 */
export interface ContextArgs {
  req: Pick<IncomingMessage, 'headers'> & {
    socket?: { remoteAddress?: string | undefined } | undefined;
  } & RequestWithDocument;
}

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
   * Wraps your context function: builds the security state (request id, principal via the
   * authentication modules), then calls yours and attaches the state to what it returns.
   */
  context<TArgs extends ContextArgs, TContext extends object = BaseContext>(
    userContext?: (args: TArgs) => TContext | Promise<TContext>,
  ): (args: TArgs) => Promise<TContext>;
  /** The resolved options (for inspection and tests). */
  readonly options: ResolvedRampartOptions;
}

/**
 * The packages' modules in Rampart's order: authentication and IP filtering first (they set the
 * principal everyone else reads), the user's modules after Rampart's.
 */
function orderedModules(resolved: ResolvedRampartOptions): RampartModule[] {
  const p = resolved.packages;
  const modules: RampartModule[] = [];
  if (p.authentication || p.ipFilter || p.rules) {
    modules.push(
      authModule({
        ...(p.authentication ? { authentication: p.authentication } : {}),
        ...(p.ipFilter ? { ipFilter: p.ipFilter } : {}),
        ...(p.rules ? { rules: p.rules } : {}),
      }),
    );
  }
  // limits before scopes and rate-limit: the estimated cost it writes is what rate-limit charges
  modules.push(p.limits === false ? { name: 'limits', typeDefs: costDirectivesTypeDefs } : limitsModule(p.limits));
  modules.push(scopesModule(p.scopes));
  // after limits (reads the estimated and actual cost), after scopes (a refused operation is refunded)
  modules.push(rateLimitModule({ clock: resolved.clock, ...p.rateLimit }));
  modules.push(...resolved.modules);
  // audit last: its plugin sees the final response and every decision; its field wrapper is outermost
  modules.push(p.audit ? auditModule(p.audit) : { name: 'audit', typeDefs: auditTypeDefs });
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
  const { hardening, clock } = resolved;
  const modules = orderedModules(resolved);
  let schemaHasCacheControl: boolean | undefined;

  const typeDefs = modules
    .map((m) => m.typeDefs ?? '')
    .filter((t) => t.trim().length > 0)
    .join('\n');

  // one Apollo plugin for the preset and every module: Apollo's per-listener cost is paid once
  const composed = composePlugins([hardeningPlugin(hardening, clock), ...modules.flatMap((m) => m.plugins ?? [])]);

  return {
    typeDefs,
    options: resolved,
    transformSchema(schema) {
      schemaHasCacheControl = schemaUsesCacheControl(schema);
      let out = schema;
      for (const m of transformOrder(modules)) out = m.transformSchema?.(out) ?? out;
      if (hardening.executionTimeoutMs !== false) out = withDeadlineChecks(out);
      return out;
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
    },
    context(userContext) {
      const requestModules = modules.filter((m) => m.onRequest);
      return async (args) => {
        const info = requestInfo(args);
        const state = new SecurityState({
          clock,
          headers: info.headers,
          // a well-formed incoming id, else none yet: the state makes one when something reads it
          requestId: wellFormedRequestId(info.headers.get(hardening.requestIdHeader)),
          // one spelling per address (`::ffff:10.0.0.1` is `10.0.0.1`), so every key made from it is one key
          principal: anonymousPrincipal(canonicalAddress(info.remoteAddress)),
        });
        try {
          for (const m of requestModules) {
            const r = m.onRequest!(state, info);
            if (r !== undefined) await r; // only asynchronous steps cost a microtask
          }
          // after authentication and the request-level limits (the refusal is charged and attributed),
          // before Apollo parses: a document nested too deep never reaches the parser
          checkNestingAtTheDoor(args?.req, hardening.maxNesting, state);
        } catch (error) {
          // lets plugins that see the failure (contextCreationDidFail: the audit record) find the state
          if (error !== null && typeof error === 'object') attachSecurityState(error, state);
          throw error;
        }
        const value = userContext ? await userContext(args) : ({} as never);
        const ctx = (value ?? {}) as object;
        attachSecurityState(ctx, state);
        return ctx as never;
      };
    },
  };
}

/**
 * Schema transforms wrap resolvers: the last applied runs first. Applied innermost first: rate limits
 * (so a call the rules deny is not charged), then the rules, then the rest, then audit (outermost: it
 * records the outcome of everything inside); the deadline check is added after all of them.
 */
function transformOrder(modules: readonly RampartModule[]): RampartModule[] {
  const rank = (m: RampartModule) => (m.name === 'rate-limit' ? 0 : m.name === 'auth' ? 1 : m.name === 'audit' ? 3 : 2);
  return [...modules].sort((a, b) => rank(a) - rank(b));
}

/** Normalises Node's request into Rampart's {@link RequestInfo}. */
export function requestInfo(args: ContextArgs): RequestInfo {
  return requestInfoFrom(args?.req);
}
