import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { type CheckpointTickOutcome, CheckpointTimer, type RepeatScheduler } from '../src/checkpoint-timer.js';
import { generateAuditKeys, verifyAuditLog } from '../src/index.js';
import { type AuditCheckpointOptions, type AuditOptions, resolveAuditOptions } from '../src/options.js';
import { AuditWriter } from '../src/writer.js';
import { hmacKeyHex } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-audit-timer-'));
const keys = generateAuditKeys(join(dir, 'keys'));
after(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.parse('2026-03-01T12:00:00.000Z');

/** A scheduler that records what the writer scheduled; the test runs the ticks itself. */
class ManualScheduler {
  tick: (() => Promise<CheckpointTickOutcome>) | undefined;
  everyMs: number | undefined;
  stopped = 0;
  readonly schedule: RepeatScheduler = (tick, everyMs) => {
    this.tick = tick;
    this.everyMs = everyMs;
    return () => {
      this.stopped++;
    };
  };
  run(): Promise<CheckpointTickOutcome> {
    assert.ok(this.tick, 'a timer was scheduled');
    return this.tick();
  }
}

function writerOf(
  log: string,
  checkpoints: Partial<AuditCheckpointOptions>,
  scheduler: ManualScheduler,
  destination: AuditOptions['destination'] = log,
  durability: AuditOptions['durability'] = 'group',
): AuditWriter {
  const options = resolveAuditOptions({
    destination,
    durability,
    clock: { now: () => NOW },
    chain: {
      key: hmacKeyHex,
      checkpoints: { path: `${log}.checkpoints`, privateKey: `@${keys.privateKeyPath}`, ...checkpoints },
    },
  });
  return new AuditWriter(options, scheduler.schedule);
}

function writeRecords(writer: AuditWriter, count: number): void {
  for (let i = 0; i < count; i++) {
    assert.equal(writer.write({ event: { action: 'x', sequence: writer.nextSequence() } }, 'x'), true);
  }
}

function checkpointLines(log: string): { seq: number; '@timestamp': string }[] {
  return readFileSync(`${log}.checkpoints`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function verify(log: string, checkpointsPath = `${log}.checkpoints`) {
  return verifyAuditLog({ logPath: log, key: hmacKeyHex, checkpointsPath, publicKey: `@${keys.publicKeyPath}` });
}

/** Bytes of the lines `from`..`to` (1-based, inclusive) of a file, newlines included. */
function bytesOfLines(path: string, from: number, to: number): number {
  const all = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  return all.slice(from - 1, to).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
}

describe('time-based checkpoints (chain.checkpoints.everyMs)', () => {
  it('a checkpoint per tick after records were written, none when idle; the clock stamps it', async () => {
    const log = join(dir, 'timer.log');
    const scheduler = new ManualScheduler();
    const w = writerOf(log, { everyMs: 5000 }, scheduler);
    assert.equal(scheduler.everyMs, 5000);
    assert.deepEqual(
      checkpointLines(log).map((c) => c.seq),
      [0],
    );
    assert.equal(await scheduler.run(), 'idle', 'nothing written since the start checkpoint');
    writeRecords(w, 3);
    assert.equal(await scheduler.run(), 'written');
    assert.equal(await scheduler.run(), 'idle');
    assert.equal(await scheduler.run(), 'idle');
    writeRecords(w, 2);
    assert.equal(await scheduler.run(), 'written');
    const cps = checkpointLines(log);
    assert.deepEqual(
      cps.map((c) => c.seq),
      [0, 3, 5],
    );
    assert.equal(cps[1]?.['@timestamp'], new Date(NOW).toISOString());
    const r = await verify(log);
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal(r.unsealedTail, false);
    assert.deepEqual([r.chains[0]?.checkpointedSeq, r.chains[0]?.unsealedRecords], [5, 0]);
    await w.close();
    assert.equal(scheduler.stopped, 1, 'close stops the timer');
    assert.equal(checkpointLines(log).length, 3, 'nothing new to seal on close');
  });

  it('default 10,000 ms; everyMs: 0 turns the timer off; the deprecated intervalMs is used without everyMs', async () => {
    const cases: [Partial<AuditCheckpointOptions>, number | undefined][] = [
      [{}, 10_000],
      [{ everyMs: 0 }, undefined],
      [{ intervalMs: 250 }, 250],
      [{ everyMs: 0, intervalMs: 250 }, undefined],
    ];
    for (const [i, [options, expected]] of cases.entries()) {
      const scheduler = new ManualScheduler();
      const w = writerOf(join(dir, `default-${i}.log`), options, scheduler);
      assert.equal(scheduler.everyMs, expected, JSON.stringify(options));
      await w.close();
    }
    assert.throws(
      () =>
        resolveAuditOptions({ chain: { key: hmacKeyHex, checkpoints: { path: 'x', privateKey: 'y', everyMs: -1 } } }),
      /everyMs must be an integer from 0/,
    );
  });

  for (const [name, destination, durability] of [
    ['group commit', undefined, 'group'],
    ['sync writes', undefined, 'sync'],
    ['a buffered file', { sync: false, minLength: 4096 }, 'group'],
  ] as const) {
    it(`ticks in the middle of a turn never split the chain in a way the verifier rejects (${name})`, async () => {
      const log = join(dir, `split-${name.replace(/ /g, '-')}.log`);
      const scheduler = new ManualScheduler();
      const target = destination ? { path: log, ...destination } : log;
      const w = writerOf(log, { everyMs: 1000, every: 7 }, scheduler, target, durability);
      const ticks: Promise<CheckpointTickOutcome>[] = [];
      for (let turn = 0; turn < 4; turn++) {
        writeRecords(w, 5);
        ticks.push(scheduler.run());
        writeRecords(w, 4);
        await setImmediate();
      }
      await Promise.all(ticks);
      await w.close();
      const r = await verify(log);
      assert.equal(r.ok, true, JSON.stringify(r.problems));
      assert.equal(r.unsealedTail, false);
      assert.deepEqual([r.chains[0]?.records, r.chains[0]?.checkpointedSeq], [36, 36]);
      const seqs = checkpointLines(log).map((c) => c.seq);
      const first = seqs[1] ?? 0;
      // Synchronous destinations: the first tick seals seq 5 (or the count checkpoint at 7 that covers it).
      // A buffered file's flush may outlast the turn: a later checkpoint then covers the earlier ticks.
      if (!destination) assert.ok(first >= 5 && first <= 9, `the first turn is sealed: ${seqs}`);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        'checkpoints in increasing order',
      );
    });
  }
});

describe('unsealed tail', () => {
  it('records after the last checkpoint are reported with exact counts; shutdown seals them', async () => {
    const log = join(dir, 'tail.log');
    const scheduler = new ManualScheduler();
    const w = writerOf(log, { every: 5, everyMs: 0 }, scheduler);
    writeRecords(w, 12);
    assert.equal(w.writePendingNow(), true);
    await setImmediate();
    const before = await verify(log);
    assert.equal(before.ok, true, JSON.stringify(before.problems));
    assert.equal(before.unsealedTail, true);
    const chain = before.chains[0];
    assert.deepEqual([chain?.records, chain?.checkpointedSeq, chain?.unsealedRecords], [12, 10, 2]);
    assert.equal(chain?.unsealedBytes, bytesOfLines(log, 11, 12));

    // A copy of the log, as a crash would leave it, cut at various points.
    const all = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const cut = (n: number) => {
      const path = join(dir, `tail-cut-${n}.log`);
      writeFileSync(path, `${all.slice(0, n).join('\n')}\n`);
      return verify(path, `${log}.checkpoints`);
    };
    const atCheckpoint = await cut(10);
    assert.deepEqual(
      [atCheckpoint.ok, atCheckpoint.unsealedTail, atCheckpoint.chains[0]?.unsealedRecords],
      [true, false, 0],
      'a cut right after the last checkpoint is the loss the guarantee bounds: sealed',
    );
    const oneAfter = await cut(11);
    assert.deepEqual([oneAfter.unsealedTail, oneAfter.chains[0]?.unsealedRecords], [true, 1]);
    assert.equal(oneAfter.chains[0]?.unsealedBytes, bytesOfLines(log, 11, 11));
    const beforeCheckpoint = await cut(9);
    assert.equal(beforeCheckpoint.ok, false);
    assert.equal(beforeCheckpoint.problems[0]?.kind, 'truncated');
    assert.equal(beforeCheckpoint.unsealedTail, false, 'a broken chain is tampered, not unsealed');

    await w.close();
    const sealed = await verify(log);
    assert.deepEqual([sealed.ok, sealed.unsealedTail, sealed.chains[0]?.checkpointedSeq], [true, false, 12]);
  });

  it('a chain without any checkpoint is unsealed as a whole; with no checkpoints verified nothing is reported', async () => {
    const log = join(dir, 'never.log');
    const scheduler = new ManualScheduler();
    const w = writerOf(log, { everyMs: 0 }, scheduler);
    writeRecords(w, 4);
    await w.close();
    const empty = join(dir, 'empty.checkpoints');
    writeFileSync(empty, '');
    const r = await verify(log, empty);
    assert.deepEqual([r.ok, r.unsealedTail, r.chains[0]?.unsealedRecords], [true, true, 4]);
    assert.equal(r.chains[0]?.unsealedBytes, bytesOfLines(log, 1, 4));
    const plain = await verifyAuditLog({ logPath: log, key: hmacKeyHex });
    assert.deepEqual([plain.ok, plain.unsealedTail, plain.chains[0]?.unsealedRecords], [true, false, 0]);
    const keyOnly = await verifyAuditLog({ logPath: log, key: hmacKeyHex, publicKey: `@${keys.publicKeyPath}` });
    assert.equal(keyOnly.unsealedTail, false, 'one log without a checkpoints file: no checkpoints verified');
  });
});

describe('CheckpointTimer', () => {
  it('a tick while the previous checkpoint waits does nothing; stop and start are idempotent', async () => {
    let release: ((ok: boolean) => void) | undefined;
    let calls = 0;
    const stage = {
      dirty: true,
      checkpointAsync: () => {
        calls++;
        return new Promise<boolean>((resolve) => {
          release = resolve;
        });
      },
    };
    let scheduled = 0;
    const timer = new CheckpointTimer(stage, 1000, () => {
      scheduled++;
      return () => {};
    });
    timer.start();
    timer.start();
    assert.deepEqual([scheduled, timer.running], [1, true]);
    const first = timer.tick();
    assert.equal(await timer.tick(), 'busy');
    release?.(true);
    assert.equal(await first, 'written');
    assert.equal(calls, 1);
    const failing = timer.tick();
    release?.(false);
    assert.equal(await failing, 'failed');
    timer.stop();
    timer.stop();
    assert.equal(timer.running, false);
  });

  it("the default timer is unref'd: a process with the 10 s default exits at once, its tail sealed on exit", async () => {
    const log = join(dir, 'child.log');
    const src = new URL('../src/index.ts', import.meta.url).pathname;
    const script = `
      const { createAudit } = await import(${JSON.stringify(src)});
      const audit = createAudit({ destination: ${JSON.stringify(log)}, chain: { key: ${JSON.stringify(hmacKeyHex)},
        checkpoints: { path: ${JSON.stringify(`${log}.checkpoints`)}, privateKey: ${JSON.stringify(`@${keys.privateKeyPath}`)} } } });
      const w = audit.writer();
      w.write({ event: { action: 'x', sequence: w.nextSequence() } }, 'x');`;
    const started = Date.now();
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    assert.ok(Date.now() - started < 9000, 'the 10 s timer did not keep the process alive');
    const r = await verify(log);
    assert.deepEqual([r.ok, r.unsealedTail, r.chains[0]?.checkpointedSeq], [true, false, 1]);
  });
});
