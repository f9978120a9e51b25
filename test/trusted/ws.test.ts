/**
 * Trusted documents over graphql-ws (`security.graphqlWs()`): the same decision per `subscribe`
 * message as over HTTP, before anything is parsed; a trusted document is neither parsed nor validated
 * again, and the limits still decide on it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RawSocket, rawSocket, startWsApi, type WsApi } from '../transports/ws.js';
import { sha256 } from './fixtures.js';

const TICKS = 'subscription Ticks($count: Int!) { ticks(count: $count) { n } }';
const DEEP = `subscription Deep { ticks(count: 1) { node { ${'child { '.repeat(11)}id${' }'.repeat(11)} } } }`;
const OTHER = 'subscription { ticks(count: 1) { n me } }';

describe("trusted documents over graphql-ws ('enforce')", () => {
  let api: WsApi;
  let raw: RawSocket;
  before(async () => {
    api = await startWsApi({ trustedDocuments: { manifest: { 'ticks-v1': TICKS, [sha256(DEEP)]: DEEP } } });
    // the manifest loads when Apollo starts; graphql-ws alone: load it as Apollo's serverWillStart would
    await api.security.plugins[0]?.serverWillStart?.({ schema: api.schema } as never);
    raw = await rawSocket(api.url);
    await raw.next((m) => m.type === 'connection_ack');
  });
  after(async () => {
    raw.socket.close();
    await api.close();
  });

  /** Sends one subscribe and waits for its first answer (`next` or `error`). */
  async function subscribe(id: string, payload: object): Promise<any> {
    raw.send({ id, type: 'subscribe', payload });
    return raw.next((m) => m.id === id && (m.type === 'next' || m.type === 'error'));
  }

  it('runs a manifest document by documentId, by persisted-query hash, or as text', async () => {
    const byId = await subscribe('a', { query: '', documentId: 'ticks-v1', variables: { count: 1 } });
    assert.deepEqual(byId.payload, { data: { ticks: { n: 0 } } });
    const byText = await subscribe('b', { query: TICKS, variables: { count: 1 } });
    assert.deepEqual(byText.payload, { data: { ticks: { n: 0 } } });
  });

  it('refuses other documents and unknown or hostile ids with the HTTP codes', async () => {
    const cases: [object, string][] = [
      [{ query: OTHER }, 'QUERY_NOT_IN_SAFELIST'],
      [{ query: '', documentId: 'nope' }, 'PERSISTED_QUERY_NOT_FOUND'],
      [{ query: '', documentId: '__proto__' }, 'PERSISTED_QUERY_NOT_FOUND'],
      [{ query: '', documentId: 42 }, 'PERSISTED_QUERY_NOT_FOUND'],
      [
        { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: sha256(OTHER) } } },
        'PERSISTED_QUERY_NOT_FOUND',
      ],
      [{ query: OTHER, documentId: 'ticks-v1' }, 'PERSISTED_QUERY_HASH_MISMATCH'],
    ];
    let i = 0;
    for (const [payload, code] of cases) {
      const answer = await subscribe(`r${i++}`, payload);
      assert.equal(answer.type, 'error', JSON.stringify(answer));
      assert.deepEqual(
        answer.payload.map((e: { extensions: { code: string } }) => e.extensions.code),
        [code],
      );
    }
  });

  it('the limits decide on a trusted document', async () => {
    const answer = await subscribe('d', {
      query: '',
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256(DEEP) } },
    });
    assert.equal(answer.type, 'error');
    assert.equal(answer.payload[0].extensions.code, 'MAX_DEPTH_LIMIT');
  });
});
