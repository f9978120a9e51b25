import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApolloServerOptions, BaseContext } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { type Rampart, type RampartOptions, rampart } from '@rampart/apollo';
import { loadOrCreateAuditKeys } from '@rampart/audit';
import { redisStore } from '@rampart/rate-limit';
import type { GraphQLSchema } from 'graphql';
import { ShopData } from './data.js';
import {
  DEV_AUDIENCE,
  DEV_BACK_OFFICE_ISSUER,
  DEV_ISSUER,
  type DevJwksServer,
  devKeysDir,
  devSigningKeys,
  partnerApiKey,
  startDevJwks,
} from './dev-identity.js';
import { createLoaders, resolvers, type ShopContext } from './resolvers.js';
import { shopRules } from './rules.js';

/** Where the example writes its audit log by default (git-ignored; `SHOP_AUDIT_DIR` moves it). */
export const defaultAuditDir = process.env.SHOP_AUDIT_DIR ?? new URL('../.data/audit', import.meta.url).pathname;

/** The example's schema SDL (without Rampart's directive definitions). */
export const shopTypeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

/** Options of {@link createShop}. */
export interface ShopOptions {
  /** Redis for every rate-limit policy; in-memory stores when absent. @default process.env.REDIS_URL */
  redisUrl?: string | undefined;
  /**
   * Overrides merged into the recommended Rampart configuration (tests and benchmarks use it):
   * top-level keys replace the recommended ones, except `hardening` and `rateLimit`, merged key by key.
   */
  rampart?: RampartOptions;
  /** The data (a fresh seeded store by default). */
  data?: ShopData;
  /** Where the dev keys are kept (created on first run). @default examples/shop/.dev-keys */
  devKeysDir?: string;
  /** Where the audit log and its checkpoints are written. @default examples/shop/.data/audit */
  auditDir?: string;
}

/** Everything needed to serve the shop: schema, Apollo config, and the context function. */
export interface Shop {
  readonly security: Rampart;
  readonly schema: GraphQLSchema;
  readonly data: ShopData;
  /** Apollo server config: schema, the preset's server options and Rampart's plugins. */
  readonly apolloConfig: ApolloServerOptions<BaseContext>;
  /** The graphql-ws hooks (`security.graphqlWs()`): spread them last into `useServer`'s options. */
  readonly graphqlWs: ReturnType<Rampart['graphqlWs']>;
  /** The context function for Apollo's HTTP integrations (standalone, Express). */
  readonly context: (args: { req: import('node:http').IncomingMessage }) => Promise<ShopContext>;
  /** The dev JWKS endpoint the shop verifies tokens against. */
  readonly jwksUri: string;
  /** The partner integration's API key (dev only: kept in the git-ignored `.dev-keys/`). */
  readonly partnerApiKey: string;
  /** Stops what the shop started besides Apollo (the dev JWKS endpoint). */
  close(): Promise<void>;
}

/** What the recommended configuration needs from the environment. */
export interface ShopEnvironment {
  jwksUri: string;
  partnerApiKeyHash: string;
  redisUrl?: string | undefined;
  /** Folder of the audit log (`audit.log`) and its signed checkpoints (`audit.log.checkpoints`). */
  auditDir: string;
  /** HMAC key of the audit chain. */
  auditHmacKey: Buffer;
  /** Ed25519 private key (PEM) signing the audit checkpoints. */
  auditSigningKeyPem: string;
  /** The shop's public GraphQL URL, when it runs behind a proxy (DPoP proofs name it). */
  publicUrl?: string | undefined;
}

/**
 * The recommended Rampart configuration for the shop, every protection on. Each block is explained
 * in examples/shop/README.md.
 */
export function recommendedRampartOptions(env: ShopEnvironment): RampartOptions {
  return {
    hardening: {
      // the preset's defaults; batching stays off (no client of the shop batches)
      executionTimeoutMs: 10_000,
    },
    authentication: authenticationOptions(env),
    limits: limitsOptions(),
    ipFilter: {
      // a reverse proxy on this host: the client is the right-most untrusted X-Forwarded-For entry
      trustedProxies: ['127.0.0.1', '::1'],
      // networks that abused the API (here a documentation range, as an example)
      deny: ['203.0.113.0/24'],
    },
    rules: shopRules(),
    rateLimit: rateLimitOptions(env),
    scopes: {
      // like Apollo Router: unauthorized fields come back null with an error, the rest runs
      mode: 'filter',
      // callers see only the part of the schema they may use
      filterIntrospection: true,
    },
    audit: auditOptions(env),
  };
}

/** Who may call: the identity provider's tokens (storefront and back office) and the partner's API key. */
function authenticationOptions(env: ShopEnvironment): NonNullable<RampartOptions['authentication']> {
  const provider = {
    audience: DEV_AUDIENCE,
    algorithms: ['RS256'],
    jwksUri: env.jwksUri,
    typ: 'at+jwt',
    rolesClaim: 'roles',
  };
  return {
    jwt: [
      // customers' storefront apps and the storefront itself: RFC 9068 access tokens, a day at most
      { ...provider, issuer: DEV_ISSUER, maxTokenAgeSeconds: 24 * 3600 },
      // back-office staff: tokens bound to the back-office machine's key (DPoP, RFC 9449), so a token
      // copied off it is useless elsewhere; proofs must name the shop's public URL behind a proxy
      {
        ...provider,
        issuer: DEV_BACK_OFFICE_ISSUER,
        maxTokenAgeSeconds: 8 * 3600,
        dpop: { mode: 'required', ...(env.publicUrl ? { publicUrl: env.publicUrl } : {}) },
      },
    ],
    // the partner integration: an API key, configured by its SHA-256 hash only
    apiKeys: {
      keys: [
        {
          clientId: 'partner-integration',
          hash: env.partnerApiKeyHash,
          scopes: ['orders:read:all'],
          // the partner calls from its own servers only (here: this machine)
          allowedCidrs: ['127.0.0.0/8', '::1/128'],
        },
      ],
    },
  };
}

/** What one operation may ask for. */
function limitsOptions(): NonNullable<RampartOptions['limits']> {
  return {
    // the defaults, spelt out: what a storefront and a back office need, with room to spare
    depth: 10,
    aliases: 30,
    rootFields: 20,
    directives: 50,
    height: 1000,
    cost: { max: 5000 },
    // GitHub-style: `first` at most 1,000 on every list that takes it
    slicing: { max: 1000 },
    // per-coordinate overrides: login can't be batched through aliases
    overrides: { 'Mutation.login': { aliases: 0 } },
    exposeCost: process.env.NODE_ENV !== 'production',
  };
}

/** How much each client may do: operations, cost budget, partner quota, storefront throttling, login pacing. */
function rateLimitOptions(env: ShopEnvironment): NonNullable<RampartOptions['rateLimit']> {
  return {
    // REDIS_URL: counters shared by every replica, exact (one atomic script before parsing, one after)
    ...(env.redisUrl ? { store: redisStore(env.redisUrl), onStoreError: 'fallback-memory' as const } : {}),
    prefix: 'rampart:shop:',
    // every client (user, API client, else IP) may send 300 operations a minute, whatever they cost:
    // the cost budget alone never stops a flood of operations that cost nothing (`{ __typename }`)
    operation: { limit: 300, duration: 60 },
    // every client has a cost budget (Shopify-style leaky bucket), charged with the estimated cost
    // before execution and refunded to the actual cost after
    costBudget: { maximumAvailable: 10_000, restoreRate: 500, exposeExtension: true },
    // clients see their budget (`extensions.cost`) and limits (RateLimit headers) on every response
    headers: true,
    // the partner integration's contract: 6,000 calls a calendar month (UTC)
    quotas: [
      {
        name: 'partner-monthly',
        period: 'month',
        limit: 6000,
        appliesTo: (principal) => principal.clientId === 'partner-integration',
      },
    ],
    // over the budget, the storefront (its app's tokens and anonymous shoppers) slows down (up to
    // 1 s) before it is refused; API clients such as the partner get their 429 at once
    throttle: {
      mode: 'delay',
      maxDelayMs: 1000,
      appliesTo: (principal) => principal.clientId === 'storefront' || principal.kind === 'anonymous',
    },
    // login: 5 failures per (email, IP) and 100 per IP block for 15 minutes; attempts at one email
    // from all addresses are paced (5 at once, then 1 s doubling to 60 s); a success resets
    bruteForce: [
      {
        field: 'Mutation.login',
        identifierArgument: 'email',
        maxFailures: 5,
        blockSeconds: 900,
        isFailure: (result) => (result as { success?: boolean } | null)?.success === false,
      },
    ],
  };
}

/** What is recorded: one chained, checkpointed record per operation, more for admins' mutations. */
function auditOptions(env: ShopEnvironment): NonNullable<RampartOptions['audit']> {
  return {
    // group commit (the default): the records of one event-loop turn in one write, flushed on shutdown;
    // a SIGKILL loses at most that turn's records (`durability: 'sync'` loses none, at a write per record)
    destination: join(env.auditDir, 'audit.log'),
    // one record per operation at metadata level (no values); @audit fields and mutation root fields
    // get their own records; admins' mutations are recorded with their (redacted) arguments
    level: 'metadata',
    rules: [{ level: 'request', operationTypes: ['mutation'], roles: ['admin'] }],
    chain: {
      key: env.auditHmacKey,
      checkpoints: {
        path: join(env.auditDir, 'audit.log.checkpoints'),
        privateKey: env.auditSigningKeyPem,
        every: 1000,
      },
    },
  };
}

/** Builds the shop with Rampart (and starts its dev JWKS endpoint). */
export async function createShop(options: ShopOptions = {}): Promise<Shop> {
  const data = options.data ?? new ShopData();
  const dir = options.devKeysDir ?? devKeysDir;
  const keys = await devSigningKeys(dir);
  const partner = await partnerApiKey(dir);
  const jwks: DevJwksServer = await startDevJwks(keys);
  const auditKeys = loadOrCreateAuditKeys(dir);
  const recommended = recommendedRampartOptions({
    jwksUri: jwks.jwksUri,
    partnerApiKeyHash: partner.hash,
    redisUrl: options.redisUrl,
    auditDir: options.auditDir ?? defaultAuditDir,
    auditHmacKey: auditKeys.hmacKey,
    auditSigningKeyPem: auditKeys.privateKeyPem,
    publicUrl: process.env.SHOP_PUBLIC_URL,
  });
  const security = rampart({
    ...recommended,
    ...options.rampart,
    hardening: { ...recommended.hardening, ...options.rampart?.hardening },
    rateLimit: { ...recommended.rateLimit, ...options.rampart?.rateLimit },
  });
  // the shop's context for subscriptions too (before transformSchema: it knows they are guarded)
  const graphqlWs = security.graphqlWs({ context: async () => ({ data, loaders: createLoaders(data) }) });
  const schema = security.transformSchema(
    makeExecutableSchema({ typeDefs: [security.typeDefs, shopTypeDefs], resolvers }),
  );
  return {
    security,
    schema,
    data,
    apolloConfig: { schema, ...security.serverOptions, plugins: security.plugins },
    graphqlWs,
    context: security.context(async () => ({ data, loaders: createLoaders(data) })),
    jwksUri: jwks.jwksUri,
    partnerApiKey: partner.key,
    close: () => jwks.stop(),
  };
}
