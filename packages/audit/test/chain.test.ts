import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateAuditKeys, verifyAuditLog } from '../src/index.js';
import { loadHmacKey } from '../src/keys.js';
import { resolveAuditOptions } from '../src/options.js';
import { AuditWriter } from '../src/writer.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-audit-chain-'));
const keys = generateAuditKeys(join(dir, 'keys'));
const key = `@${keys.hmacKeyPath}`;

async function writeLog(
  name: string,
  count: number,
  every = 4,
): Promise<{ log: string; checkpoints: string; chain: string }> {
  const log = join(dir, `${name}.log`);
  const checkpoints = join(dir, `${name}.log.checkpoints`);
  const w = new AuditWriter(
    resolveAuditOptions({
      destination: log,
      chain: { key, checkpoints: { path: checkpoints, privateKey: `@${keys.privateKeyPath}`, every } },
    }),
  );
  for (let i = 1; i <= count; i++) {
    assert.equal(
      w.write({ event: { action: 'test', sequence: w.nextSequence() }, graphql: { n: i, user: `u${i}` } }, 'test'),
      true,
    );
  }
  const chain = w.chainId;
  await w.close();
  return { log, checkpoints, chain };
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

function tamper(src: string, name: string, edit: (l: string[]) => string[]): string {
  const out = join(dir, `${name}.log`);
  writeFileSync(out, `${edit(lines(src)).join('\n')}\n`);
  return out;
}

describe('HMAC chain and verifier', () => {
  let base: { log: string; checkpoints: string; chain: string };
  before(async () => {
    base = await writeLog('base', 10);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every line carries seq, chain, prev and a MAC over its exact bytes', () => {
    const ls = lines(base.log);
    assert.equal(ls.length, 10);
    const hmacKey = loadHmacKey(key);
    let prev = '0'.repeat(64);
    ls.forEach((line, i) => {
      const r = JSON.parse(line);
      assert.equal(r.seq, i + 1);
      assert.equal(r.chain, base.chain);
      assert.equal(r.prev, prev);
      const prefix = line.slice(0, line.indexOf(',"mac":"'));
      assert.equal(r.mac, createHmac('sha256', hmacKey).update(prefix).digest('hex'));
      prev = r.mac;
    });
    // start, every 4 records, and on close
    const cps = lines(base.checkpoints).map((l) => JSON.parse(l));
    assert.deepEqual(
      cps.map((c) => c.seq),
      [0, 4, 8, 10],
    );
  });

  it('an intact log verifies: exit 0', async () => {
    const r = await verifyAuditLog({
      logPath: base.log,
      key,
      checkpointsPath: base.checkpoints,
      publicKey: `@${keys.publicKeyPath}`,
    });
    assert.equal(r.ok, true);
    assert.deepEqual(r.problems, []);
    assert.equal(r.chains[0]?.records, 10);
    assert.equal(r.chains[0]?.checkpointedSeq, 10);
    assert.equal(r.checkpoints, 4);
  });

  const cases: Array<[string, (l: string[]) => string[], string, number]> = [
    [
      'modified value',
      (l) => l.map((x, i) => (i === 4 ? x.replace('"user":"u5"', '"user":"u1"') : x)),
      'mac-mismatch',
      5,
    ],
    ['deleted line', (l) => l.filter((_, i) => i !== 4), 'gap', 5],
    [
      'inserted forged line',
      (l) => [...l.slice(0, 3), l[3]?.replace('"n":4', '"n":44') as string, ...l.slice(3)],
      'mac-mismatch',
      4,
    ],
    ['inserted replayed line', (l) => [...l.slice(0, 3), l[1] as string, ...l.slice(3)], 'out-of-order', 4],
    ['swapped lines', (l) => [...l.slice(0, 3), l[4] as string, l[3] as string, ...l.slice(5)], 'gap', 4],
    ['deleted first line', (l) => l.slice(1), 'missing-start', 1],
  ];
  for (const [name, edit, kind, line] of cases) {
    it(`detects a ${name}, naming the first bad line: exit 1`, async () => {
      const log = tamper(base.log, name.replace(/ /g, '-'), edit);
      const r = await verifyAuditLog({ logPath: log, key });
      assert.equal(r.ok, false);
      assert.equal(r.problems.length, 1);
      assert.equal(r.problems[0]?.kind, kind);
      assert.equal(r.problems[0]?.line, line);
      assert.match(r.problems[0]?.message ?? '', new RegExp(`\\.log:${line}: `));
    });
  }

  it('detects a truncated tail only with checkpoints', async () => {
    const log = tamper(base.log, 'truncated', (l) => l.slice(0, 7));
    const without = await verifyAuditLog({ logPath: log, key });
    assert.equal(without.ok, true, 'without checkpoints a cut tail looks like a shorter log');
    const r = await verifyAuditLog({
      logPath: log,
      key,
      checkpointsPath: base.checkpoints,
      publicKey: `@${keys.publicKeyPath}`,
    });
    assert.equal(r.ok, false);
    assert.equal(r.problems[0]?.kind, 'truncated');
    assert.equal(r.problems[0]?.line, 7);
    assert.match(r.problems[0]?.message ?? '', /ends at seq 7, but a signed checkpoint covers seq 8/);
    assert.match(r.problems[0]?.message ?? '', /truncated\.log:7: /);
  });

  it('detects a forged checkpoint and a log whose whole chain was deleted', async () => {
    const cps = lines(base.checkpoints);
    const forged = join(dir, 'forged.checkpoints-file');
    writeFileSync(forged, `${cps.map((l, i) => (i === 1 ? l.replace('"seq":4', '"seq":5') : l)).join('\n')}\n`);
    const r = await verifyAuditLog({
      logPath: base.log,
      key,
      checkpointsPath: forged,
      publicKey: `@${keys.publicKeyPath}`,
    });
    assert.equal(r.ok, false);
    assert.equal(r.problems[0]?.kind, 'bad-checkpoint');
    assert.equal(r.problems[0]?.line, 2);
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    const gone = await verifyAuditLog({
      logPath: empty,
      key,
      checkpointsPath: base.checkpoints,
      publicKey: `@${keys.publicKeyPath}`,
    });
    assert.equal(gone.ok, false);
    assert.equal(gone.problems[0]?.kind, 'truncated');
  });

  it('a wrong key fails at line 1', async () => {
    const r = await verifyAuditLog({ logPath: base.log, key: 'ab'.repeat(32) });
    assert.equal(r.problems[0]?.kind, 'mac-mismatch');
    assert.equal(r.problems[0]?.line, 1);
  });

  it('verifies several chains in one folder and in one file, each on its own', async () => {
    const sub = join(dir, 'many');
    mkdirSync(sub);
    const a = await writeLog('many/a', 6, 1000);
    const b = await writeLog('many/b', 5, 1000);
    // A third file where two processes appended to the same file: interleaved chains.
    const la = lines(a.log);
    const lb = lines(b.log);
    const mixed: string[] = [];
    for (let i = 0; i < 6; i++) {
      mixed.push(la[i] as string);
      if (lb[i]) mixed.push(lb[i] as string);
    }
    writeFileSync(join(sub, 'shared.jsonl'), `${mixed.join('\n')}\n`);
    const ok = await verifyAuditLog({ dir: sub, key, publicKey: `@${keys.publicKeyPath}` });
    assert.equal(ok.ok, false, 'the same chains appear in two files');
    rmSync(join(sub, 'shared.jsonl'));
    const r = await verifyAuditLog({ dir: sub, key, publicKey: `@${keys.publicKeyPath}` });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal(r.chains.length, 2);
    assert.equal(r.checkpoints, 4);
    // Tamper chain b only: chain a still verifies.
    writeFileSync(b.log, `${lb.filter((_, i) => i !== 2).join('\n')}\n`);
    const t = await verifyAuditLog({ dir: sub, key, publicKey: `@${keys.publicKeyPath}` });
    assert.equal(t.ok, false);
    assert.deepEqual(
      t.chains.map((c) => [c.id, c.ok]).sort(),
      [
        [a.chain, true],
        [b.chain, false],
      ].sort(),
    );
    assert.equal(t.problems.length, 1);
    assert.equal(t.problems[0]?.chain, b.chain);
    // One file holding two interleaved chains verifies each chain on its own.
    const sub2 = join(dir, 'one-file');
    mkdirSync(sub2);
    writeFileSync(join(sub2, 'all.log'), `${mixed.join('\n')}\n`);
    const one = await verifyAuditLog({ logPath: join(sub2, 'all.log'), key });
    assert.equal(one.ok, true);
    assert.equal(one.chains.length, 2);
    const a6 = t.chains.find((c) => c.id === a.chain);
    assert.deepEqual([a6?.records, a6?.lastSeq, a6?.checkpointedSeq], [6, 6, 6]);
    assert.equal(t.problems[0]?.kind, 'gap');
    assert.match(t.problems[0]?.message ?? '', /b\.log:3: /);
  });

  it('refuses contradictory options and unreadable input', async () => {
    await assert.rejects(verifyAuditLog({ key }), /give logPath or dir/);
    await assert.rejects(
      verifyAuditLog({ logPath: base.log, key, checkpointsPath: base.checkpoints }),
      /checkpoints need publicKey/,
    );
    await assert.rejects(verifyAuditLog({ logPath: join(dir, 'missing.log'), key }), /ENOENT/);
    await assert.rejects(verifyAuditLog({ logPath: base.log, key: 'nothex' }));
  });
});
