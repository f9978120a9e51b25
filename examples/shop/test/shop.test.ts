import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyAuditLog } from '@rampart/audit';
import { createDpopProof, mintToken } from '@rampart/auth';
import { postGraphQL, readJsonLines, startTestServer, type TestServer } from '@rampart/testing';
import { createShop, type Shop } from '../src/app.js';
import { DEMO_PASSWORD } from '../src/data.js';
import {
  backOfficeDpopKeys,
  DEV_AUDIENCE,
  DEV_BACK_OFFICE_ISSUER,
  DEV_ISSUER,
  devSigningKeys,
} from '../src/dev-identity.js';

describe('shop example', () => {
  let server: TestServer<any>;
  let shop: Shop;
  let dir: string;
  const tokens: Record<string, string> = {};
  let keys: Awaited<ReturnType<typeof devSigningKeys>>;
  const as = (who: string) => ({ headers: { authorization: `Bearer ${tokens[who]}` } });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rampart-shop-'));
    shop = await createShop({ devKeysDir: dir, auditDir: join(dir, 'audit') });
    server = await startTestServer(shop.apolloConfig, { context: shop.context as never });
    keys = await devSigningKeys(dir);
    const mint = (subject: string, roles: string[] = [], scopes: string[] = []) =>
      mintToken(keys, { issuer: DEV_ISSUER, audience: DEV_AUDIENCE, subject, roles, scopes, clientId: 'storefront' });
    // storefront clients: read scopes (and orders:write for the one that may order)
    tokens.cust1 = await mint('cust-1', [], ['profile', 'orders:read']);
    tokens.cust2 = await mint('cust-2', [], ['profile', 'orders:read', 'orders:write']);
    // back office: write scopes
    tokens.admin = await mint(
      'staff-1',
      ['admin'],
      ['catalog:write', 'customers:pii', 'customers:write', 'orders:read:all'],
    );
  });
  after(async () => {
    await shop.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the public catalogue to anonymous callers, categories batched', async () => {
    const res = await postGraphQL(server.graphqlUrl, {
      query: '{ products(first: 3) { id name price { amount currency } category { name } } }',
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.products.length, 3);
    assert.equal(res.body.data.products[0].id, 'prod-1');
    assert.equal(res.body.data.products[0].price.currency, 'USD');
    assert.equal(res.body.data.products[0].category.name, 'Category 2');
  });

  it('has an interface and a union, and protects personal data through both', async () => {
    const query =
      '{ node(id: "cust-3") { id ... on Customer { email } } search(text: "Customer 1", first: 2, includeCustomers: true) { __typename ... on Customer { id } } }';
    // anonymous: the scopes remove both before execution (email needs profile or customers:pii; the
    // includeCustomers argument needs customers:pii)
    const anon = await postGraphQL(server.graphqlUrl, { query });
    assert.equal(anon.status, 200);
    // search is a non-null list: its removal nulls the whole data, as GraphQL's null propagation says
    assert.equal(anon.body.data, null);
    const codes = anon.body.errors.map((e: any) => [e.extensions.code, e.path.join('.')]);
    assert.deepEqual(codes.sort(), [
      ['UNAUTHORIZED_FIELD_OR_TYPE', 'node.email'],
      ['UNAUTHORIZED_FIELD_OR_TYPE', 'search'],
    ]);
    const nodeOnly = await postGraphQL(server.graphqlUrl, {
      query: '{ node(id: "cust-3") { id ... on Customer { email } } }',
    });
    assert.deepEqual(nodeOnly.body.data, { node: null });
    assert.deepEqual(nodeOnly.body.errors[0].path, ['node', 'email']);
    // another customer's storefront token has `profile`, but the shield rule keeps the data the customer's own
    const other = await postGraphQL(
      server.graphqlUrl,
      { query: '{ node(id: "cust-3") { ... on Customer { email } } }' },
      as('cust1'),
    );
    assert.equal(other.body.data.node, null);
    assert.equal(other.body.errors[0].extensions.code, 'FORBIDDEN');
    const own = await postGraphQL(server.graphqlUrl, { query: '{ me { email } }' }, as('cust1'));
    assert.equal(own.body.data.me.email, 'customer1@example.com');
    const admin = await postGraphQL(server.graphqlUrl, { query }, as('admin'));
    assert.equal(admin.body.errors, undefined);
    assert.equal(admin.body.data.node.email, 'customer3@example.com');
    assert.deepEqual(admin.body.data.search, [
      { __typename: 'Customer', id: 'cust-1' },
      { __typename: 'Customer', id: 'cust-10' },
    ]);
  });

  it('orders: owners see theirs, others are denied, the partner API key reads all', async () => {
    const query = '{ order(id: "order-1") { id total { amount } } }'; // order-1 belongs to cust-2
    const owner = await postGraphQL(server.graphqlUrl, { query }, as('cust2'));
    assert.equal(owner.body.data.order.id, 'order-1');
    const other = await postGraphQL(server.graphqlUrl, { query }, as('cust1'));
    // the rule sits on the Order type (each of its fields), so the order comes back null with errors
    assert.equal(other.status, 200);
    assert.equal(other.body.data.order, null);
    assert.equal(other.body.errors[0].extensions.code, 'FORBIDDEN');
    assert.doesNotMatch(other.text, /"total"/);
    const partner = await postGraphQL(server.graphqlUrl, { query }, { headers: { 'x-api-key': shop.partnerApiKey } });
    assert.equal(partner.status, 200);
    assert.equal(partner.body.data.order.id, 'order-1');
  });

  it('admin mutations need the back office scope and the admin role', async () => {
    const query = 'mutation { updateStock(productId: "prod-1", stock: 5) { id stock } }';
    const anon = await postGraphQL(server.graphqlUrl, { query });
    assert.equal(anon.status, 401);
    assert.equal(anon.body.errors[0].extensions.code, 'UNAUTHENTICATED');
    const customer = await postGraphQL(server.graphqlUrl, { query }, as('cust1'));
    assert.equal(customer.status, 403);
    assert.equal(customer.body.errors[0].extensions.code, 'FORBIDDEN');
    const admin = await postGraphQL(server.graphqlUrl, { query }, as('admin'));
    assert.deepEqual(admin.body.data.updateStock, { id: 'prod-1', stock: 5 });
  });

  it('back office: a staff token bound to its key works only with a fresh proof from that key (DPoP)', async () => {
    const deviceKey = await backOfficeDpopKeys(dir);
    const staffToken = (boundTo?: typeof deviceKey.publicJwk) =>
      mintToken(keys, {
        issuer: DEV_BACK_OFFICE_ISSUER,
        audience: DEV_AUDIENCE,
        subject: 'staff-2',
        roles: ['admin'],
        scopes: ['catalog:write'],
        clientId: 'back-office',
        ...(boundTo ? { boundTo } : {}),
      });
    const token = await staffToken(deviceKey.publicJwk);
    const query = 'mutation { updateStock(productId: "prod-2", stock: 7) { id stock } }';
    const proof = await createDpopProof(deviceKey, { method: 'POST', url: server.graphqlUrl, accessToken: token });
    const headers = { authorization: `DPoP ${token}`, dpop: proof };
    const ok = await postGraphQL(server.graphqlUrl, { query }, { headers });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body.data.updateStock, { id: 'prod-2', stock: 7 });
    // the same proof again (a replay), the token as a bearer token (stolen), an unbound staff token
    const replay = await postGraphQL(server.graphqlUrl, { query }, { headers });
    assert.equal(replay.status, 401);
    assert.match(replay.headers.get('www-authenticate') ?? '', /error="invalid_dpop_proof"/);
    const stolen = await postGraphQL(server.graphqlUrl, { query }, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(stolen.status, 401);
    const unbound = await postGraphQL(
      server.graphqlUrl,
      { query },
      { headers: { authorization: `Bearer ${await staffToken()}` } },
    );
    assert.equal(unbound.status, 401);
    assert.match(unbound.headers.get('www-authenticate') ?? '', /DPoP algs="[^"]+", error="invalid_token"/);
  });

  it('read-only vs read-write storefront clients', async () => {
    const query = 'mutation { addToCart(productId: "prod-2", quantity: 1) { items { quantity } } }';
    const readOnly = await postGraphQL(server.graphqlUrl, { query }, as('cust1'));
    assert.equal(readOnly.status, 403);
    assert.equal(readOnly.body.errors[0].extensions.code, 'FORBIDDEN');
    const readWrite = await postGraphQL(server.graphqlUrl, { query }, as('cust2'));
    assert.equal(readWrite.status, 200);
    assert.deepEqual(readWrite.body.data.addToCart.items, [{ quantity: 1 }]);
  });

  it('IP filter: a denied network behind the trusted proxy gets 403; the partner key only from its CIDRs', async () => {
    const denied = await postGraphQL(
      server.graphqlUrl,
      { query: '{ categories { id } }' },
      { headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' } },
    );
    assert.equal(denied.status, 403);
    assert.equal(denied.body.errors[0].extensions.code, 'FORBIDDEN');
    // the left-most entry is the client's own claim and is never trusted
    const spoofed = await postGraphQL(
      server.graphqlUrl,
      { query: '{ categories { id } }' },
      { headers: { 'x-forwarded-for': '203.0.113.9, 198.51.100.1' } },
    );
    assert.equal(spoofed.status, 200);
    const partnerElsewhere = await postGraphQL(
      server.graphqlUrl,
      { query: '{ order(id: "order-1") { id } }' },
      { headers: { 'x-api-key': shop.partnerApiKey, 'x-forwarded-for': '198.51.100.1' } },
    );
    assert.equal(partnerElsewhere.status, 403);
    assert.equal(partnerElsewhere.body.errors[0].extensions.code, 'FORBIDDEN');
  });

  it('a bad token is refused with 401 and an RFC 6750 challenge', async () => {
    const res = await postGraphQL(
      server.graphqlUrl,
      { query: '{ categories { id } }' },
      { headers: { authorization: `Bearer ${tokens.cust1}x` } },
    );
    assert.equal(res.status, 401);
    assert.equal(res.body.errors[0].extensions.code, 'UNAUTHENTICATED');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
  });

  it('login is open; succeeds with the demo password and fails otherwise', async () => {
    const query = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { success customer { id } } }';
    const ok = await postGraphQL(server.graphqlUrl, {
      query,
      variables: { e: 'customer1@example.com', p: DEMO_PASSWORD },
    });
    assert.deepEqual(ok.body.data.login, { success: true, customer: { id: 'cust-1' } });
    const bad = await postGraphQL(server.graphqlUrl, { query, variables: { e: 'customer1@example.com', p: 'nope' } });
    assert.deepEqual(bad.body.data.login, { success: false, customer: null });
  });

  it('rejects a deeply nested hostile query with HTTP 400, not 500', async () => {
    const query = `{ ${'categories { products { category { '.repeat(800)}id${' } } }'.repeat(800)} }`;
    const res = await postGraphQL(server.graphqlUrl, { query });
    assert.equal(res.status, 400);
    // 2,400 levels of { }: refused before parsing (the preset's maxNesting)
    assert.equal(res.body.errors[0].extensions.code, 'MAX_DEPTH_LIMIT');
  });

  // last: stops the server (flushing the audit trail and writing the final checkpoint), then reads the log
  it('writes a redacted, hash-chained audit log that verifies', async () => {
    const login = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { success } }';
    await postGraphQL(server.graphqlUrl, { query: login, variables: { e: 'customer9@example.com', p: 'guess-1' } });
    await server.stop();
    const log = join(dir, 'audit', 'audit.log');
    const records = await readJsonLines(log);
    const operations = records.filter((r) => r.event.action === 'graphql.operation');
    assert.ok(operations.length >= 10, `only ${operations.length} operation records`);
    const text = JSON.stringify(records);
    assert.doesNotMatch(text, /guess-1/);
    assert.doesNotMatch(text, /correct horse/);
    const loginField = records.filter(
      (r) => r.event.action === 'graphql.field' && r.graphql.field.coordinate === 'Mutation.login',
    );
    assert.ok(loginField.length >= 3);
    const denied = operations.filter((r) => r.event.outcome === 'denied');
    assert.ok(denied.length >= 3, 'refusals are recorded as denied');
    const keys = join(dir);
    const result = await verifyAuditLog({
      logPath: log,
      key: `@${join(keys, 'audit-hmac.key')}`,
      checkpointsPath: `${log}.checkpoints`,
      publicKey: `@${join(keys, 'audit-checkpoint-public.pem')}`,
    });
    assert.deepEqual(result.problems, []);
    assert.equal(result.ok, true);
    assert.ok(result.checkpoints >= 2);
  });
});
