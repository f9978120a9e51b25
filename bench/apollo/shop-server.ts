// Child process for the HTTP benchmark: serves the shop as bare Apollo or Apollo + rampart().
// Usage: node --conditions=source --import tsx bench/apollo/shop-server.ts bare|rampart
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { createShop, shopTypeDefs } from '@rampart/example-shop/app';
import { ShopData } from '@rampart/example-shop/data';
import { createLoaders, resolvers } from '@rampart/example-shop/resolvers';

const mode = process.argv[2];
let server: ApolloServer;
let context: (args: any) => Promise<any>;
if (mode === 'bare') {
  const data = new ShopData();
  server = new ApolloServer({ schema: makeExecutableSchema({ typeDefs: shopTypeDefs, resolvers }) });
  context = async () => ({ data, loaders: createLoaders(data) });
} else if (mode === 'rampart') {
  // the recommended configuration, every policy active; the cost budget is made large enough that
  // a benchmark client (one IP, thousands of requests a second) measures overhead, not throttling
  const shop = await createShop({
    rampart: { rateLimit: { costBudget: { maximumAvailable: 1e12, restoreRate: 1e12 } } },
  });
  server = new ApolloServer(shop.apolloConfig);
  context = shop.context;
} else {
  throw new Error(`mode must be bare or rampart, got ${mode}`);
}
const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' }, context });
process.stdout.write(`${url}\n`);
process.on('SIGTERM', () => server.stop().finally(() => process.exit(0)));
