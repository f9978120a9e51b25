import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type AuditCheckpointRecord, type AuditOptions, generateAuditKeys, verifyAuditLog } from '../src/index.js';
import { resolveAuditOptions } from '../src/options.js';
import { AuditWriter } from '../src/writer.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-audit-anchor-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const keys = generateAuditKeys(join(dir, 'keys'));
const key = `@${keys.hmacKeyPath}`;
const publicKey = `@${keys.publicKeyPath}`;

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

/** Writes `count` records with a checkpoint every 4 and the given anchor; returns the paths. */
async function anchoredLog(name: string, count: number, anchor: unknown, extra: Partial<AuditOptions> = {}) {
  const log = join(dir, `${name}.log`);
  const checkpoints = join(dir, `${name}.log.checkpoints`);
  const w = new AuditWriter(
    resolveAuditOptions({
      destination: log,
      chain: {
        key,
        checkpoints: {
          path: checkpoints,
          privateKey: `@${keys.privateKeyPath}`,
          every: 4,
          everyMs: 0,
          anchor,
        } as never,
      },
      ...extra,
    }),
  );
  for (let i = 1; i <= count; i++) {
    assert.equal(w.write({ event: { action: 'test', sequence: w.nextSequence() }, graphql: { n: i } }, 'test'), true);
  }
  const healthy = w.healthy;
  const chain = w.chainId;
  await w.close();
  return { log, checkpoints, chain, healthy, anchorFailures: w.anchorFailures };
}

describe('checkpoint anchor (off-host copy of the checkpoints)', () => {
  it('a file anchor holds every checkpoint, byte for byte', async () => {
    const anchor = join(dir, 'remote', 'file.checkpoints');
    const r = await anchoredLog('file', 10, anchor);
    assert.equal(readFileSync(anchor, 'utf8'), readFileSync(r.checkpoints, 'utf8'));
    assert.deepEqual(
      lines(anchor).map((l) => JSON.parse(l).seq),
      [0, 4, 8, 10],
    );
    const result = await verifyAuditLog({
      logPath: r.log,
      key,
      checkpointsPath: r.checkpoints,
      publicKey,
      anchorPath: anchor,
    });
    assert.deepEqual(result.problems, []);
    assert.equal(result.unsealedTail, false);
  });

  it('a function, a stream and a pino transport anchor get each checkpoint', async () => {
    const got: AuditCheckpointRecord[] = [];
    const r = await anchoredLog('fn', 5, async (c: AuditCheckpointRecord) => {
      got.push(c);
    });
    assert.deepEqual(
      got.map((c) => `${JSON.stringify(c)}`),
      lines(r.checkpoints),
    );
    const written: string[] = [];
    const s = await anchoredLog('stream', 5, { stream: { write: (line: string) => written.push(line) } });
    assert.deepEqual(written.join(''), readFileSync(s.checkpoints, 'utf8'));
    // A pino transport (a worker thread; here pino/file, in production a syslog or HTTP collector).
    const destination = join(dir, 'collector', 'transport.checkpoints');
    const t = await anchoredLog('transport', 5, {
      transport: { target: 'pino/file', options: { destination, mkdir: true } },
    });
    assert.equal(readFileSync(destination, 'utf8'), readFileSync(t.checkpoints, 'utf8'));
  });

  it('a failing anchor is reported and never blocks or loses the log', async () => {
    const errors: string[] = [];
    const onWriteError = (e: Error) => errors.push(e.message);
    const thrown = await anchoredLog(
      'throws',
      6,
      () => {
        throw new Error('collector down');
      },
      { onWriteError, failClosed: true },
    );
    assert.equal(thrown.healthy, true);
    assert.equal(thrown.anchorFailures, 3);
    assert.deepEqual(errors, Array(3).fill('audit checkpoint anchor: collector down'));
    const rejected = await anchoredLog('rejects', 2, () => Promise.reject(new Error('HTTP 503')), { onWriteError });
    assert.equal(rejected.anchorFailures, 2);
    assert.equal(errors.at(-1), 'audit checkpoint anchor: HTTP 503');
    // A file anchor whose folder cannot be created (a file stands in the way).
    writeFileSync(join(dir, 'blocker'), '');
    const unwritable = await anchoredLog('unwritable', 2, join(dir, 'blocker', 'x.checkpoints'), { onWriteError });
    assert.equal(unwritable.anchorFailures, 2);
    assert.match(errors.at(-1) ?? '', /^audit checkpoint anchor: ENOTDIR/);
    for (const r of [thrown, rejected, unwritable]) {
      const result = await verifyAuditLog({ logPath: r.log, key, checkpointsPath: r.checkpoints, publicKey });
      assert.deepEqual(result.problems, []);
      assert.equal(result.unsealedTail, false);
    }
  });

  it('a log cut together with its local checkpoints file is detected against the anchor', async () => {
    const anchor = join(dir, 'remote', 'cut.checkpoints');
    const r = await anchoredLog('cut', 10, anchor);
    // On the host: the last 7 records and every checkpoint after seq 0 are gone.
    writeFileSync(r.log, `${lines(r.log).slice(0, 3).join('\n')}\n`);
    writeFileSync(r.checkpoints, `${lines(r.checkpoints)[0]}\n`);
    const local = await verifyAuditLog({ logPath: r.log, key, checkpointsPath: r.checkpoints, publicKey });
    assert.equal(local.problems.length, 0, 'without the anchor, the cut is an unsealed tail at best');
    const result = await verifyAuditLog({
      logPath: r.log,
      key,
      checkpointsPath: r.checkpoints,
      publicKey,
      anchorPath: anchor,
    });
    assert.deepEqual(
      result.problems.map((p) => [p.kind, p.file, p.line, p.message]),
      [
        [
          'anchor-mismatch',
          anchor,
          2,
          `${anchor}:2: 3 anchored checkpoint(s) of chain ${r.chain} (seq 4, 8, 10) are not in the local checkpoints (${r.checkpoints}): the local checkpoints were cut, replaced or deleted`,
        ],
        [
          'truncated',
          r.log,
          3,
          `${r.log}:3: chain ${r.chain} ends at seq 3, but a signed checkpoint covers seq 4: records were removed from the end`,
        ],
      ].sort((a, b) => (a[1] === b[1] ? 0 : (a[1] as string) < (b[1] as string) ? -1 : 1)),
    );
    // The local checkpoints file deleted, or emptied.
    unlinkSync(r.checkpoints);
    const deleted = await verifyAuditLog({
      logPath: r.log,
      key,
      checkpointsPath: r.checkpoints,
      publicKey,
      anchorPath: anchor,
    });
    assert.deepEqual(deleted.problems.map((p) => p.kind).sort(), ['anchor-mismatch', 'truncated']);
    assert.match(
      deleted.problems.find((p) => p.kind === 'anchor-mismatch')?.message ?? '',
      /4 anchored checkpoint\(s\) .* \(seq 0, 4, 8, 10\) are not in the local checkpoints \(no local checkpoints file\)/,
    );
    writeFileSync(r.checkpoints, '');
    truncateSync(r.log, 0);
    const emptied = await verifyAuditLog({
      logPath: r.log,
      key,
      checkpointsPath: r.checkpoints,
      publicKey,
      anchorPath: anchor,
    });
    // No line of the chain left: each anchored checkpoint after seq 0 names what was removed.
    assert.deepEqual(emptied.problems.map((p) => p.kind).sort(), [
      'anchor-mismatch',
      'truncated',
      'truncated',
      'truncated',
    ]);
    // A forged anchored checkpoint is a bad checkpoint, not a reason to accept anything.
    const forged = join(dir, 'forged.checkpoints');
    const first = JSON.parse(lines(anchor)[1] as string);
    writeFileSync(forged, `${JSON.stringify({ ...first, seq: 99 })}\n`);
    const bad = await verifyAuditLog({ logPath: r.log, key, publicKey, anchorPath: forged });
    assert.deepEqual(
      bad.problems.map((p) => p.kind),
      ['bad-checkpoint'],
    );
  });

  it('anchor options are checked', () => {
    const base = { path: join(dir, 'x'), privateKey: `@${keys.privateKeyPath}` };
    const bad = (anchor: unknown) => () =>
      resolveAuditOptions({ chain: { key, checkpoints: { ...base, anchor } as never } });
    assert.throws(bad(''), /audit\.chain.*\.checkpoints\.anchor must not be empty/);
    assert.throws(bad({ url: 'x' }), /\.checkpoints\.anchor has an unknown key "url"/);
    assert.throws(bad({ stream: {} }), /\.checkpoints\.anchor \.stream must have a write\(\) method/);
    assert.throws(
      bad(42),
      /\.checkpoints\.anchor must be a file path, \{ path \}, \{ stream \}, \{ transport \} or a function/,
    );
    assert.doesNotThrow(bad({ transport: { target: 'pino/file', options: { destination: join(dir, 't') } } }));
  });
});
