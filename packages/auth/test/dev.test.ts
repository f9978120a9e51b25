import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createJwtVerifier, loadOrCreateDevKeys, mintToken } from '@rampart/auth';
import { AddressList, clientAddress } from '../src/ip.js';

describe('dev keys and tokens', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('creates the signing key once (0600 in a 0700 folder) and loads the same key afterwards', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rampart-auth-'));
    dirs.push(root);
    const dir = join(root, '.dev-keys');
    const first = await loadOrCreateDevKeys(dir);
    const second = await loadOrCreateDevKeys(dir);
    assert.equal(second.kid, first.kid);
    assert.deepEqual(second.jwks.keys[0]?.n, first.jwks.keys[0]?.n);
    assert.equal(second.jwks.keys[0]?.d, undefined, 'the JWKS must not carry the private part');
    assert.equal((await stat(join(dir, 'dev-signing-key.json'))).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const token = await mintToken(second, {
      issuer: 'i',
      audience: 'a',
      subject: 'alice',
      scopes: ['x'],
      roles: ['admin'],
    });
    const verifier = createJwtVerifier({
      issuer: 'i',
      audience: 'a',
      algorithms: ['RS256'],
      keys: first.jwks.keys,
      typ: 'at+jwt',
      rolesClaim: 'roles',
    });
    const p = await verifier.verify(token, Date.now());
    assert.equal(p.id, 'alice');
    assert.deepEqual([...p.roles], ['admin']);
  });
});

describe('hostile forwarding headers', () => {
  it('a 10,000-entry X-Forwarded-For is bounded and still gives the right-most untrusted hop', () => {
    const trusted = new AddressList(['10.0.0.0/8'], 'test');
    const header = `${Array.from({ length: 10_000 }, (_, i) => `1.2.${(i >> 8) & 255}.${i & 255}`).join(', ')}, 198.51.100.4, 10.0.0.2`;
    assert.equal(clientAddress('10.0.0.1', header, trusted), '198.51.100.4');
    assert.equal(clientAddress('10.0.0.1', ', , ,', trusted), '10.0.0.1');
  });
});
