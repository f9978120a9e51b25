// The shop's trusted documents: the operations its README shows are in its manifest, and with the
// production mode ('allow-untrusted') only the back office may send anything else.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDpopProof, mintToken } from '@rampart/auth';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import {
  createShop,
  defaultTrustedDocumentsMode,
  type Shop,
  trustedDocumentsManifest,
  trustedDocumentsOptions,
} from '../src/app.js';
import {
  backOfficeDpopKeys,
  DEV_AUDIENCE,
  DEV_BACK_OFFICE_ISSUER,
  DEV_ISSUER,
  devSigningKeys,
} from '../src/dev-identity.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const manifest = JSON.parse(readFileSync(trustedDocumentsManifest, 'utf8')) as {
  operations: { id: string; name: string; body: string }[];
};
const bodyOf = (name: string) => manifest.operations.find((o) => o.name === name)?.body ?? '';

describe('shop: trusted documents', () => {
  it("the manifest lists every operation the README's curl commands send (the back office's are free)", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const sent = [...readme.matchAll(/"query":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
    assert.equal(sent.length, 4);
    const bodies = new Set(manifest.operations.map((o) => o.body));
    for (const query of sent) assert.ok(bodies.has(query), `not in the manifest: ${query}`);
    for (const o of manifest.operations) assert.equal(o.id, sha256(o.body));
  });

  it("runs in 'measure' mode unless NODE_ENV=production or SHOP_TRUSTED_DOCUMENTS says otherwise", () => {
    assert.equal(defaultTrustedDocumentsMode(), process.env.NODE_ENV === 'production' ? 'allow-untrusted' : 'measure');
  });

  describe("'allow-untrusted' (production)", () => {
    let server: TestServer<any>;
    let shop: Shop;
    let dir: string;
    let keys: Awaited<ReturnType<typeof devSigningKeys>>;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rampart-shop-trusted-'));
      shop = await createShop({
        devKeysDir: dir,
        auditDir: join(dir, 'audit'),
        rampart: { trustedDocuments: trustedDocumentsOptions('allow-untrusted') },
      });
      server = await startTestServer(shop.apolloConfig, { context: shop.context as never });
      keys = await devSigningKeys(dir);
    });
    after(async () => {
      await server.stop();
      await shop.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('the storefront runs the manifest by id or as text; anything else is refused', async () => {
      const products = bodyOf('Products');
      const byId = await postGraphQL(server.graphqlUrl, { documentId: sha256(products) });
      assert.equal(byId.status, 200, byId.text);
      assert.equal(byId.body.data.products.length, 2);
      const byHash = await postGraphQL(server.graphqlUrl, {
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256(bodyOf('ProductsPage')) } },
        variables: { first: 3 },
      });
      assert.equal(byHash.body.data.products.length, 3);
      assert.equal((await postGraphQL(server.graphqlUrl, { query: products })).status, 200);
      const other = await postGraphQL(server.graphqlUrl, { query: '{ products(first: 1) { id } }' });
      assert.equal(other.status, 400);
      assert.equal(other.body.errors[0].extensions.code, 'QUERY_NOT_IN_SAFELIST');
    });

    it("a customer's trusted document still goes through the scopes", async () => {
      const token = await mintToken(keys, {
        issuer: DEV_ISSUER,
        audience: DEV_AUDIENCE,
        subject: 'cust-1',
        scopes: ['profile', 'orders:read'],
        clientId: 'storefront',
      });
      const headers = { authorization: `Bearer ${token}` };
      const mine = await postGraphQL(server.graphqlUrl, { documentId: sha256(bodyOf('MyOrders')) }, { headers });
      assert.equal(mine.status, 200, mine.text);
      assert.equal(mine.body.data.me.email, 'customer1@example.com');
      const anonymous = await postGraphQL(server.graphqlUrl, { documentId: sha256(bodyOf('MyOrders')) });
      // `me` is @authenticated and is all the operation asks for: nothing is left to run
      assert.equal(anonymous.status, 401, anonymous.text);
      assert.equal(anonymous.body.errors[0].extensions.code, 'UNAUTHENTICATED');
    });

    it('the back office may send any document; an admin token of the storefront issuer may not', async () => {
      const query = '{ customers(first: 2) { id email } }';
      const deviceKey = await backOfficeDpopKeys(dir);
      const staff = await mintToken(keys, {
        issuer: DEV_BACK_OFFICE_ISSUER,
        audience: DEV_AUDIENCE,
        subject: 'staff-1',
        roles: ['admin'],
        scopes: ['customers:pii'],
        clientId: 'back-office',
        boundTo: deviceKey.publicJwk,
      });
      const proof = await createDpopProof(deviceKey, { method: 'POST', url: server.graphqlUrl, accessToken: staff });
      const res = await postGraphQL(
        server.graphqlUrl,
        { query },
        { headers: { authorization: `DPoP ${staff}`, dpop: proof } },
      );
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.customers[0].email, 'customer1@example.com');
      const admin = await mintToken(keys, {
        issuer: DEV_ISSUER,
        audience: DEV_AUDIENCE,
        subject: 'staff-1',
        roles: ['admin'],
        scopes: ['customers:pii'],
        clientId: 'back-office',
      });
      const refused = await postGraphQL(
        server.graphqlUrl,
        { query },
        { headers: { authorization: `Bearer ${admin}` } },
      );
      assert.equal(refused.status, 400);
      assert.equal(refused.body.errors[0].extensions.code, 'QUERY_NOT_IN_SAFELIST');
    });
  });
});
