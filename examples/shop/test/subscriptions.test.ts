// The shop's subscriptions as a client uses them: graphql-ws on the same /graphql as HTTP (src/serve.ts),
// a token in connection_init, orderUpdated ticking when an order changes.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mintToken } from '@rampart/auth';
import { postGraphQL, readJsonLines } from '@rampart/testing';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createShop, type Shop } from '../src/app.js';
import { DEV_AUDIENCE, DEV_ISSUER, devSigningKeys } from '../src/dev-identity.js';
import { type ServedShop, serveShop } from '../src/serve.js';

const WATCH = 'subscription Watch($id: ID!) { orderUpdated(orderId: $id) { id status } }';
// order-50 belongs to cust-1 (the seed gives order i to customer 1 + i % 50)
const ORDER = 'order-50';

describe('shop example: subscriptions over graphql-ws', () => {
  let dir: string;
  let shop: Shop;
  let served: ServedShop;
  let wsUrl: string;
  const tokens: Record<string, string> = {};
  const clients: Client[] = [];

  const client = (token?: string): Client => {
    const c = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      ...(token ? { connectionParams: { authorization: `Bearer ${token}` } } : {}),
      retryAttempts: 0,
    });
    clients.push(c);
    return c;
  };

  /** Subscribes; resolves when `events` results arrived (or with the error that ended it). */
  const watch = (c: Client, events: number) => {
    const results: any[] = [];
    let started!: () => void;
    const ready = new Promise<void>((resolve) => {
      started = resolve;
    });
    const done = new Promise<{ results: any[]; error?: any }>((resolve) => {
      const stop = c.subscribe(
        { query: WATCH, variables: { id: ORDER } },
        {
          next: (r) => {
            results.push(r);
            if (results.length === events) {
              stop();
              resolve({ results });
            }
          },
          error: (error) => resolve({ results, error }),
          complete: () => resolve({ results }),
        },
      );
    });
    // the connection is acknowledged and the subscribe message is on its way once `connected` fires
    c.on('connected', () => setTimeout(started, 50));
    return { done, ready };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rampart-shop-ws-'));
    shop = await createShop({ devKeysDir: dir, auditDir: join(dir, 'audit') });
    served = await serveShop(shop, { port: 0, host: '127.0.0.1' });
    wsUrl = served.url.href.replace(/^http/, 'ws');
    const keys = await devSigningKeys(dir);
    const mint = (subject: string, roles: string[], scopes: string[]) =>
      mintToken(keys, { issuer: DEV_ISSUER, audience: DEV_AUDIENCE, subject, roles, scopes, clientId: 'storefront' });
    tokens.cust1 = await mint('cust-1', [], ['profile', 'orders:read']);
    tokens.cust2 = await mint('cust-2', [], ['profile', 'orders:read']);
    tokens.noScope = await mint('cust-1', [], ['profile']);
    tokens.admin = await mint('staff-1', ['admin'], ['orders:read:all', 'orders:write:all']);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await served.stop();
    await shop.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('an anonymous subscription is refused (UNAUTHENTICATED), no event', async () => {
    const { done } = watch(client(), 1);
    const { results, error } = await done;
    assert.deepEqual(results, []);
    assert.ok(Array.isArray(error), String(error));
    assert.equal(error[0].extensions.code, 'UNAUTHENTICATED');
    assert.equal(error[0].extensions.http, undefined);
  });

  it('a customer without orders:read is refused (FORBIDDEN)', async () => {
    const { done } = watch(client(tokens.noScope), 1);
    const { error } = await done;
    assert.equal(error?.[0]?.extensions?.code, 'FORBIDDEN');
  });

  it("another customer's order is not found", async () => {
    // the subscribe resolver refuses: graphql-js answers with one result carrying the error, then ends
    const { done } = watch(client(tokens.cust2), 1);
    const { results, error } = await done;
    assert.equal(error, undefined);
    assert.equal(results.length, 1);
    assert.equal(results[0].data, undefined);
    assert.equal(results[0].errors[0].extensions.code, 'NOT_FOUND');
    assert.deepEqual(results[0].errors[0].path, ['orderUpdated']);
  });

  it('junk credentials close the connection with 4401', async () => {
    const closed = new Promise<number>((resolve) => {
      const c = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: 'Bearer junk' },
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => {},
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      clients.push(c);
    });
    assert.equal(await closed, 4401);
  });

  it("the order's customer sees each change the back office makes; start and end are audited", async () => {
    const { done, ready } = watch(client(tokens.cust1), 2);
    await ready;
    const headers = { authorization: `Bearer ${tokens.admin}` };
    const mutation = 'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { id status } }';
    for (const s of ['PAID', 'SHIPPED']) {
      const res = await postGraphQL(served.url.href, { query: mutation, variables: { id: ORDER, s } }, { headers });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.updateOrderStatus.status, s);
    }
    const { results, error } = await done;
    assert.equal(error, undefined);
    assert.deepEqual(
      results.map((r) => r.data.orderUpdated),
      [
        { id: ORDER, status: 'PAID' },
        { id: ORDER, status: 'SHIPPED' },
      ],
    );
    // the client stopped after two events: one start and one end record for it
    const deadline = Date.now() + 2000;
    let actions: string[] = [];
    while (Date.now() < deadline) {
      const records = await readJsonLines(join(dir, 'audit', 'audit.log'));
      actions = records
        .filter((r: any) => r.user?.id === 'cust-1' && /^graphql\.subscription\.(start|end)$/.test(r.event?.action))
        .map((r: any) => r.event.action);
      if (actions.includes('graphql.subscription.end')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(actions, ['graphql.subscription.start', 'graphql.subscription.end']);
  });
});
