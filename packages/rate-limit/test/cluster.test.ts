import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, postGraphQL } from '@rampart/testing';
import { createRedisCluster, RedisStore } from '../src/index.js';
import { type Harness, startHarness, TestClock } from './helpers.js';

/**
 * A real three-master Redis Cluster (own redis-server processes in a temp dir, stopped by pid): every
 * policy's script touches keys of one hash slot, so nothing fails with CROSSSLOT and limits stay exact.
 */
describe('RedisStore on a Redis Cluster', () => {
  const children: ChildProcess[] = [];
  let dir: string;
  let ports: number[];
  let h: Harness;
  let cluster: ReturnType<typeof createRedisCluster>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-cluster-'));
    ports = [await freePort(), await freePort(), await freePort()];
    for (const port of ports) {
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--dir',
          dir,
        ],
        { stdio: 'ignore' },
      );
      children.push(child);
    }
    for (const port of ports) {
      for (let i = 0; ; i++) {
        try {
          execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' });
          break;
        } catch (e) {
          if (i > 100) throw e;
          await sleep(50);
        }
      }
    }
    execFileSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      {
        stdio: 'pipe',
      },
    );
    for (let i = 0; ; i++) {
      const info = execFileSync('redis-cli', ['-p', String(ports[0]), 'cluster', 'info']).toString();
      if (info.includes('cluster_state:ok')) break;
      if (i > 200) throw new Error(`cluster not ready: ${info}`);
      await sleep(50);
    }
    cluster = createRedisCluster(ports.map((port) => ({ host: '127.0.0.1', port })));
    await new Promise<void>((resolve) => cluster.once('ready', () => resolve()));
    h = await startHarness(
      {
        store: new RedisStore(cluster, { ownsClient: true }),
        operation: { limit: 5, duration: 60 },
        costBudget: { maximumAvailable: 100, restoreRate: 1 },
        quotas: [{ name: 'monthly', period: 'month', limit: 1000 }],
        bruteForce: [{ field: 'Mutation.login', identifierArgument: 'email', maxFailures: 3 }],
      },
      { clock: new TestClock() },
    );
  });

  after(async () => {
    await h?.stop();
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        process.kill(c.pid!, 'SIGKILL');
        await once(c, 'exit');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('operation policies across users land on different slots, each exact', async () => {
    for (const user of ['alice', 'bob', 'carol', 'dave']) {
      const statuses = [];
      for (let i = 0; i < 6; i++) {
        statuses.push(
          (await postGraphQL(h.url, { query: '{ hello }' }, { headers: { 'x-user': user, 'x-estimated-cost': '1' } }))
            .status,
        );
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429], user);
    }
    const r = await postGraphQL(
      h.url,
      { query: '{ hello }' },
      { headers: { 'x-user': 'erin', 'x-estimated-cost': '10', 'x-actual-cost': '4' } },
    );
    assert.equal(r.body.extensions.cost.throttleStatus.currentlyAvailable, 96);
  });

  test('@rateLimit (also several limits, by argument) and the brute-force guard', async () => {
    const r = await postGraphQL(
      h.url,
      {
        query:
          '{ a: twice b: twice c: twice items(n: 120) { price } x: reset(email: "p@q.r") y: reset(email: "p@q.r") z: reset(email: "p@q.r") }',
      },
      { headers: { 'x-user': 'frank' } },
    );
    assert.equal(r.status, 200);
    assert.deepEqual([r.body.data.a, r.body.data.b, r.body.data.c], [2, 2, null]);
    assert.deepEqual([r.body.data.x, r.body.data.y, r.body.data.z], [true, true, null]);
    assert.equal(r.body.data.items.filter((i: { price: number | null }) => i.price !== null).length, 100);
    const login = `mutation { ${Array.from({ length: 10 }, (_, i) => `l${i}: login(email: "v@q.r", password: "no") { ok }`).join(' ')} }`;
    const before = h.counters.login;
    await postGraphQL(h.url, { query: login }, { headers: { 'x-test-ip': '192.0.2.77' } });
    assert.equal(h.counters.login - before, 3);
  });
});
