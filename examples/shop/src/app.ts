import { readFileSync } from 'node:fs';
import type { ApolloServerOptions, BaseContext } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { type Rampart, type RampartOptions, rampart } from '@rampart/apollo';
import type { GraphQLSchema } from 'graphql';
import { ShopData } from './data.js';
import { createLoaders, resolvers, type ShopContext } from './resolvers.js';

/** The example's schema SDL (without Rampart's directive definitions). */
export const shopTypeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

/** Options of {@link createShop}. */
export interface ShopOptions {
  /** Redis for every rate-limit policy; in-memory stores when absent. @default process.env.REDIS_URL */
  redisUrl?: string | undefined;
  /** Overrides merged into the recommended Rampart configuration (tests use it). */
  rampart?: RampartOptions;
  /** The data (a fresh seeded store by default). */
  data?: ShopData;
}

/** Everything needed to serve the shop: schema, Apollo config, and the context function. */
export interface Shop {
  readonly security: Rampart;
  readonly schema: GraphQLSchema;
  readonly data: ShopData;
  /** Apollo server config: schema, the preset's server options and Rampart's plugins. */
  readonly apolloConfig: ApolloServerOptions<BaseContext>;
  /** The context function for `startStandaloneServer`. */
  readonly context: (args: { req: import('node:http').IncomingMessage }) => Promise<ShopContext>;
}

/**
 * The recommended Rampart configuration for the shop, every protection on. Each block is explained
 * in examples/shop/README.md.
 */
export function recommendedRampartOptions(_options: ShopOptions): RampartOptions {
  return {
    hardening: {
      // keep the presets' defaults; batching stays off (no client of the shop batches)
      executionTimeoutMs: 10_000,
    },
  };
}

/** Builds the shop with Rampart. */
export function createShop(options: ShopOptions = {}): Shop {
  const data = options.data ?? new ShopData();
  const recommended = recommendedRampartOptions(options);
  const security = rampart({
    ...recommended,
    ...options.rampart,
    hardening: { ...recommended.hardening, ...options.rampart?.hardening },
  });
  const schema = security.transformSchema(
    makeExecutableSchema({ typeDefs: [security.typeDefs, shopTypeDefs], resolvers }),
  );
  return {
    security,
    schema,
    data,
    apolloConfig: { schema, ...security.serverOptions, plugins: security.plugins },
    context: security.context(async () => ({ data, loaders: createLoaders(data) })),
  };
}
