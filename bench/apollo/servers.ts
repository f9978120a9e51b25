// The servers the Apollo benchmarks compare: the shop as bare Apollo or Apollo + rampart().
//   bare: Apollo Server with its defaults; preset: rampart() with its defaults (hardening, limits,
//   scopes, rate limits on @rateLimit fields) on the shop schema; rampart: the shop as we recommend it
//   (every package configured: authentication, rules, scopes, limits, budgets/quotas, audit log).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { type RampartOptions, rampart } from '@rampart/apollo';
import { createShop, shopTypeDefs } from '@rampart/example-shop/app';
import { ShopData } from '@rampart/example-shop/data';
import { createLoaders, resolvers } from '@rampart/example-shop/resolvers';
import { registerContextManager, registerInMemorySdk } from './otel-sdk.js';

/** The options of each `preset:<variant>` ('' is the preset itself). */
const presetVariants: Record<string, RampartOptions> = {
  '': {},
  nodeadline: { hardening: { executionTimeoutMs: false } },
  nolimits: { limits: false },
  keepcache: { hardening: { cacheControl: 'keep' } },
  nomask: { hardening: { maskErrors: false } },
  idalways: { hardening: { exposeRequestId: 'always' } },
  noplugins: {},
  nocontext: {},
  notelemetry: { telemetry: false },
  otel: {},
  als: {},
};

/** A plugin that burns `us` microseconds of CPU per request. */
function spin(us: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const end = performance.now() + us / 1000;
      while (performance.now() < end);
    },
  };
}

/** A server of the benchmarks and the context function it is served with. */
export interface BenchServer {
  server: ApolloServer;
  context: (args: any) => Promise<any>;
}

/**
 * Builds a benchmark server. Modes: bare | preset | rampart; `preset:<variant>` changes one default, to
 * see where the preset's cost goes: nodeadline, nolimits, keepcache, nomask, idalways (a request id
 * made and sent on every response), noplugins (the preset's schema, options and context, no plugin),
 * nocontext (no `rampart().context`), notelemetry (`telemetry: false`; the preset's telemetry is on
 * through the global OpenTelemetry API, a no-op without an SDK), otel (an OpenTelemetry SDK registered
 * with in-memory exporters, see otel-sdk.ts), als (only the SDK's AsyncLocalStorage context manager,
 * no provider: the share of `otel` that is not Rampart's); `rampart:notelemetry`, `rampart:als` and `rampart:otel` likewise for
 * the shop; `bare:nocache` is bare Apollo without its cache-control plugin,
 * `bare:spin<N>` bare Apollo plus N µs of busy work per request (a known overhead).
 */
export async function buildServer(spec: string): Promise<BenchServer> {
  const [mode, variant] = spec.split(':');
  let server: ApolloServer;
  let context: (args: any) => Promise<any>;
  if (mode === 'bare') {
    const data = new ShopData();
    // the shop's SDL uses Rampart's directives: declare them (declarations only, nothing enforces them)
    server = new ApolloServer({
      schema: makeExecutableSchema({ typeDefs: [rampart().typeDefs, shopTypeDefs], resolvers }),
      ...(variant === 'nocache' ? { plugins: [ApolloServerPluginCacheControlDisabled()] } : {}),
      // spin<N>: N µs of busy work per request, a known overhead to check what a benchmark can resolve
      ...(variant?.startsWith('spin') ? { plugins: [spin(Number(variant.slice(4)))] } : {}),
    });
    context = async () => ({ data, loaders: createLoaders(data) });
  } else if (mode === 'preset') {
    if (variant === 'otel') registerInMemorySdk();
    if (variant === 'als') registerContextManager();
    const data = new ShopData();
    const options = presetVariants[variant ?? ''];
    if (!options) throw new Error(`unknown preset variant ${variant}: ${Object.keys(presetVariants).join(', ')}`);
    const security = rampart(options);
    const schema = security.transformSchema(
      makeExecutableSchema({ typeDefs: [security.typeDefs, shopTypeDefs], resolvers }),
    );
    server = new ApolloServer({
      schema,
      ...security.serverOptions,
      plugins: variant === 'noplugins' ? [ApolloServerPluginCacheControlDisabled()] : security.plugins,
    });
    context =
      variant === 'nocontext'
        ? async () => ({ data, loaders: createLoaders(data) })
        : security.context(async () => ({ data, loaders: createLoaders(data) }));
  } else if (mode === 'rampart') {
    // the recommended configuration, every policy active; the cost budget and the operation limit are
    // made large enough that a benchmark client (one IP, thousands of requests a second) measures
    // overhead, not throttling
    if (variant === 'otel') registerInMemorySdk();
    if (variant === 'als') registerContextManager();
    const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-shop-'));
    const shop = await createShop({
      devKeysDir: dir,
      auditDir: join(dir, 'audit'),
      rampart: {
        rateLimit: {
          costBudget: { maximumAvailable: 1e12, restoreRate: 1e12 },
          operation: { limit: 1e12, duration: 60 },
        },
        ...(variant === 'notelemetry' ? { telemetry: false } : {}),
      },
    });
    server = new ApolloServer(shop.apolloConfig);
    context = shop.context;
  } else {
    throw new Error(`mode must be bare, preset or rampart, got ${mode}`);
  }
  return { server, context };
}
