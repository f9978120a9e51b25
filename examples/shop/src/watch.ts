/**
 * Watches one order over graphql-ws, as a storefront app would: `TOKEN=… pnpm watch-order -- order-50`.
 * Prints every change until Ctrl-C. `SHOP_URL` points it at another server (default the local shop).
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const orderId = process.argv.slice(2).find((a) => a !== '--') ?? 'order-50';
const url = (process.env.SHOP_URL ?? 'http://127.0.0.1:4000/graphql').replace(/^http/, 'ws');
const token = process.env.TOKEN;
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  retryAttempts: 0,
  // the token goes in the connection_init payload (browsers cannot set headers on a WebSocket)
  ...(token ? { connectionParams: { authorization: `Bearer ${token}` } } : {}),
  on: {
    closed: (event) => {
      const { code, reason } = event as { code: number; reason: string };
      if (code !== 1000) console.error(`connection closed: ${code} ${reason}`);
    },
  },
});
console.error(`watching ${orderId} at ${url} (Ctrl-C to stop)`);
client.subscribe(
  {
    query: 'subscription($id: ID!) { orderUpdated(orderId: $id) { id status total { amount currency } } }',
    variables: { id: orderId },
  },
  {
    next: (result) => console.log(JSON.stringify(result)),
    error: (error) => {
      console.error('refused:', JSON.stringify(error));
      process.exitCode = 1;
      void client.dispose();
    },
    complete: () => void client.dispose(),
  },
);
process.once('SIGINT', () => void client.dispose());
