import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { postGraphQL } from '@rampart/testing';
import { verifyAuditLog } from '../src/index.js';
import { hmacKeyHex, startAudited } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-audit-dest-'));
const USER = { 'x-test-user': 'u-42' };

function count(path: string): number {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).length;
}

describe('destinations', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a pino transport (worker thread) receives every chained line, flushed on stop', async () => {
    const path = join(dir, 'transport.log');
    const s = await startAudited({
      destination: { transport: { target: 'pino/file', options: { destination: path, mkdir: true } } },
      chain: { key: hmacKeyHex },
    });
    for (let i = 0; i < 20; i++) await postGraphQL(s.url, { query: '{ me { id } }' }, { headers: USER });
    await s.server.stop();
    assert.equal(count(path), 20);
    const r = await verifyAuditLog({ logPath: path, key: hmacKeyHex });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
  });

  it('a buffered asynchronous file is flushed in serverWillStop', async () => {
    const path = join(dir, 'async.log');
    const s = await startAudited({ destination: { path, sync: false, minLength: 16_000 }, chain: { key: hmacKeyHex } });
    for (let i = 0; i < 20; i++) await postGraphQL(s.url, { query: '{ me { id } }' }, { headers: USER });
    await s.server.stop();
    assert.equal(count(path), 20);
    const r = await verifyAuditLog({ logPath: path, key: hmacKeyHex });
    assert.equal(r.ok, true);
  });

  it('the audit logger is separate: a new server after stop starts a new chain in the same file', async () => {
    const path = join(dir, 'two-boots.log');
    const a = await startAudited({ destination: path, chain: { key: hmacKeyHex } });
    await postGraphQL(a.url, { query: '{ me { id } }' }, { headers: USER });
    await a.server.stop();
    const b = await startAudited({ destination: path, chain: { key: hmacKeyHex } });
    await postGraphQL(b.url, { query: '{ me { id } }' }, { headers: USER });
    await b.server.stop();
    const r = await verifyAuditLog({ logPath: path, key: hmacKeyHex });
    assert.equal(r.ok, true);
    assert.equal(r.chains.length, 2);
  });
});
