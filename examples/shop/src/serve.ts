/**
 * Serves the shop the way we recommend for a server with subscriptions: one HTTP server, Apollo over
 * Express 5 for queries and mutations, graphql-ws on the same `/graphql` path for subscriptions, both
 * guarded by Rampart (`security.context` for HTTP, `security.graphqlWs()` for the socket), and
 * `GET /healthz` on the same port for readiness probes (`security.health()`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Shop } from './app.js';

/** A running shop. */
export interface ServedShop {
  /** The address it really listens on, e.g. `http://127.0.0.1:4000/graphql` (WebSocket: same, `ws:`). */
  readonly url: URL;
  /** Stops taking connections, ends the subscriptions, drains HTTP and stops Apollo. */
  stop(): Promise<void>;
}

/** Starts HTTP and graphql-ws for `shop` on `port`/`host` (`port` 0: any free port). */
export async function serveShop(shop: Shop, listen: { port: number; host: string }): Promise<ServedShop> {
  const app = express();
  const httpServer = createServer(app);
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  // Rampart's hooks last: they authenticate the connection and check every subscribe message
  const subscriptions = useServer({ schema: shop.schema, ...shop.graphqlWs }, wsServer);
  const server = new ApolloServer({
    ...shop.apolloConfig,
    plugins: [
      ...(shop.apolloConfig.plugins ?? []),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await subscriptions.dispose();
            },
          };
        },
      },
    ],
  });
  await server.start();
  // readiness: Rampart's stores, JWKS and audit writer (no secrets); 503 only when Rampart is down
  app.get('/healthz', (_req, res) => {
    const health = shop.security.health();
    res
      .status(health.status === 'down' ? 503 : 200)
      .set('cache-control', 'no-store')
      .json(health);
  });
  app.use('/graphql', express.json({ limit: '1mb' }), expressMiddleware(server, { context: shop.context }));
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(listen.port, listen.host, () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: new URL(`http://${host}:${address.port}/graphql`), stop: () => server.stop() };
}
