/**
 * Audit key rotation through the preset (issue 18): `security.audit.rotateKey()` on a server answering
 * over HTTP; the whole log verifies with a key ring holding both keys.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { rampart } from '@rampart/apollo';
import { generateAuditKeys, verifyAuditLog } from '@rampart/audit';
import { postGraphQL, startTestServer } from '@rampart/testing';

const dir = mkdtempSync(join(tmpdir(), 'rampart-audit-rotation-e2e-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('audit key rotation through rampart()', () => {
  it('security.audit.rotateKey() while serving: two linked chains, intact with the key ring', async () => {
    const keys1 = generateAuditKeys(join(dir, 'k1'));
    const keys2 = generateAuditKeys(join(dir, 'k2'));
    const log = join(dir, 'audit.log');
    const checkpoints = join(dir, 'audit.log.checkpoints');
    const security = rampart({
      audit: {
        destination: log,
        chain: {
          key: `@${keys1.hmacKeyPath}`,
          keyId: 'hmac-1',
          checkpoints: { path: checkpoints, privateKey: `@${keys1.privateKeyPath}`, keyId: 'cp-1' },
        },
      },
    });
    const typeDefs = 'type Query { hello: String }';
    const schema = makeExecutableSchema({
      typeDefs: [security.typeDefs, typeDefs],
      resolvers: { Query: { hello: () => 'hi' } },
    });
    const server = await startTestServer(
      { schema: security.transformSchema(schema), ...security.serverOptions, plugins: security.plugins },
      { context: security.context() },
    );
    const ask = () => postGraphQL(server.graphqlUrl, { query: '{ hello }' });
    assert.equal((await ask()).status, 200);
    const inFlight = [ask(), ask(), ask()];
    const rotation = await security.audit?.rotateKey({
      hmacKey: `@${keys2.hmacKeyPath}`,
      keyId: 'hmac-2',
      privateKey: `@${keys2.privateKeyPath}`,
      checkpointKeyId: 'cp-2',
    });
    assert.deepEqual(
      (await Promise.all(inFlight)).map((r) => r.status),
      [200, 200, 200],
    );
    assert.equal((await ask()).status, 200);
    await server.stop();
    assert.equal(rotation?.keyId, 'hmac-2');
    const keyIds = readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).key_id as string);
    assert.equal(keyIds.length, 6);
    assert.deepEqual([...new Set(keyIds)], ['hmac-1', 'hmac-2']);
    const result = await verifyAuditLog({
      logPath: log,
      checkpointsPath: checkpoints,
      keys: {
        hmac: { 'hmac-1': `@${keys1.hmacKeyPath}`, 'hmac-2': `@${keys2.hmacKeyPath}` },
        ed25519: { 'cp-1': `@${keys1.publicKeyPath}`, 'cp-2': `@${keys2.publicKeyPath}` },
      },
    });
    assert.deepEqual(result.problems, []);
    assert.equal(result.unsealedTail, false);
    assert.deepEqual(
      result.chains.map((c) => c.id),
      [rotation?.previous.chain, rotation?.chain],
    );
    assert.equal(rampart().audit, undefined);
  });
});
