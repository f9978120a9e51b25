import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { postGraphQL } from '@rampart/testing';
import { generateAuditKeys, verifyAuditLog } from '../src/index.js';

const root = new URL('../../../', import.meta.url).pathname;
const fixture = new URL('./fixtures/server.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rampart-audit-durable-'));
const keys = generateAuditKeys(join(dir, 'keys'));

async function startChild(
  log: string,
  sync: boolean,
  durability: 'group' | 'sync' = 'sync',
): Promise<{ child: ChildProcess; url: string; exited: Promise<NodeJS.Signals | number | null> }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', fixture], {
    cwd: root,
    env: {
      ...process.env,
      AUDIT_LOG: log,
      AUDIT_SYNC: String(sync),
      AUDIT_DURABILITY: durability,
      AUDIT_KEY_DIR: join(dir, 'keys'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`fixture server exited early (${code})`)));
  });
  return { child, url, exited };
}

async function sendRequests(url: string, count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const body =
        i % 10 === 0
          ? { query: 'mutation T($id: ID!) { touch(id: $id) }', variables: { id: String(i) } }
          : { query: 'query H($n: Int) { hello(n: $n) }', variables: { n: i } };
      const res = await postGraphQL(url, body);
      assert.equal(res.status, 200);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

function records(log: string): Record<string, any>[] {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('durability: 1,000 requests then SIGTERM to a startStandaloneServer child process', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  const modes = [
    { sync: true, durability: 'sync', name: 'synchronous' },
    { sync: true, durability: 'group', name: 'group-commit' },
    { sync: false, durability: 'sync', name: 'buffered asynchronous' },
  ] as const;
  for (const { sync, durability, name } of modes) {
    it(`${name} file destination keeps all 1,000 operation records`, async () => {
      const log = join(dir, `audit-${name}.log`);
      const { child, url, exited } = await startChild(log, sync, durability);
      await sendRequests(url, 1000);
      child.kill('SIGTERM');
      assert.equal(await exited, 'SIGTERM');
      const all = records(log);
      const ops = all.filter((r) => r.event.action === 'graphql.operation');
      assert.equal(ops.length, 1000);
      assert.equal(all.filter((r) => r.event.action === 'graphql.field').length, 100, 'one field record per mutation');
      const result = await verifyAuditLog({
        logPath: log,
        key: `@${keys.hmacKeyPath}`,
        checkpointsPath: `${log}.checkpoints`,
        publicKey: `@${keys.publicKeyPath}`,
      });
      assert.equal(result.ok, true, JSON.stringify(result.problems));
      assert.equal(result.chains[0]?.records, 1100);
      assert.equal(result.chains[0]?.checkpointedSeq, 1100, 'the shutdown checkpoint covers the last record');
    });
  }

  it('process.exit() without shutdown hooks: buffered lines are flushed and the final checkpoint written', async () => {
    const log = join(dir, 'audit-exit.log');
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', new URL('./fixtures/exit-writer.ts', import.meta.url).pathname],
      {
        cwd: root,
        env: { ...process.env, AUDIT_LOG: log, AUDIT_KEY_DIR: join(dir, 'keys'), AUDIT_COUNT: '500' },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0);
    assert.equal(records(log).length, 500);
    const result = await verifyAuditLog({
      logPath: log,
      key: `@${keys.hmacKeyPath}`,
      checkpointsPath: `${log}.checkpoints`,
      publicKey: `@${keys.publicKeyPath}`,
    });
    assert.equal(result.ok, true, JSON.stringify(result.problems));
    assert.equal(result.chains[0]?.checkpointedSeq, 500);
  });

  it('SIGKILL with the synchronous destination loses nothing already answered', async () => {
    const log = join(dir, 'audit-kill.log');
    const { child, url, exited } = await startChild(log, true);
    await sendRequests(url, 300);
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.equal(records(log).filter((r) => r.event.action === 'graphql.operation').length, 300);
    const result = await verifyAuditLog({
      logPath: log,
      key: `@${keys.hmacKeyPath}`,
      checkpointsPath: `${log}.checkpoints`,
      publicKey: `@${keys.publicKeyPath}`,
    });
    assert.equal(result.ok, true, JSON.stringify(result.problems));
    assert.equal(result.chains[0]?.checkpointedSeq, 250, 'the periodic checkpoint; none was written at the kill');
  });
});
