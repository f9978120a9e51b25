import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { auditPlugin, createAudit, generateAuditKeys, hmacKeyId, signingKeyId } from '@rampart/audit';
import { postGraphQL, startTestServer } from '@rampart/testing';
import { run } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-cli-audit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const keys = generateAuditKeys(join(dir, 'keys'));
const key = `@${keys.hmacKeyPath}`;

/** Writes `count` chained records (a checkpoint every `every`) to `<name>.log` with the public API. */
async function writeLog(
  name: string,
  count: number,
  every = 4,
): Promise<{ log: string; checkpoints: string; chain: string }> {
  const log = join(dir, `${name}.log`);
  const checkpoints = join(dir, `${name}.log.checkpoints`);
  const audit = createAudit({
    destination: log,
    chain: { key, checkpoints: { path: checkpoints, privateKey: `@${keys.privateKeyPath}`, every } },
  });
  const writer = audit.writer();
  for (let i = 1; i <= count; i++) {
    assert.equal(
      writer.write({ event: { action: 'test', sequence: writer.nextSequence() }, graphql: { n: i } }, 'test'),
      true,
    );
  }
  const chain = writer.chainId;
  await audit.close();
  return { log, checkpoints, chain };
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

function tamper(source: string, name: string, edit: (lines: string[]) => string[]): string {
  const out = join(dir, `${name}.log`);
  writeFileSync(out, `${edit(lines(source)).join('\n')}\n`);
  return out;
}

describe('rampart audit verify', () => {
  it('exit 0 on an intact log written by a real server; 1 naming the first bad line after tampering', async () => {
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

    const logLines = readFileSync(log, 'utf8').split('\n');
    logLines[2] = (logLines[2] as string).replace('"success"', '"failure"');
    writeFileSync(log, logLines.join('\n'));
    const tampered = await run(args);
    assert.equal(tampered.code, 1);
    assert.match(tampered.err, /audit\.log:3: MAC mismatch/);

    const usage = await run(['audit', 'verify', log]);
    assert.equal(usage.code, 2);
  });
});

describe('rampart audit verify: output and exit codes', () => {
  let base: { log: string; checkpoints: string; chain: string };
  before(async () => {
    base = await writeLog('base', 10);
  });

  it('an intact log: one line per chain and OK, exit 0', async () => {
    const r = await run([
      'audit',
      'verify',
      base.log,
      '--key',
      key,
      '--checkpoints',
      base.checkpoints,
      '--public-key',
      keys.publicKeyPath,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      new RegExp(
        `^chain ${base.chain} \\(.*base\\.log\\): 10 records, last seq 10, checkpointed to seq 10: intact$`,
        'm',
      ),
    );
    assert.match(r.out, /OK: 1 chain\(s\), 10 records intact, 4 signed checkpoint\(s\) valid/);
    const plain = await run(['audit', 'verify', base.log, '--key', key]);
    assert.match(
      plain.out,
      /OK: 1 chain\(s\), 10 records intact, no checkpoints \(a truncated tail cannot be detected\)/,
    );
  });

  const cases: Array<[string, (l: string[]) => string[], string, number]> = [
    ['modified value', (l) => l.map((x, i) => (i === 4 ? x.replace('"n":5', '"n":1') : x)), 'mac-mismatch', 5],
    ['deleted line', (l) => l.filter((_, i) => i !== 4), 'gap', 5],
    ['inserted replayed line', (l) => [...l.slice(0, 3), l[1] as string, ...l.slice(3)], 'out-of-order', 4],
  ];
  for (const [name, edit, kind, line] of cases) {
    it(`a ${name}: FAIL naming the first bad line, exit 1`, async () => {
      const log = tamper(base.log, name.replace(/ /g, '-'), edit);
      const r = await run(['audit', 'verify', log, '--key', key]);
      assert.equal(r.code, 1);
      assert.match(r.out, /: TAMPERED$/m);
      assert.match(r.err, new RegExp(`^FAIL ${kind}: .*\\.log:${line}: `, 'm'));
    });
  }

  it('a truncated tail, with checkpoints: exit 1', async () => {
    const log = tamper(base.log, 'truncated', (l) => l.slice(0, 7));
    const r = await run([
      'audit',
      'verify',
      log,
      '--key',
      key,
      '--checkpoints',
      base.checkpoints,
      '--public-key',
      keys.publicKeyPath,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /FAIL truncated: .*truncated\.log:7: /);
  });

  it('a folder: each chain on its own, exit 1 when one is tampered', async () => {
    const sub = join(dir, 'many');
    mkdirSync(sub);
    const a = await writeLog('many/a', 6, 1000);
    const b = await writeLog('many/b', 5, 1000);
    writeFileSync(
      b.log,
      `${lines(b.log)
        .filter((_, i) => i !== 2)
        .join('\n')}\n`,
    );
    const r = await run(['audit', 'verify', sub, '--key', key, '--public-key', keys.publicKeyPath]);
    assert.equal(r.code, 1);
    assert.match(r.out, new RegExp(`chain ${a.chain} .*: 6 records, last seq 6, checkpointed to seq 6: intact`));
    assert.match(r.out, new RegExp(`chain ${b.chain} .*: TAMPERED`));
    assert.match(r.err, /FAIL gap: .*b\.log:3: /);
  });

  it('usage errors and unreadable files exit 2', async () => {
    const verify = (...args: string[]) => run(['audit', 'verify', ...args]);
    const noKey = await verify(base.log);
    assert.equal(noKey.code, 2);
    assert.match(noKey.err, /^usage: rampart audit verify <log\|dir> \(--key <hex\|@file> \| --keys <ring.json>\)/);
    const alone = await verify(base.log, '--key', key, '--checkpoints', base.checkpoints);
    assert.equal(alone.code, 2);
    assert.match(alone.err, /^--checkpoints and --anchor need --public-key \(or ed25519 keys in --keys\)\nusage:/);
    const anchorAlone = await verify(base.log, '--key', key, '--anchor', base.checkpoints);
    assert.equal(anchorAlone.code, 2);
    const badRing = join(dir, 'bad-ring.json');
    writeFileSync(badRing, '{"hmac": {"a b": "00"}}');
    const ring = await verify(base.log, '--keys', badRing);
    assert.equal(ring.code, 2);
    assert.match(ring.err, /bad-ring\.json: key id must be 1 to 64 of A-Z a-z 0-9 \. _ -, got "a b"/);
    assert.equal((await verify(base.log, '--key', key, '--public-key', keys.publicKeyPath)).code, 2);
    const missing = await verify(join(dir, 'missing.log'), '--key', key);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^rampart audit verify: ENOENT/);
    assert.equal((await verify(base.log, '--key', 'nothex')).code, 2);
    const bogus = await verify(base.log, '--key', key, '--bogus');
    assert.equal(bogus.code, 2);
    assert.match(bogus.err, /unknown option "--bogus"/);
    const typo = await verify(base.log, '--kye', key);
    assert.equal(typo.code, 2);
    assert.match(typo.err, /unknown option "--kye" \(did you mean "--key"\?\)/);
    const noValue = await verify(base.log, '--key');
    assert.equal(noValue.code, 2);
    assert.match(noValue.err, /option --key needs a value/);
  });
});

describe('rampart audit verify: unsealed tail (exit 3)', () => {
  let base: { log: string; checkpoints: string; chain: string };
  let crashed: string;
  before(async () => {
    base = await writeLog('sealed', 10);
    // The checkpoints a crash after record 10 would have left: 0, 4 and 8 (no shutdown checkpoint).
    const cps = lines(base.checkpoints);
    assert.deepEqual(
      cps.map((c) => JSON.parse(c).seq),
      [0, 4, 8, 10],
    );
    crashed = join(dir, 'crashed.checkpoints');
    writeFileSync(crashed, `${cps.slice(0, 3).join('\n')}\n`);
  });
  const verifyWith = (log: string, checkpoints: string, ...extra: string[]) =>
    run([
      'audit',
      'verify',
      log,
      '--key',
      key,
      '--checkpoints',
      checkpoints,
      '--public-key',
      keys.publicKeyPath,
      ...extra,
    ]);
  const bytesOf = (log: string, from: number, to: number) =>
    lines(log)
      .slice(from - 1, to)
      .reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);

  it('records after the last checkpoint: their count and bytes, exit 3; --allow-unsealed-tail exits 0', async () => {
    const bytes = bytesOf(base.log, 9, 10);
    const r = await verifyWith(base.log, crashed);
    assert.equal(r.code, 3, r.err);
    assert.equal(r.err, '');
    assert.match(
      r.out,
      new RegExp(
        `^chain ${base.chain} \\(.*sealed\\.log\\): 10 records, last seq 10, checkpointed to seq 8: ` +
          `intact up to checkpoint 8; unsealed tail: 2 records, ${bytes} bytes after it$`,
        'm',
      ),
    );
    assert.match(
      r.out,
      new RegExp(
        `^UNSEALED: 1 chain\\(s\\), 10 records intact, 3 signed checkpoint\\(s\\) valid; 2 records \\(${bytes} bytes\\) after the last checkpoint of 1 chain\\(s\\)`,
        'm',
      ),
    );
    const allowed = await verifyWith(base.log, crashed, '--allow-unsealed-tail');
    assert.equal(allowed.code, 0);
    assert.equal(allowed.out, r.out);
  });

  it('a log cut right after its last checkpoint is sealed (exit 0); one record more is unsealed (exit 3)', async () => {
    const atCheckpoint = tamper(base.log, 'cut-at-8', (l) => l.slice(0, 8));
    const sealed = await verifyWith(atCheckpoint, crashed);
    assert.equal(sealed.code, 0, sealed.out);
    assert.match(sealed.out, /: 8 records, last seq 8, checkpointed to seq 8: intact$/m);
    assert.match(sealed.out, /^OK: 1 chain\(s\), 8 records intact, 3 signed checkpoint\(s\) valid$/m);
    const oneMore = tamper(base.log, 'cut-at-9', (l) => l.slice(0, 9));
    const unsealed = await verifyWith(oneMore, crashed);
    assert.equal(unsealed.code, 3);
    assert.match(unsealed.out, new RegExp(`unsealed tail: 1 records, ${bytesOf(base.log, 9, 9)} bytes after it$`, 'm'));
  });

  it('a normally closed log is intact and sealed: exit 0; tampering still exits 1 before any tail', async () => {
    const r = await verifyWith(base.log, base.checkpoints);
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /unsealed/);
    const tampered = tamper(base.log, 'unsealed-tampered', (l) => l.filter((_, i) => i !== 3));
    const broken = await verifyWith(tampered, crashed);
    assert.equal(broken.code, 1);
    assert.doesNotMatch(broken.out, /UNSEALED/);
  });

  it('a folder with --public-key and a chain no checkpoint covers: the whole chain is unsealed', async () => {
    const sub = join(dir, 'uncovered');
    mkdirSync(sub);
    const log = join(sub, 'a.log');
    writeFileSync(log, readFileSync(base.log));
    const r = await run(['audit', 'verify', sub, '--key', key, '--public-key', keys.publicKeyPath]);
    assert.equal(r.code, 3);
    assert.match(
      r.out,
      new RegExp(`intact up to checkpoint 0; unsealed tail: 10 records, ${bytesOf(log, 1, 10)} bytes after it$`, 'm'),
    );
  });
});

describe('rampart audit verify: key rotation (--keys) and the off-host anchor (--anchor)', () => {
  const keys2 = generateAuditKeys(join(dir, 'keys2'));
  const log = join(dir, 'rotating.log');
  const checkpoints = join(dir, 'rotating.log.checkpoints');
  const anchor = join(dir, 'offhost', 'rotating.checkpoints');
  const ringFile = join(dir, 'ring.json');
  let rotation: Awaited<ReturnType<ReturnType<typeof createAudit>['rotateKey']>>;

  before(async () => {
    const audit = createAudit({
      destination: log,
      chain: { key, checkpoints: { path: checkpoints, privateKey: `@${keys.privateKeyPath}`, anchor } },
    });
    const schema = makeExecutableSchema({
      typeDefs: 'type Query { hello: String }',
      resolvers: { Query: { hello: () => 'hi' } },
    });
    const server = await startTestServer({ schema, plugins: [audit.plugin] });
    for (let i = 0; i < 3; i++)
      assert.equal((await postGraphQL(server.graphqlUrl, { query: '{ hello }' })).status, 200);
    // The rotation happens while requests are in flight: each record lands in one chain or the other.
    const inFlight = Array.from({ length: 10 }, () => postGraphQL(server.graphqlUrl, { query: '{ hello }' }));
    rotation = await audit.rotateKey({
      hmacKey: `@${keys2.hmacKeyPath}`,
      keyId: 'k2',
      privateKey: `@${keys2.privateKeyPath}`,
    });
    assert.deepEqual(
      (await Promise.all(inFlight)).map((r) => r.status),
      Array(10).fill(200),
    );
    for (let i = 0; i < 3; i++)
      assert.equal((await postGraphQL(server.graphqlUrl, { query: '{ hello }' })).status, 200);
    await server.stop();
    // The ring names the keys by id; @files are relative to the ring file.
    const k1 = hmacKeyId(Buffer.from(readFileSync(keys.hmacKeyPath, 'utf8').trim(), 'hex'));
    writeFileSync(
      ringFile,
      JSON.stringify({
        hmac: { [k1]: '@keys/audit-hmac.key', k2: '@keys2/audit-hmac.key' },
        ed25519: {
          [signingKeyId(createPublicKey(readFileSync(keys.publicKeyPath)))]: '@keys/audit-checkpoint-public.pem',
          [signingKeyId(createPublicKey(readFileSync(keys2.publicKeyPath)))]: '@keys2/audit-checkpoint-public.pem',
        },
      }),
    );
  });

  const verify = (logPath: string, ...args: string[]) => run(['audit', 'verify', logPath, '--keys', ringFile, ...args]);
  /** Line index of the rotation record (the new chain's first line). */
  const rotationLine = () => lines(log).findIndex((l) => l.includes('"action":"audit.key.rotated"'));

  it('the whole log, both chains, verifies with the key ring: exit 0', async () => {
    const r = await verify(log, '--checkpoints', checkpoints);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.match(
      r.out,
      new RegExp(
        `chain ${rotation.previous.chain} \\(.*\\): \\d+ records, last seq \\d+, checkpointed to seq \\d+: intact\\n`,
      ),
    );
    assert.match(
      r.out,
      new RegExp(`chain ${rotation.chain} \\(.*\\): \\d+ records, last seq \\d+, checkpointed to seq \\d+: intact\\n`),
    );
    assert.match(r.out, /OK: 2 chain\(s\), 17 records intact, 4 signed checkpoint\(s\) valid\n$/);
    // The anchored copy agrees with the local checkpoints.
    assert.equal(readFileSync(anchor, 'utf8'), readFileSync(checkpoints, 'utf8'));
    assert.equal((await verify(log, '--checkpoints', checkpoints, '--anchor', anchor)).code, 0);
  });

  it('a record removed right before the rotation: exit 1, rotation-gap and truncated named', async () => {
    const at = rotationLine();
    const cut = tamper(log, 'rotating-cut', (l) => l.filter((_, i) => i !== at - 1));
    const r = await verify(cut);
    assert.equal(r.code, 1);
    const { chain: ended, seq } = rotation.previous;
    assert.equal(
      r.err,
      `FAIL rotation-gap: ${cut}:${at}: chain ${rotation.chain} continues chain ${ended} after seq ${seq} (key rotation), but chain ${ended} ends at seq ${seq - 1}: records were removed across the key rotation\n`,
    );
    const sealed = await verify(cut, '--checkpoints', checkpoints);
    assert.equal(sealed.code, 1);
    assert.match(
      sealed.err,
      new RegExp(`FAIL truncated: .*chain ${ended} ends at seq ${seq - 1}, but a signed checkpoint covers seq ${seq}`),
    );
    // The rotation record removed: the new chain misses its start.
    const noRecord = tamper(log, 'rotating-no-record', (l) => l.filter((_, i) => i !== at));
    const m = await verify(noRecord);
    assert.equal(m.code, 1);
    assert.equal(
      m.err,
      `FAIL missing-start: ${noRecord}:${at + 1}: chain ${rotation.chain} starts at seq 2, expected 1: lines were deleted from its start\n`,
    );
  });

  it('a key id the ring does not hold: exit 4, its own message', async () => {
    const partial = join(dir, 'partial-ring.json');
    const ring = JSON.parse(readFileSync(ringFile, 'utf8'));
    delete ring.hmac.k2;
    writeFileSync(partial, JSON.stringify(ring));
    const r = await run(['audit', 'verify', log, '--keys', partial]);
    assert.equal(r.code, 4);
    assert.equal(
      r.err,
      `FAIL unknown-key: ${log}:${rotationLine() + 1}: chain ${rotation.chain} seq 1 names HMAC key id "k2", which the key ring does not hold: add it to the ring\n` +
        'UNKNOWN KEY: some chains name keys that were not given; they were not verified\n',
    );
    // With a single --key (no ring) every line is tried with it: the new chain's MACs do not match.
    const single = await run(['audit', 'verify', log, '--key', key]);
    assert.equal(single.code, 1);
    assert.match(single.err, /^FAIL mac-mismatch: .*MAC mismatch \(chain [\da-f]{16}, seq 1 with key k2\)/);
  });

  it('the log tail and the local checkpoints cut on the host: detected against the anchor, exit 1', async () => {
    const cutLog = tamper(log, 'rotating-tail', (l) => l.slice(0, -2));
    const n = lines(log).filter((l) => l.includes(`"chain":"${rotation.chain}"`)).length;
    const cutCheckpoints = join(dir, 'rotating-tail.checkpoints');
    // Only the first chain's checkpoints are left on the host.
    writeFileSync(
      cutCheckpoints,
      `${lines(checkpoints)
        .filter((l) => l.includes(rotation.previous.chain))
        .join('\n')}\n`,
    );
    const local = await verify(cutLog, '--checkpoints', cutCheckpoints);
    assert.equal(local.code, 3, 'without the anchor, the cut second chain is an unsealed tail');
    const r = await verify(cutLog, '--checkpoints', cutCheckpoints, '--anchor', anchor);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      new RegExp(
        `FAIL anchor-mismatch: ${anchor}:\\d+: 2 anchored checkpoint\\(s\\) of chain ${rotation.chain} \\(seq 0, ${n}\\) are not in the local checkpoints \\(${cutCheckpoints}\\): the local checkpoints were cut, replaced or deleted\n`,
      ),
    );
    assert.match(
      r.err,
      new RegExp(
        `FAIL truncated: ${cutLog}:\\d+: chain ${rotation.chain} ends at seq ${n - 2}, but a signed checkpoint covers seq ${n}: records were removed from the end\n`,
      ),
    );
    // The local checkpoints file deleted altogether.
    rmSync(cutCheckpoints);
    const deleted = await verify(cutLog, '--checkpoints', cutCheckpoints, '--anchor', anchor);
    assert.equal(deleted.code, 1);
    assert.match(deleted.err, /FAIL anchor-mismatch: .*\(no local checkpoints file\)/);
  });
});
