import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { postGraphQL } from '@rampart/testing';
import type { WritableLike } from '../src/index.js';
import { startAudited } from './helpers.js';

const USER = { 'x-test-user': 'u-42' };

describe('a failing destination', () => {
  it('disk full (/dev/full), durability sync: requests still succeed, each failed write reported and counted', {
    skip: !existsSync('/dev/full'),
  }, async () => {
    const errors: Error[] = [];
    const s = await startAudited({ destination: '/dev/full', durability: 'sync', onWriteError: (e) => errors.push(e) });
    try {
      const q = await postGraphQL(s.url, { query: '{ me { id } }' }, { headers: USER });
      assert.equal(q.status, 200);
      assert.deepEqual(q.body.data, { me: { id: 'c1' } });
      const m = await postGraphQL(s.url, { query: 'mutation { deleteCustomer(id: "c1") }' }, { headers: USER });
      assert.equal(m.status, 200);
      assert.deepEqual(m.body.data, { deleteCustomer: true });
      assert.equal(errors.length, 3, 'operation, field, operation');
      assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOSPC');
      assert.equal(s.audit.writer().dropped, 3);
      assert.equal(s.audit.writer().healthy, false);
    } finally {
      await s.server.stop();
    }
  });

  it("disk full (/dev/full), group commit: one failure per turn's write, every lost record counted", {
    skip: !existsSync('/dev/full'),
  }, async () => {
    const errors: Error[] = [];
    const s = await startAudited({ destination: '/dev/full', onWriteError: (e) => errors.push(e) });
    try {
      const q = await postGraphQL(s.url, { query: '{ me { id } }' }, { headers: USER });
      assert.equal(q.status, 200);
      assert.deepEqual(q.body.data, { me: { id: 'c1' } });
      const m = await postGraphQL(s.url, { query: 'mutation { deleteCustomer(id: "c1") }' }, { headers: USER });
      assert.equal(m.status, 200);
      assert.deepEqual(m.body.data, { deleteCustomer: true });
      await setImmediate();
      // The mutation's field and operation records share one write: one error for both.
      assert.equal(errors.length, 2, 'query turn, mutation turn');
      assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOSPC');
      assert.equal(s.audit.writer().dropped, 3);
      assert.equal(s.audit.writer().healthy, false);
    } finally {
      await s.server.stop();
    }
  });

  it('closed pipe (reader gone, EPIPE): requests still succeed', async () => {
    // A reader that closed its end of the pipe but is still running: writes fail with EPIPE.
    // It says "closed" once its end is closed: from then on, every write fails.
    const child = spawn('sh', ['-c', 'exec 0<&-; echo closed; exec sleep 30'], { stdio: ['pipe', 'pipe', 'ignore'] });
    await once(child.stdout as NodeJS.ReadableStream, 'data');
    const errors: Error[] = [];
    const s = await startAudited({
      destination: { stream: child.stdin as unknown as WritableLike },
      onWriteError: (e) => errors.push(e),
    });
    try {
      for (let i = 0; i < 5; i++) {
        const q = await postGraphQL(s.url, { query: '{ me { id } }' }, { headers: USER });
        assert.equal(q.status, 200);
      }
      assert.ok(errors.length >= 1);
      assert.equal((errors[0] as NodeJS.ErrnoException).code, 'EPIPE');
    } finally {
      await s.server.stop();
      child.kill();
    }
  });

  it('a destination whose write throws never fails the request', async () => {
    const s = await startAudited({
      destination: {
        stream: {
          write() {
            throw new Error('boom');
          },
        },
      },
      onWriteError: () => {},
    });
    try {
      const q = await postGraphQL(s.url, { query: 'mutation { login(email: "a", password: "b") }' }, { headers: USER });
      assert.equal(q.status, 200);
      assert.deepEqual(q.body.data, { login: 'session-abc' });
    } finally {
      await s.server.stop();
    }
  });

  it('failClosed refuses requests with 503 before execution when the trail cannot be written', {
    skip: !existsSync('/dev/full'),
  }, async () => {
    const s = await startAudited({ destination: '/dev/full', failClosed: true, onWriteError: () => {} });
    try {
      const m = await postGraphQL(s.url, { query: 'mutation { deleteCustomer(id: "c1") }' }, { headers: USER });
      assert.equal(m.status, 503);
      assert.equal(m.body.data, undefined);
      assert.equal(m.body.errors[0].extensions.code, 'INTERNAL_SERVER_ERROR');
      assert.match(m.body.errors[0].message, /audit trail cannot be written/);
      const q = await postGraphQL(s.url, { query: '{ me { id } }' }, { headers: USER });
      assert.equal(q.status, 503);
    } finally {
      await s.server.stop();
    }
  });

  it('failClosed withholds the response when only the final record fails', async () => {
    let writes = 0;
    const s = await startAudited({
      failClosed: true,
      onWriteError: () => {},
      destination: {
        stream: {
          write() {
            writes++;
            // The start record goes through; every later line fails.
            if (writes > 1) throw new Error('disk gone');
          },
        },
      },
    });
    try {
      const q = await postGraphQL(s.url, { query: '{ me { id name } }' }, { headers: USER });
      assert.equal(q.status, 503);
      assert.equal(q.body.data, undefined);
      assert.equal(q.body.errors[0].extensions.code, 'INTERNAL_SERVER_ERROR');
    } finally {
      await s.server.stop();
    }
  });

  it('failClosed writes a start record before execution and the final record after', async () => {
    const s = await startAudited({ failClosed: true });
    try {
      const q = await postGraphQL(s.url, { query: 'query Me { me { id } }' }, { headers: USER });
      assert.equal(q.status, 200);
      assert.deepEqual(
        s.sink.records.map((r) => [r.event.action, r.event.outcome, r.event.type[1]]),
        [
          ['graphql.operation.start', 'unknown', 'start'],
          ['graphql.operation', 'success', 'allowed'],
        ],
      );
    } finally {
      await s.server.stop();
    }
  });
});
