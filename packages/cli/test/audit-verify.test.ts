import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { auditPlugin, generateAuditKeys } from '@rampart/audit';
import { postGraphQL, startTestServer } from '@rampart/testing';
import { run } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-cli-audit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('rampart audit verify', () => {
  it('exit 0 on an intact log written by a real server; 1 naming the first bad line after tampering', async () => {
    const keys = generateAuditKeys(join(dir, 'keys'));
    const log = join(dir, 'audit.log');
    const checkpoints = join(dir, 'audit.log.checkpoints');
    const schema = makeExecutableSchema({
      typeDefs: 'type Query { hello: String }',
      resolvers: { Query: { hello: () => 'hi' } },
    });
    const server = await startTestServer({
      schema,
      plugins: [
        auditPlugin({
          destination: log,
          chain: {
            key: `@${keys.hmacKeyPath}`,
            checkpoints: { path: checkpoints, privateKey: `@${keys.privateKeyPath}` },
          },
        }),
      ],
    });
    for (let i = 0; i < 5; i++) await postGraphQL(server.graphqlUrl, { query: '{ hello }' });
    await server.stop();

    const args = ['audit', 'verify', log, '--key', `@${keys.hmacKeyPath}`];
    const withCheckpoints = [...args, '--checkpoints', checkpoints, '--public-key', keys.publicKeyPath];
    const intact = await run(['--', ...withCheckpoints]);
    assert.equal(intact.code, 0, intact.err);

    const lines = readFileSync(log, 'utf8').split('\n');
    lines[2] = (lines[2] as string).replace('"success"', '"failure"');
    writeFileSync(log, lines.join('\n'));
    const tampered = await run(args);
    assert.equal(tampered.code, 1);
    assert.match(tampered.err, /audit\.log:3: MAC mismatch/);

    const usage = await run(['audit', 'verify', log]);
    assert.equal(usage.code, 2);
  });
});
