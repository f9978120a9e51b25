/**
 * Trusted documents in `'allow-untrusted'` and `'measure'` modes over real HTTP, the startup errors
 * of bad manifests, and the same refusals behind Express 5.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { rampart } from '@rampart/apollo';
import { postGraphQL } from '@rampart/testing';
import express from 'express';
import { testSchema } from '../preset-fixtures.js';
import {
  apolloManifest,
  auditRecords,
  BACK_OFFICE_KEY,
  HELLO,
  ITEMS,
  manifestFile,
  NODE,
  PARTNER_KEY,
  persisted,
  sha256,
  startTrusted,
  type TrustedServer,
  UNLISTED,
} from './fixtures.js';

const manifest = () => apolloManifest([{ name: 'Hello', body: HELLO }]);
const backOffice = { 'x-api-key': BACK_OFFICE_KEY };
const partner = { 'x-api-key': PARTNER_KEY };

/** The trusted-documents decisions of an audit record. */
function decisionsOf(record: Record<string, any>): Record<string, any>[] {
  return (record.rampart?.decisions ?? []).filter((d: { source: string }) => d.source === 'trusted-documents');
}

describe("trusted documents, 'allow-untrusted'", () => {
  let t: TrustedServer;
  before(async () => {
    t = await startTrusted({
      manifest: manifest(),
      mode: 'allow-untrusted',
      allowUntrusted: (principal) => principal.clientId === 'back-office',
    });
  });
  after(() => t.server.stop());

  it('the named principals may send any document, under the usual limits', async () => {
    const res = await t.post({ query: UNLISTED }, backOffice);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.data.node, { id: '0', child: { id: '1' } });
    const deep = `{ node { ${'child { '.repeat(12)}id${' }'.repeat(12)} } }`;
    const limited = await t.post({ query: deep }, backOffice);
    assert.equal(limited.status, 400);
    assert.equal(limited.body.errors[0].extensions.code, 'MAX_DEPTH_LIMIT');
  });

  it('everyone else is refused as in enforce mode; trusted documents serve everyone', async () => {
    for (const headers of [partner, {}]) {
      const res = await t.post({ query: UNLISTED }, headers);
      assert.equal(res.status, 400);
      assert.equal(res.body.errors[0].extensions.code, 'QUERY_NOT_IN_SAFELIST');
      const unknown = await t.post({ documentId: 'nope' }, headers);
      assert.equal(unknown.body.errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
      const trusted = await t.post({ documentId: sha256(HELLO) }, headers);
      assert.deepEqual(trusted.body, { data: { hello: 'world' } });
    }
  });

  it("a back-office APQ registration is Apollo's; it never makes the document trusted for others", async () => {
    const hash = sha256(NODE);
    assert.equal((await t.post({ query: NODE, extensions: persisted(hash) }, backOffice)).status, 200);
    const again = await t.post({ extensions: persisted(hash) }, backOffice);
    assert.equal(again.status, 200, again.text);
    const other = await t.post({ extensions: persisted(hash) }, partner);
    assert.equal(other.status, 400);
    assert.equal(other.body.errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
  });

  it('records who sent an untrusted document', async () => {
    t.audit.clear();
    await t.post({ query: UNLISTED }, backOffice);
    const [record] = await auditRecords(t.audit, 1);
    const [decision] = decisionsOf(record);
    assert.equal(decision.outcome, 'allowed');
    assert.equal(decision.details.trusted, false);
    assert.equal(record.graphql.operation.document_id, undefined);
  });
});

describe("trusted documents, 'measure'", () => {
  let t: TrustedServer;
  before(async () => {
    t = await startTrusted({ manifest: manifest(), mode: 'measure' });
  });
  after(() => t.server.stop());

  it('serves every document and records the untrusted ones as measured', async () => {
    t.audit.clear();
    assert.equal((await t.post({ query: UNLISTED })).status, 200);
    assert.deepEqual((await t.post({ documentId: sha256(HELLO) })).body, { data: { hello: 'world' } });
    const [untrusted, trusted] = await auditRecords(t.audit, 2);
    const [measured] = decisionsOf(untrusted);
    assert.equal(measured.outcome, 'measured');
    assert.equal(measured.code, 'QUERY_NOT_IN_SAFELIST');
    assert.equal(untrusted.event.outcome, 'success');
    assert.equal(trusted.graphql.operation.document_id, sha256(HELLO));
    assert.equal(decisionsOf(trusted)[0].outcome, 'allowed');
  });

  it("leaves unknown ids to Apollo's APQ protocol (registration works)", async () => {
    const hash = sha256(ITEMS);
    const miss = await t.post({ extensions: persisted(hash) });
    assert.equal(miss.status, 200);
    assert.equal(miss.body.errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
    assert.equal((await t.post({ query: ITEMS, extensions: persisted(hash), variables: { n: 1 } })).status, 200);
    const hit = await t.post({ extensions: persisted(hash), variables: { n: 1 } });
    assert.deepEqual(hit.body, { data: { items: [{ id: '0', a: 0 }] } });
  });
});

describe('trusted documents in a batch: each operation is decided on its own', () => {
  let t: TrustedServer;
  before(async () => {
    t = await startTrusted({ manifest: manifest() }, { batching: 5 });
  });
  after(() => t.server.stop());

  it('a trusted operation runs beside a refused one; the audit has one record each', async () => {
    t.audit.clear();
    const res = await t.post([{ documentId: sha256(HELLO) }, { query: UNLISTED }, { documentId: 42 }]);
    // Apollo shares one HTTP head between a batch's operations: a refusal's 400 is the batch's status
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(res.body[0], { data: { hello: 'world' } });
    assert.equal(res.body[1].errors[0].extensions.code, 'QUERY_NOT_IN_SAFELIST');
    assert.equal(res.body[2].errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
    const records = await auditRecords(t.audit, 3);
    assert.equal(records.length, 3);
    const ids = records.map((r) => r.graphql.operation?.document_id).filter((id) => id !== undefined);
    assert.deepEqual(ids, [sha256(HELLO)]);
  });
});

describe('trusted documents: a bad manifest fails the server start, naming the entry', () => {
  async function startError(manifestOption: unknown): Promise<Error> {
    const security = rampart({ trustedDocuments: { manifest: manifestOption as object } });
    const server = new ApolloServer<BaseContext>({
      schema: security.transformSchema(testSchema()),
      ...security.serverOptions,
      plugins: security.plugins,
    });
    try {
      await server.start();
    } catch (error) {
      return error as Error;
    }
    await server.stop();
    throw new Error('the server started');
  }

  it('unreadable file, not JSON, wrong format or version, a loader that throws', async () => {
    const missing = await startError('/nonexistent/manifest.json');
    assert.equal(missing.name, 'RampartConfigError');
    assert.match(
      missing.message,
      /^rampart\.trustedDocuments\.manifest: cannot read \/nonexistent\/manifest\.json: ENOENT/,
    );
    assert.match((await startError(manifestFile('{ nope'))).message, /manifest: .*manifest\.json is not JSON/);
    const format = await startError({ format: 'relay', version: 1, operations: [] });
    assert.equal(
      format.message,
      'rampart.trustedDocuments.manifest.format: must be "apollo-persisted-query-manifest", got "relay"',
    );
    const version = await startError({ ...apolloManifest([]), version: 2 });
    assert.equal(version.message, 'rampart.trustedDocuments.manifest.version: must be 1, got 2');
    const loader = await startError(async () => {
      throw new Error('registry down');
    });
    assert.equal(loader.message, 'rampart.trustedDocuments.manifest: the loader failed: registry down');
    assert.match((await startError(async () => [])).message, /must be Apollo's persisted query manifest or a map/);
  });

  it('an entry that does not validate, a SHA-256 id of another body, a duplicate, a bad entry', async () => {
    const invalid = await startError(
      apolloManifest([
        { name: 'Hello', body: HELLO },
        { name: 'Bad', body: 'query Bad { nope }' },
      ]),
    );
    assert.equal(
      invalid.message,
      `rampart.trustedDocuments.manifest.operations[1] (id "${sha256('query Bad { nope }')}"): does not validate against the schema: Cannot query field "nope" on type "Query". Did you mean "node"?`,
    );
    const wrongHash = await startError(apolloManifest([{ name: 'Hello', body: HELLO, id: sha256(ITEMS) }]));
    assert.equal(
      wrongHash.message,
      `rampart.trustedDocuments.manifest.operations[0] (id "${sha256(ITEMS)}"): the id is a SHA-256 but not the SHA-256 of the body`,
    );
    const duplicate = await startError(
      apolloManifest([
        { name: 'Hello', body: HELLO },
        { name: 'Hello', body: HELLO },
      ]),
    );
    assert.match(duplicate.message, /operations\[1\] .*: the id is listed twice$/);
    const noBody = await startError({ ...apolloManifest([]), operations: [{ id: 'a', name: 'A', type: 'query' }] });
    assert.equal(
      noBody.message,
      'rampart.trustedDocuments.manifest.operations[0] (id "a"): "body" must be a non-empty string, got undefined',
    );
    const mapEntry = await startError({ 'hello-v1': HELLO, 'bad-v1': 42 });
    assert.equal(
      mapEntry.message,
      'rampart.trustedDocuments.manifest["bad-v1"]: must be a non-empty document string, got 42',
    );
    const parse = await startError({ 'broken-v1': 'query {' });
    assert.match(parse.message, /^rampart\.trustedDocuments\.manifest\["broken-v1"\]: does not parse: Syntax Error/);
  });

  it('bad options fail in rampart() itself', () => {
    assert.throws(() => rampart({ trustedDocuments: { manifest: HELLO, mode: 'strict' as never } }), {
      name: 'RampartConfigError',
      message: /^rampart\.trustedDocuments\.mode: must be one of "enforce", "allow-untrusted", "measure", got "strict"/,
    });
    assert.throws(() => rampart({ trustedDocuments: { manifest: [] } }), {
      message: /^rampart\.trustedDocuments\.manifest: must be a non-empty string, got an array, or must be an object/,
    });
    assert.throws(() => rampart({ trustedDocuments: {} as never }), {
      message: 'rampart.trustedDocuments.manifest: is required (a file path, an object or a loader)',
    });
  });
});

describe("trusted documents behind Express 5 ('enforce')", () => {
  let url: string;
  let stop: () => Promise<void>;
  before(async () => {
    const security = rampart({ trustedDocuments: { manifest: { 'hello-v1': HELLO } } });
    const server = new ApolloServer<BaseContext>({
      schema: security.transformSchema(testSchema()),
      ...security.serverOptions,
      plugins: security.plugins,
    });
    await server.start();
    const app = express();
    app.use('/graphql', express.json(), expressMiddleware(server, { context: security.context() }));
    const http = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => http.once('listening', () => r()));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
    stop = async () => {
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
      await server.stop();
    };
  });
  after(() => stop());

  it('documentId and the persisted-query extension run trusted documents; the rest is refused', async () => {
    assert.deepEqual((await postGraphQL(url, { documentId: 'hello-v1' })).body, { data: { hello: 'world' } });
    const byText = await postGraphQL(url, { query: HELLO, extensions: persisted(sha256(HELLO)) });
    assert.deepEqual(byText.body, { data: { hello: 'world' } });
    const cases: [unknown, string][] = [
      [{ query: UNLISTED }, 'QUERY_NOT_IN_SAFELIST'],
      [{ extensions: persisted(sha256(HELLO)) }, 'PERSISTED_QUERY_NOT_FOUND'], // the manifest's id is hello-v1
      [{ documentId: '__proto__' }, 'PERSISTED_QUERY_NOT_FOUND'],
      [{ documentId: 'hello-v1', query: NODE }, 'PERSISTED_QUERY_HASH_MISMATCH'],
    ];
    for (const [body, code] of cases) {
      const res = await postGraphQL(url, body);
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(
        res.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code),
        [code],
      );
    }
  });
});
