// placeOrder as the shop recommends writing it: booked to the calling customer and nobody else, and
// checked so that no stored order can break a list later. Over real HTTP with real tokens.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mintToken } from '@rampart/auth';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { createShop, type Shop } from '../src/app.js';
import { DEV_AUDIENCE, DEV_ISSUER, devSigningKeys } from '../src/dev-identity.js';

const placeOrder = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id customer { id } } }';
const card = { number: '4242424242424242', expiry: '12/30', cvc: '123' };
const order = (items: Array<{ productId: string; quantity: number }>) => ({
  query: placeOrder,
  variables: { input: { items, card } },
});

describe('shop example: placeOrder', () => {
  let server: TestServer<any>;
  let shop: Shop;
  let dir: string;
  const tokens: Record<string, string> = {};
  const as = (who: string) => ({ headers: { authorization: `Bearer ${tokens[who]}` } });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rampart-shop-orders-'));
    shop = await createShop({ devKeysDir: dir, auditDir: join(dir, 'audit') });
    server = await startTestServer(shop.apolloConfig, { context: shop.context as never });
    const keys = await devSigningKeys(dir);
    const mint = (subject: string, clientId: string, roles: string[] = []) =>
      mintToken(keys, {
        issuer: DEV_ISSUER,
        audience: DEV_AUDIENCE,
        subject,
        clientId,
        roles,
        scopes: ['profile', 'orders:read', 'orders:write'],
      });
    // a customer's storefront app
    tokens.customer = await mint('cust-2', 'storefront');
    // a client-credentials token (subject = client): an integration, not a user
    tokens.integration = await mint('warehouse-sync', 'warehouse-sync');
    // back-office staff: a user, but not a customer
    tokens.staff = await mint('staff-1', 'back-office', ['admin']);
  });
  after(async () => {
    await server.stop();
    await shop.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('books the order to the calling customer', async () => {
    const res = await postGraphQL(server.graphqlUrl, order([{ productId: 'prod-1', quantity: 2 }]), as('customer'));
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.equal(res.body.errors, undefined);
    assert.equal(res.body.data.placeOrder.customer.id, 'cust-2');
  });

  for (const [who, status, code] of [
    ['integration', 403, 'FORBIDDEN'],
    ['staff', 403, 'FORBIDDEN'],
    ['anonymous', 401, 'UNAUTHENTICATED'],
  ] as const) {
    it(`refuses a caller who is not a customer (${who}): ${status} ${code}, nothing booked`, async () => {
      const before = shop.data.orders.size;
      const res = await postGraphQL(
        server.graphqlUrl,
        order([{ productId: 'prod-1', quantity: 1 }]),
        who === 'anonymous' ? {} : as(who),
      );
      assert.equal(res.status, status, res.text.slice(0, 300));
      assert.equal(res.body.errors[0].extensions.code, code);
      assert.equal(res.body.data?.placeOrder ?? null, null);
      assert.equal(shop.data.orders.size, before, 'an order was booked');
    });
  }

  const line = (quantity: number) => ({ productId: 'prod-1', quantity });
  const refused: Array<[string, Array<{ productId: string; quantity: number }>, string]> = [
    ['a quantity of 0', [line(0)], 'items[0].quantity must be from 1 to 100'],
    ['a negative quantity', [line(2), line(-3)], 'items[1].quantity must be from 1 to 100'],
    ['101 units', [line(101)], 'items[0].quantity must be from 1 to 100'],
    ['the largest Int', [line(2 ** 31 - 1)], 'items[0].quantity must be from 1 to 100'],
    ['no line', [], 'an order has from 1 to 50 lines, got 0'],
    ['51 lines', Array.from({ length: 51 }, () => line(1)), 'an order has from 1 to 50 lines, got 51'],
  ];
  for (const [name, items, message] of refused) {
    it(`refuses ${name}: BAD_USER_INPUT, nothing booked`, async () => {
      const before = shop.data.orders.size;
      const res = await postGraphQL(server.graphqlUrl, order(items), as('customer'));
      assert.equal(res.body.data, null);
      assert.deepEqual(
        res.body.errors.map((e: any) => [e.extensions.code, e.message]),
        [['BAD_USER_INPUT', message]],
      );
      assert.equal(shop.data.orders.size, before, 'an order was booked');
    });
  }

  it('refuses an order whose total a GraphQL Int cannot carry', async () => {
    const product = shop.data.products.get('prod-3')!;
    const price = product.priceCents;
    product.priceCents = 2 ** 31 - 1; // an admin's createProduct accepts any Int
    try {
      const before = shop.data.orders.size;
      const res = await postGraphQL(server.graphqlUrl, order([{ productId: 'prod-3', quantity: 2 }]), as('customer'));
      assert.deepEqual(
        res.body.errors.map((e: any) => [e.extensions.code, e.message]),
        [['BAD_USER_INPUT', 'the order total is too large']],
      );
      assert.equal(shop.data.orders.size, before);
    } finally {
      product.priceCents = price;
    }
  });

  it('every order stored for the customer still lists (totals fit a GraphQL Int)', async () => {
    const res = await postGraphQL(
      server.graphqlUrl,
      { query: '{ me { orders(first: 100) { id items { quantity } total { amount } } } }' },
      as('customer'),
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.errors, undefined, res.text.slice(0, 300));
    assert.ok(res.body.data.me.orders.length > 0);
  });
});
