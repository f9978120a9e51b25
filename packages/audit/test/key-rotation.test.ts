import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateAuditKeys, hmacKeyId, loadKeyRing, signingKeyId, verifyAuditLog } from '../src/index.js';
import { loadHmacKey, loadPrivateKey } from '../src/keys.js';
import { resolveAuditOptions } from '../src/options.js';
import { AuditWriter } from '../src/writer.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-audit-rotation-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const keys1 = generateAuditKeys(join(dir, 'keys1'));
const keys2 = generateAuditKeys(join(dir, 'keys2'));
const k1 = loadHmacKey(`@${keys1.hmacKeyPath}`);
const k2 = loadHmacKey(`@${keys2.hmacKeyPath}`);
const id1 = hmacKeyId(k1);
const sid1 = signingKeyId(loadPrivateKey(`@${keys1.privateKeyPath}`));
const sid2 = signingKeyId(loadPrivateKey(`@${keys2.privateKeyPath}`));
/** Every key the rotated logs name. */
const ring = {
  hmac: { [id1]: `@${keys1.hmacKeyPath}`, 'k2-2026': `@${keys2.hmacKeyPath}` },
  ed25519: { [sid1]: `@${keys1.publicKeyPath}`, [sid2]: `@${keys2.publicKeyPath}` },
};

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

function record(w: AuditWriter, n: number): void {
  assert.equal(w.write({ event: { action: 'test', sequence: w.nextSequence() }, graphql: { n } }, 'test'), true);
}

/** 4 records with key 1, a rotation to key 2 (and signing key 2), 3 records: two linked chains. */
async function rotatedLog(name: string, durability: 'group' | 'sync' = 'sync') {
  const log = join(dir, `${name}.log`);
  const checkpoints = join(dir, `${name}.log.checkpoints`);
  const w = new AuditWriter(
    resolveAuditOptions({
      destination: log,
      durability,
      chain: {
        key: `@${keys1.hmacKeyPath}`,
        checkpoints: { path: checkpoints, privateKey: `@${keys1.privateKeyPath}` },
      },
    }),
  );
  for (let i = 1; i <= 4; i++) record(w, i);
  const first = w.chainId;
  const rotation = await w.rotateKey({
    hmacKey: `@${keys2.hmacKeyPath}`,
    keyId: 'k2-2026',
    privateKey: `@${keys2.privateKeyPath}`,
  });
  for (let i = 5; i <= 7; i++) record(w, i);
  const second = w.chainId;
  await w.close();
  return { log, checkpoints, first, second, rotation };
}

function tamper(src: string, name: string, edit: (l: string[]) => string[]): string {
  const out = join(dir, `${name}.log`);
  writeFileSync(out, `${edit(lines(src)).join('\n')}\n`);
  return out;
}

describe('key ids and key rotation', () => {
  it('every line and checkpoint names its key; a rotation starts a chain linked to the last MAC of the ended one', async () => {
    const r = await rotatedLog('rotated');
    const ls = lines(r.log).map((l) => JSON.parse(l));
    assert.equal(ls.length, 8);
    assert.deepEqual(
      ls.map((l) => [l.chain === r.first ? 1 : 2, l.seq, l.key_id]),
      [
        [1, 1, id1],
        [1, 2, id1],
        [1, 3, id1],
        [1, 4, id1],
        [2, 1, 'k2-2026'],
        [2, 2, 'k2-2026'],
        [2, 3, 'k2-2026'],
        [2, 4, 'k2-2026'],
      ],
    );
    const rotated = ls[4];
    assert.equal(rotated.prev, ls[3].mac);
    assert.equal(rotated.event.action, 'audit.key.rotated');
    assert.deepEqual(rotated.rampart.key_rotation, {
      previous_chain: r.first,
      previous_seq: 4,
      previous_key_id: id1,
      key_id: 'k2-2026',
    });
    assert.deepEqual(r.rotation, {
      previous: { chain: r.first, seq: 4, keyId: id1 },
      chain: r.second,
      keyId: 'k2-2026',
      recorded: true,
      sealed: true,
    });
    // The MAC of a rotated line is over its exact bytes with the new key.
    const raw = lines(r.log)[5] as string;
    const mac = JSON.parse(raw).mac as string;
    assert.equal(
      createHmac('sha256', k2)
        .update(raw.slice(0, raw.length - `,"mac":"${mac}"}`.length))
        .digest('hex'),
      mac,
    );
    // Checkpoints: chain 1 at 0 and 4 (its seal) with key 1, chain 2 at 0 and 4 with key 2.
    const cps = lines(r.checkpoints).map((l) => JSON.parse(l));
    assert.deepEqual(cps.map((c) => [c.chain === r.first ? 1 : 2, c.seq, c.key_id]).sort(), [
      [1, 0, sid1],
      [1, 4, sid1],
      [2, 0, sid2],
      [2, 4, sid2],
    ]);
  });

  it('the whole rotated log verifies with the key ring: intact and sealed', async () => {
    const r = await rotatedLog('ring');
    const result = await verifyAuditLog({ logPath: r.log, checkpointsPath: r.checkpoints, keys: ring });
    assert.deepEqual(result.problems, []);
    assert.equal(result.ok, true);
    assert.equal(result.unsealedTail, false);
    assert.deepEqual(
      result.chains.map((c) => [c.id, c.records, c.checkpointedSeq]),
      [
        [r.first, 4, 4],
        [r.second, 4, 4],
      ],
    );
    assert.equal(result.checkpoints, 4);
  });

  it('the same under group commit, with records written in the turn of the rotation', async () => {
    const r = await rotatedLog('group', 'group');
    const result = await verifyAuditLog({ logPath: r.log, checkpointsPath: r.checkpoints, keys: ring });
    assert.deepEqual(result.problems, []);
    assert.equal(result.unsealedTail, false);
  });

  it('records removed across the rotation are detected', async () => {
    const r = await rotatedLog('cut');
    // The last record of the ended chain: its chain link is checked even without checkpoints.
    const lastOfFirst = tamper(r.log, 'cut-last-of-first', (l) => l.filter((_, i) => i !== 3));
    const noCheckpoints = await verifyAuditLog({ logPath: lastOfFirst, keys: ring });
    assert.equal(noCheckpoints.ok, false);
    assert.deepEqual(
      noCheckpoints.problems.map((p) => [p.kind, p.line, p.message]),
      [
        [
          'rotation-gap',
          4,
          `${lastOfFirst}:4: chain ${r.second} continues chain ${r.first} after seq 4 (key rotation), but chain ${r.first} ends at seq 3: records were removed across the key rotation`,
        ],
      ],
    );
    const withCheckpoints = await verifyAuditLog({ logPath: lastOfFirst, checkpointsPath: r.checkpoints, keys: ring });
    assert.deepEqual(
      withCheckpoints.problems.map((p) => [p.kind, p.chain]).sort(),
      [
        ['rotation-gap', r.second],
        ['truncated', r.first],
      ].sort(),
    );
    // The rotation record (the new chain's first line), and the lines on both sides.
    const rotationRecord = await verifyAuditLog({
      logPath: tamper(r.log, 'cut-rotation', (l) => l.filter((_, i) => i !== 4)),
      keys: ring,
    });
    assert.deepEqual(
      rotationRecord.problems.map((p) => [p.kind, p.chain, p.seq]),
      [['missing-start', r.second, 2]],
    );
    const both = await verifyAuditLog({
      logPath: tamper(r.log, 'cut-both', (l) => l.filter((_, i) => i < 3 || i > 5)),
      checkpointsPath: r.checkpoints,
      keys: ring,
    });
    assert.deepEqual(both.problems.map((p) => p.kind).sort(), ['missing-start', 'truncated']);
    // The whole ended chain.
    const gone = await verifyAuditLog({ logPath: tamper(r.log, 'cut-first', (l) => l.slice(4)), keys: ring });
    assert.deepEqual(
      gone.problems.map((p) => [p.kind, p.message.split(': ').slice(1).join(': ')]),
      [
        [
          'rotation-gap',
          `chain ${r.second} continues chain ${r.first} after seq 4 (key rotation), but no line of chain ${r.first} is in the log: records were removed across the key rotation`,
        ],
      ],
    );
  });

  it('a key id the ring does not hold is its own problem (unknown-key), not a MAC mismatch', async () => {
    const r = await rotatedLog('unknown');
    const partial = { hmac: { [id1]: `@${keys1.hmacKeyPath}` }, ed25519: ring.ed25519 };
    const result = await verifyAuditLog({ logPath: r.log, keys: partial });
    assert.deepEqual(
      result.problems.map((p) => [p.kind, p.line, p.message]),
      [
        [
          'unknown-key',
          5,
          `${r.log}:5: chain ${r.second} seq 1 names HMAC key id "k2-2026", which the key ring does not hold: add it to the ring`,
        ],
      ],
    );
    const noSigner = await verifyAuditLog({
      logPath: r.log,
      checkpointsPath: r.checkpoints,
      keys: { hmac: ring.hmac, ed25519: { [sid1]: `@${keys1.publicKeyPath}` } },
    });
    assert.deepEqual(
      noSigner.problems.map((p) => p.kind),
      ['unknown-key', 'unknown-key'],
    );
    assert.match(
      noSigner.problems[0]?.message ?? '',
      /names public key id "[\da-f]{16}", which the key ring does not hold/,
    );
  });

  it('one key alone verifies every line (custom key id too); lines written before key ids verify with it', async () => {
    const log = join(dir, 'custom.log');
    const w = new AuditWriter(
      resolveAuditOptions({ destination: log, chain: { key: `@${keys1.hmacKeyPath}`, keyId: 'ops.2026-12' } }),
    );
    record(w, 1);
    record(w, 2);
    await w.close();
    assert.deepEqual(
      lines(log).map((l) => JSON.parse(l).key_id),
      ['ops.2026-12', 'ops.2026-12'],
    );
    assert.equal((await verifyAuditLog({ logPath: log, key: `@${keys1.hmacKeyPath}` })).ok, true);
    // The format before key ids: `…,"seq":N,"chain":"…","prev":"…","mac":"…"}`.
    const old = join(dir, 'old.log');
    let prev = '0'.repeat(64);
    const out: string[] = [];
    for (let seq = 1; seq <= 3; seq++) {
      const prefix = `{"@timestamp":"2026-01-01T00:00:00.000Z","event":{"action":"test"},"seq":${seq},"chain":"00aa11bb22cc33dd","prev":"${prev}"`;
      prev = createHmac('sha256', k1).update(prefix).digest('hex');
      out.push(`${prefix},"mac":"${prev}"}`);
    }
    writeFileSync(old, `${out.join('\n')}\n`);
    const single = await verifyAuditLog({ logPath: old, key: `@${keys1.hmacKeyPath}` });
    assert.equal(single.ok, true);
    assert.equal(single.chains[0]?.records, 3);
    // With a ring of one key, lines without key_id use it; with several, they need `key`.
    assert.equal((await verifyAuditLog({ logPath: old, keys: { hmac: { [id1]: `@${keys1.hmacKeyPath}` } } })).ok, true);
    const several = await verifyAuditLog({ logPath: old, keys: ring });
    assert.deepEqual(
      several.problems.map((p) => p.kind),
      ['unknown-key'],
    );
    assert.equal((await verifyAuditLog({ logPath: old, keys: ring, key: `@${keys1.hmacKeyPath}` })).ok, true);
  });

  it('rotation refuses bad input and changes nothing', async () => {
    const log = join(dir, 'refuse.log');
    const w = new AuditWriter(resolveAuditOptions({ destination: log, chain: { key: `@${keys1.hmacKeyPath}` } }));
    record(w, 1);
    const chain = w.chainId;
    await assert.rejects(w.rotateKey({ hmacKey: 'abcd' }), /at least 32 bytes/);
    await assert.rejects(w.rotateKey({ hmacKey: randomBytes(32), keyId: 'a b' }), /keyId must be 1 to 64 of/);
    await assert.rejects(
      w.rotateKey({ hmacKey: randomBytes(32), privateKey: generateKeyPairSync('ed25519').privateKey }),
      /a new checkpoint key needs chain.checkpoints/,
    );
    assert.equal(w.chainId, chain);
    const plain = new AuditWriter(resolveAuditOptions({ destination: join(dir, 'plain.log') }));
    await assert.rejects(plain.rotateKey({ hmacKey: randomBytes(32) }), /key rotation needs the chain option/);
    await plain.close();
    // Without a key id, the new key's is derived.
    const rotated = await w.rotateKey({ hmacKey: k2 });
    assert.equal(rotated.keyId, hmacKeyId(k2));
    await w.close();
    await assert.rejects(w.rotateKey({ hmacKey: k2 }), /closed audit writer/);
    const ringFile = join(dir, 'ring.json');
    writeFileSync(
      ringFile,
      JSON.stringify({ hmac: { [id1]: `@${keys1.hmacKeyPath}`, [hmacKeyId(k2)]: k2.toString('hex') } }),
    );
    assert.equal((await verifyAuditLog({ logPath: log, keys: loadKeyRing(ringFile) })).ok, true);
  });

  it('a key ring file: @file relative to the ring, shape errors named', () => {
    const ringDir = join(dir, 'ringdir');
    generateAuditKeys(ringDir);
    const file = join(ringDir, 'ring.json');
    writeFileSync(
      file,
      JSON.stringify({ hmac: { a: '@audit-hmac.key' }, ed25519: { b: '@audit-checkpoint-public.pem' } }),
    );
    assert.deepEqual(loadKeyRing(file), {
      hmac: { a: `@${join(ringDir, 'audit-hmac.key')}` },
      ed25519: { b: `@${join(ringDir, 'audit-checkpoint-public.pem')}` },
    });
    writeFileSync(file, JSON.stringify({ rsa: {} }));
    assert.throws(() => loadKeyRing(file), /unknown section "rsa"/);
    writeFileSync(file, JSON.stringify({ hmac: { 'bad id': 'aa' } }));
    assert.throws(() => loadKeyRing(file), /key id must be 1 to 64 of/);
    assert.equal(existsSync(file), true);
  });
});
