import { createShop } from './app.js';
import { startTelemetry } from './otel.js';
import { serveShop } from './serve.js';

// OTEL=console: the OpenTelemetry SDK with console exporters, registered before Rampart starts
const stopTelemetry = startTelemetry();

const port = Number(process.env.PORT ?? 4000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a TCP port number, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(1);
}
// loopback only unless HOST says otherwise (HOST=0.0.0.0 or HOST=:: to serve other machines)
const host = process.env.HOST ?? '127.0.0.1';
const redisUrl = process.env.REDIS_URL;
const shop = await createShop({ redisUrl });
// HTTP and subscriptions (graphql-ws) on the same /graphql
const served = await serveShop(shop, { port, host });
console.log(`Rampart shop ready at ${served.url.href} (stores: ${redisUrl ? 'Redis' : 'in-memory'})`);
console.log(`  subscriptions (graphql-ws): ws://${served.url.host}${served.url.pathname}`);
console.log(`  dev JWKS: ${shop.jwksUri}`);
console.log(
  '  mint a token: pnpm mint-token -- --sub cust-1 --scopes "profile orders:read" (see examples/shop/README.md)',
);
console.log(`  partner API key (dev only): ${shop.partnerApiKey}`);
if (stopTelemetry) console.log('  OpenTelemetry: metrics and spans to the console (OTEL=console)');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    served
      .stop()
      .then(() => shop.close())
      .then(() => stopTelemetry?.())
      .finally(() => process.exit(0));
  });
}
