import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { postGraphQL } from '@rampart/testing';
import { generateAuditKeys, verifyAuditLog } from '../src/index.js';
import { resolveAuditOptions } from '../src/options.js';
import { AuditWriter } from '../src/writer.js';
import { hmacKeyHex, startAudited } from './helpers.js';
import { killRun } from './kill-run.js';

const root = new URL('../../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rampart-audit-group-'));
const keys = generateAuditKeys(join(dir, 'keys'));
const USER = { 'x-test-user': 'u-42' };

function lines(path: string): Record<string, any>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function groupWriter(log: string, every = 1000): AuditWriter {
  return new AuditWriter(
    resolveAuditOptions({
      destination: log,
      durability: 'group',
      chain: {
        key: hmacKeyHex,
        checkpoints: { path: `${log}.checkpoints`, privateKey: `@${keys.privateKeyPath}`, every },
      },
    }),
  );
}

async function verify(log: string) {
  return verifyAuditLog({
    logPath: log,
    key: hmacKeyHex,
    checkpointsPath: `${log}.checkpoints`,
    publicKey: `@${keys.publicKeyPath}`,
  });
}

describe("durability: 'group' (group commit)", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the records of one turn reach the file together at the end of the turn, in order, before the next turn', async () => {
    const log = join(dir, 'turns.log');
    const w = groupWriter(log);
    for (let i = 0; i < 50; i++) w.write({ event: { action: 'turn1', sequence: w.nextSequence() } }, 'turn1');
    assert.equal(statSync(log, { throwIfNoEntry: false })?.size ?? 0, 0, 'nothing written during the turn');
    await setImmediate();
    assert.equal(lines(log).length, 50);
    for (let i = 0; i < 30; i++) w.write({ event: { action: 'turn2', sequence: w.nextSequence() } }, 'turn2');
    assert.equal(lines(log).length, 50, 'the second turn waits for its own end');
    await setImmediate();
    const all = lines(log);
    assert.deepEqual(
      all.map((r) => r.seq),
      Array.from({ length: 80 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      all.map((r) => r.event.sequence),
      Array.from({ length: 80 }, (_, i) => i + 1),
    );
    assert.equal(all[49]?.event.action, 'turn1');
    assert.equal(all[50]?.event.action, 'turn2');
    await w.close();
    const result = await verify(log);
    assert.equal(result.ok, true, JSON.stringify(result.problems));
    assert.equal(result.chains[0]?.records, 80);
    assert.equal(result.chains[0]?.checkpointedSeq, 80);
  });

  it('checkpoints in the middle of a turn write the pending lines first: the verifier passes', async () => {
    const log = join(dir, 'checkpoints.log');
    const w = groupWriter(log, 7);
    for (let t = 0; t < 5; t++) {
      for (let i = 0; i < 11; i++) w.write({ event: { action: 'x', sequence: w.nextSequence() } }, 'x');
      await setImmediate();
    }
    await w.close();
    const result = await verify(log);
    assert.equal(result.ok, true, JSON.stringify(result.problems));
    assert.equal(result.chains[0]?.records, 55);
    assert.equal(result.chains[0]?.checkpointedSeq, 55);
    const cps = lines(`${log}.checkpoints`).map((c) => c.seq);
    assert.deepEqual(cps, [0, 7, 14, 21, 28, 35, 42, 49, 55]);
  });

  it('a failed group write loses that turn only: the chain continues from the last line on disk', async () => {
    const base = join(dir, 'blocked');
    writeFileSync(base, 'a file where the folder should be');
    const log = join(base, 'audit.log');
    const errors: Error[] = [];
    const w = new AuditWriter(
      resolveAuditOptions({
        destination: log,
        durability: 'group',
        chain: { key: hmacKeyHex },
        onWriteError: (e) => errors.push(e),
      }),
    );
    for (let i = 0; i < 5; i++) assert.equal(w.write({ event: { sequence: w.nextSequence() } }, 'lost'), true);
    assert.equal(await w.whenWritten(), false);
    assert.equal(errors.length, 1, 'one failed write for the whole turn');
    assert.equal(w.dropped, 5);
    assert.equal(w.healthy, false);
    assert.deepEqual(w.head, { seq: 0, mac: '0'.repeat(64) }, 'rewound to the start of the chain');
    rmSync(base);
    mkdirSync(base);
    for (let i = 0; i < 3; i++) w.write({ event: { sequence: w.nextSequence() } }, 'kept');
    assert.equal(w.healthy, false, 'accepted is not written yet');
    assert.equal(await w.whenWritten(), true);
    assert.equal(w.healthy, true, 'healthy again once a group write succeeded');
    await w.close();
    const all = lines(log);
    assert.deepEqual(
      all.map((r) => [r.seq, r.event.sequence]),
      [
        [1, 6],
        [2, 7],
        [3, 8],
      ],
      'chain seq continues without a hole; event.sequence shows the 5 lost records',
    );
    const result = await verifyAuditLog({ logPath: log, key: hmacKeyHex });
    assert.equal(result.ok, true, JSON.stringify(result.problems));
  });

  it('failClosed: every request of a turn whose write failed is refused with 503', async () => {
    const base = join(dir, 'blocked-http');
    writeFileSync(base, 'not a folder');
    const s = await startAudited({
      destination: join(base, 'audit.log'),
      durability: 'group',
      failClosed: true,
      onWriteError: () => {},
    });
    try {
      const responses = await Promise.all(
        [1, 2, 3].map(() => postGraphQL(s.url, { query: '{ me { id } }' }, { headers: USER })),
      );
      assert.deepEqual(
        responses.map((r) => r.status),
        [503, 503, 503],
      );
      assert.equal(responses[0]?.body.errors[0].extensions.code, 'INTERNAL_SERVER_ERROR');
      assert.equal(responses[0]?.body.data, undefined);
      rmSync(base);
      mkdirSync(base);
      const ok = await postGraphQL(s.url, { query: '{ me { id } }' }, { headers: USER });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body.data, { me: { id: 'c1' } });
    } finally {
      await s.server.stop();
    }
    const written = lines(join(base, 'audit.log'));
    assert.deepEqual(
      written.map((r) => r.event.action),
      ['graphql.operation.start', 'graphql.operation'],
    );
  });

  it('process.exit() without shutdown hooks writes the pending turn and the final checkpoint', async () => {
    const log = join(dir, 'exit.log');
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', new URL('./fixtures/exit-writer.ts', import.meta.url).pathname],
      {
        cwd: root,
        env: {
          ...process.env,
          AUDIT_LOG: log,
          AUDIT_KEY_DIR: join(dir, 'keys'),
          AUDIT_COUNT: '500',
          AUDIT_GROUP: 'true',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0);
    assert.equal(lines(log).length, 500);
    const result = await verifyAuditLog({
      logPath: log,
      key: `@${keys.hmacKeyPath}`,
      checkpointsPath: `${log}.checkpoints`,
      publicKey: `@${keys.publicKeyPath}`,
    });
    assert.equal(result.ok, true, JSON.stringify(result.problems));
    assert.equal(result.chains[0]?.checkpointedSeq, 500);
  });
});

describe('SIGKILL at random times', () => {
  const killDir = mkdtempSync(join(tmpdir(), 'rampart-audit-kill-'));
  after(() => rmSync(killDir, { recursive: true, force: true }));

  for (const durability of ['group', 'sync'] as const) {
    it(`${durability}: at most the records of the interrupted turn are lost (${durability === 'sync' ? 'none' : '≤ 10'})`, async () => {
      for (let run = 0; run < 3; run++) {
        const log = join(killDir, `${durability}-${run}.log`);
        const r = await killRun(log, durability, hmacKeyHex, 10, 100 + Math.floor(Math.random() * 200));
        assert.ok(r.acked > 0, 'the child acknowledged records before the kill');
        assert.ok(r.lost <= (durability === 'sync' ? 0 : 10), JSON.stringify(r));
        const result = await verifyAuditLog({ logPath: log, key: hmacKeyHex });
        assert.equal(result.ok, true, JSON.stringify(result.problems));
      }
    });
  }
});
