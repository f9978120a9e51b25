/**
 * Trusted documents in `'enforce'` mode over real HTTP (standalone server, port 0): documents by
 * Apollo's persisted-query extension, by `documentId`, by text; everything else refused with exact
 * codes; Apollo's APQ cache never learns a document; hostile ids; reload.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  apolloManifest,
  auditRecords,
  DEEP,
  HELLO,
  ITEMS,
  manifestFile,
  NODE,
  persisted,
  sha256,
  startTrusted,
  type TrustedServer,
  UNLISTED,
  writeManifest,
} from './fixtures.js';

describe("trusted documents, 'enforce' (standalone)", () => {
  let t: TrustedServer;
  let path: string;
  before(async () => {
    path = manifestFile(
      apolloManifest([
        { name: 'Hello', body: HELLO },
        { name: 'Items', body: ITEMS },
        { name: 'Deep', body: DEEP },
      ]),
    );
    t = await startTrusted({ manifest: path, mode: 'enforce' });
  });
  after(() => t.server.stop());

  it('loads the manifest at start', () => {
    assert.equal(t.security.trustedDocuments?.size, 3);
    assert.equal(t.security.trustedDocuments?.mode, 'enforce');
  });

  it("runs a document sent by Apollo's persisted-query hash alone, without parsing it", async () => {
    const parses = t.parses;
    const res = await t.post({ extensions: persisted(sha256(HELLO)) });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { data: { hello: 'world' } });
    const res2 = await t.post({ extensions: persisted(sha256(ITEMS)), variables: { n: 2 } });
    assert.deepEqual(res2.body.data.items, [
      { id: '0', a: 0 },
      { id: '1', a: 1 },
    ]);
    // other extensions stay with the request
    const more = await t.post({ extensions: { ...persisted(sha256(HELLO)), tracing: true } });
    assert.deepEqual(more.body, { data: { hello: 'world' } });
    assert.equal(t.parses, parses, 'trusted documents are parsed and validated at load only');
  });

  it('runs a document sent by documentId alone (POST and GET)', async () => {
    const res = await t.post({ documentId: sha256(HELLO) });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { data: { hello: 'world' } });
    const get = await fetch(`${t.server.graphqlUrl}?documentId=${sha256(HELLO)}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    assert.equal(get.status, 200);
    assert.deepEqual(await get.json(), { data: { hello: 'world' } });
  });

  it('runs a trusted document sent as text, and with its id as well', async () => {
    assert.deepEqual((await t.post({ query: HELLO })).body, { data: { hello: 'world' } });
    const both = await t.post({ query: HELLO, extensions: persisted(sha256(HELLO)) });
    assert.deepEqual(both.body, { data: { hello: 'world' } });
    const byId = await t.post({ query: HELLO, documentId: sha256(HELLO) });
    assert.deepEqual(byId.body, { data: { hello: 'world' } });
  });

  it('refuses a document that is not in the manifest: 400 QUERY_NOT_IN_SAFELIST, nothing parsed', async () => {
    const parses = t.parses;
    const res = await t.post({ query: UNLISTED });
    assert.equal(res.status, 400);
    assert.equal(res.body.errors.length, 1);
    assert.equal(res.body.errors[0].extensions.code, 'QUERY_NOT_IN_SAFELIST');
    assert.equal(res.body.data, undefined);
    // the same operation as the manifest's, spelt differently, is another document
    const spelt = await t.post({ query: '{ hello }' });
    assert.equal(spelt.body.errors[0].extensions.code, 'QUERY_NOT_IN_SAFELIST');
    assert.equal(t.parses, parses);
  });

  it('refuses an unknown id: 400 PERSISTED_QUERY_NOT_FOUND (hash and documentId)', async () => {
    for (const body of [{ extensions: persisted(sha256(UNLISTED)) }, { documentId: 'no-such-id' }]) {
      const res = await t.post(body);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
    }
  });

  it("never lets Apollo's APQ cache register a document", async () => {
    const hash = sha256(NODE);
    const register = await t.post({ query: NODE, extensions: persisted(hash) });
    assert.equal(register.status, 400);
    assert.equal(register.body.errors[0].extensions.code, 'QUERY_NOT_IN_SAFELIST');
    const later = await t.post({ extensions: persisted(hash) });
    assert.equal(later.status, 400);
    assert.equal(later.body.errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
  });

  it('hostile ids: not a string, __proto__, constructor, huge, empty — 400 PERSISTED_QUERY_NOT_FOUND', async () => {
    const ids: unknown[] = [123, { $ne: null }, ['x'], '__proto__', 'constructor', 'x'.repeat(100_000), '', null, true];
    for (const id of ids) {
      const res = await t.post({ documentId: id });
      assert.equal(res.status, 400, `${JSON.stringify(id)?.slice(0, 20)}: ${res.text.slice(0, 200)}`);
      assert.equal(res.body.errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
      assert.ok(res.text.length < 2000, 'a huge id is not echoed');
    }
    const raw = await t.post(`{"documentId":"x","__proto__":{"documentId":"${sha256(HELLO)}"}}`);
    assert.equal(raw.body.errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
    const inherited = `{"extensions":{"persistedQuery":{"version":1,"__proto__":{"sha256Hash":"${sha256(HELLO)}"}}}}`;
    assert.equal((await t.post(inherited)).body.errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
    for (const pq of ['abc', 7, { sha256Hash: 7 }, { version: 1 }]) {
      const res = await t.post({ extensions: { persistedQuery: pq } });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
    }
  });

  it('an id and a text that disagree: 400 PERSISTED_QUERY_HASH_MISMATCH', async () => {
    const cases = [
      { query: ITEMS, documentId: sha256(HELLO) },
      { query: ITEMS, extensions: persisted(sha256(HELLO)) },
      { documentId: sha256(ITEMS), extensions: persisted(sha256(HELLO)) },
      { query: UNLISTED, extensions: persisted(sha256(HELLO).replace(/^./, '0')) },
    ];
    for (const body of cases) {
      const res = await t.post(body);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.errors[0].extensions.code, 'PERSISTED_QUERY_HASH_MISMATCH');
    }
  });

  it('the limits decide on a trusted document as on any other (analysis computed at load, kept per variables)', async () => {
    for (let i = 0; i < 2; i++) {
      const deep = await t.post({ documentId: sha256(DEEP), variables: { deep: true } });
      assert.equal(deep.status, 400, deep.text);
      assert.equal(deep.body.errors[0].extensions.code, 'MAX_DEPTH_LIMIT');
      const shallow = await t.post({ documentId: sha256(DEEP), variables: { deep: false } });
      assert.equal(shallow.status, 200, shallow.text);
      assert.deepEqual(shallow.body, { data: { node: { id: '0' } } });
    }
  });

  it('audit records carry the document id and the decisions', async () => {
    t.audit.clear();
    await t.post({ documentId: sha256(HELLO) });
    await t.post({ query: UNLISTED });
    const [trusted, refused] = await auditRecords(t.audit, 2);
    assert.equal(trusted.graphql.operation.document_id, sha256(HELLO));
    assert.equal(trusted.event.outcome, 'success');
    const allowed = trusted.rampart.decisions.find((d: { source: string }) => d.source === 'trusted-documents');
    assert.equal(allowed.outcome, 'allowed');
    assert.equal(refused.graphql.operation?.document_id, undefined);
    assert.equal(refused.event.outcome, 'denied');
    const denied = refused.rampart.decisions.find((d: { source: string }) => d.source === 'trusted-documents');
    assert.equal(denied.outcome, 'denied');
    assert.equal(denied.code, 'QUERY_NOT_IN_SAFELIST');
  });

  it('reload() picks up a new manifest; a bad one is refused and the current set stays', async () => {
    assert.equal((await t.post({ query: NODE })).body.errors[0].extensions.code, 'QUERY_NOT_IN_SAFELIST');
    writeManifest(path, { 'node-v1': NODE, 'hello-v1': HELLO });
    assert.deepEqual(await t.security.trustedDocuments?.reload(), { documents: 2 });
    const res = await t.post({ documentId: 'node-v1' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.data.node, { id: '0', name: 'n0' });
    // the old ids are gone
    assert.equal(
      (await t.post({ documentId: sha256(ITEMS) })).body.errors[0].extensions.code,
      'PERSISTED_QUERY_NOT_FOUND',
    );
    writeManifest(path, { broken: '{ nope }' });
    await assert.rejects(t.security.trustedDocuments?.reload() ?? Promise.resolve(), {
      name: 'RampartConfigError',
      message: /manifest\["broken"\]: does not validate against the schema: Cannot query field "nope"/,
    });
    assert.equal((await t.post({ documentId: 'node-v1' })).status, 200);
  });
});
