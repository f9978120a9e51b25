import { createHmac, type KeyObject, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { CHAINED_TAIL, checkpointPayload, GENESIS } from './chain.js';
import { loadHmacKey, loadPublicKey } from './keys.js';

/** Options of {@link verifyAuditLog}. Give `logPath` (one file) or `dir` (every `*.log`/`*.jsonl`/`*.ndjson` in it). */
export interface VerifyAuditLogOptions {
  /** One log file. */
  logPath?: string;
  /** A folder of log files (each chain in it is verified on its own). */
  dir?: string;
  /** HMAC key: bytes, hex text or `@/path/to/keyfile`. */
  key: string | Uint8Array;
  /** Checkpoints file. In `dir` mode, default: every `*.checkpoints` file in the folder. */
  checkpointsPath?: string;
  /** Ed25519 public key (PEM text, `@/path`, or a KeyObject); required with checkpoints. */
  publicKey?: string | KeyObject;
}

/** Kinds of problems found. */
export type VerifyProblemKind =
  | 'malformed' // not a chained line (no MAC tail)
  | 'mac-mismatch' // the line was modified, or inserted without the key
  | 'missing-start' // the chain does not start at seq 1 (lines deleted from its start)
  | 'gap' // seq jumps ahead: lines deleted, or lines reordered
  | 'out-of-order' // seq goes back: a line replayed/duplicated, or lines reordered
  | 'broken-link' // prev is not the previous line's MAC
  | 'truncated' // a signed checkpoint covers lines that are not in the log
  | 'checkpoint-mismatch' // the line at a checkpoint's seq has another MAC
  | 'bad-checkpoint'; // a checkpoint line is malformed or its signature is wrong

/** One problem, naming the first bad line. */
export interface VerifyProblem {
  readonly kind: VerifyProblemKind;
  /** File of the bad line (or of the checkpoint). */
  readonly file: string;
  /** 1-based line number in that file (for `truncated`: the last intact line, 0 if none). */
  readonly line: number;
  /** Chain id, when known. */
  readonly chain?: string | undefined;
  /** `seq` of the bad line (or the seq expected), when known. */
  readonly seq?: number | undefined;
  readonly message: string;
}

/** Summary of one verified chain. */
export interface VerifiedChain {
  readonly id: string;
  readonly file: string;
  /** Lines verified as intact. */
  readonly records: number;
  /** Last intact seq. */
  readonly lastSeq: number;
  /** Highest seq covered by a valid signed checkpoint (0 if none). */
  readonly checkpointedSeq: number;
  readonly ok: boolean;
}

/** Result of {@link verifyAuditLog}. */
export interface VerifyAuditLogResult {
  /** True when every chain is intact (and, with checkpoints, complete up to its last checkpoint). */
  readonly ok: boolean;
  readonly files: readonly string[];
  readonly chains: readonly VerifiedChain[];
  /** Problems: at most one per chain (the first bad line), plus checkpoint problems. */
  readonly problems: readonly VerifyProblem[];
  /** Checkpoints with a valid signature that were checked. */
  readonly checkpoints: number;
}

interface ChainState {
  id: string;
  file: string;
  records: number;
  lastSeq: number;
  head: string;
  lastLine: number;
  broken: boolean;
  /** seq → MAC, only for seqs a checkpoint names. */
  seen: Map<number, { mac: string; line: number }>;
}

interface Checkpoint {
  chain: string;
  seq: number;
  head: string;
  file: string;
  line: number;
}

function readCheckpoints(path: string, publicKey: KeyObject, problems: VerifyProblem[]): Checkpoint[] {
  const out: Checkpoint[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    if (text.length === 0) continue;
    let cp: { chain?: unknown; seq?: unknown; head?: unknown; sig?: unknown; '@timestamp'?: unknown };
    try {
      cp = JSON.parse(text);
    } catch {
      problems.push({
        kind: 'bad-checkpoint',
        file: path,
        line: i + 1,
        message: `${path}:${i + 1}: not a checkpoint (invalid JSON)`,
      });
      continue;
    }
    const { chain, seq, head, sig } = cp;
    const ts = cp['@timestamp'];
    if (
      typeof chain !== 'string' ||
      typeof seq !== 'number' ||
      typeof head !== 'string' ||
      typeof sig !== 'string' ||
      typeof ts !== 'string'
    ) {
      problems.push({
        kind: 'bad-checkpoint',
        file: path,
        line: i + 1,
        message: `${path}:${i + 1}: checkpoint is missing fields`,
      });
      continue;
    }
    const good = verifySignature(
      null,
      Buffer.from(checkpointPayload(chain, seq, head, ts)),
      publicKey,
      Buffer.from(sig, 'base64'),
    );
    if (!good) {
      problems.push({
        kind: 'bad-checkpoint',
        file: path,
        line: i + 1,
        chain,
        seq,
        message: `${path}:${i + 1}: checkpoint signature is not valid for chain ${chain} seq ${seq}`,
      });
      continue;
    }
    out.push({ chain, seq, head, file: path, line: i + 1 });
  }
  return out;
}

function safeEqualHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

async function verifyFile(
  file: string,
  key: Buffer,
  checkpointSeqs: Map<string, Set<number>>,
  chains: Map<string, ChainState>,
  problems: VerifyProblem[],
): Promise<void> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  const malformedReported = new Set<string>();
  for await (const line of rl) {
    lineNo++;
    if (line.length === 0) continue;
    const m = CHAINED_TAIL.exec(line);
    if (!m) {
      // Not attributable to a chain: report the first such line of the file.
      if (!malformedReported.has(file)) {
        malformedReported.add(file);
        problems.push({
          kind: 'malformed',
          file,
          line: lineNo,
          message: `${file}:${lineNo}: not a chained audit line (no MAC)`,
        });
      }
      continue;
    }
    const seq = Number(m[1]);
    const id = m[2] as string;
    const prev = m[3] as string;
    const mac = m[4] as string;
    let st = chains.get(id);
    if (!st) {
      st = { id, file, records: 0, lastSeq: 0, head: GENESIS, lastLine: 0, broken: false, seen: new Map() };
      chains.set(id, st);
    }
    if (st.broken) continue;
    const prefix = line.slice(0, line.length - `,"mac":"${mac}"}`.length);
    const expectedMac = createHmac('sha256', key).update(prefix).digest('hex');
    const fail = (kind: VerifyProblemKind, message: string) => {
      (st as ChainState).broken = true;
      problems.push({ kind, file, line: lineNo, chain: id, seq, message: `${file}:${lineNo}: ${message}` });
    };
    if (!safeEqualHex(expectedMac, mac)) {
      fail(
        'mac-mismatch',
        `MAC mismatch (chain ${id}, seq ${seq}): the line was modified, or inserted without the key`,
      );
      continue;
    }
    const expected = st.lastSeq + 1;
    if (st.records === 0 && seq !== 1) {
      fail('missing-start', `chain ${id} starts at seq ${seq}, expected 1: lines were deleted from its start`);
      continue;
    }
    if (seq > expected) {
      fail(
        'gap',
        `chain ${id}: expected seq ${expected}, found ${seq}: lines were deleted or reordered before this line`,
      );
      continue;
    }
    if (seq < expected) {
      fail(
        'out-of-order',
        `chain ${id}: expected seq ${expected}, found ${seq}: a line was duplicated, replayed or moved`,
      );
      continue;
    }
    if (prev !== st.head) {
      fail('broken-link', `chain ${id}: seq ${seq} does not link to the previous line's MAC`);
      continue;
    }
    st.records++;
    st.lastSeq = seq;
    st.head = mac;
    st.lastLine = lineNo;
    if (checkpointSeqs.get(id)?.has(seq)) st.seen.set(seq, { mac, line: lineNo });
  }
}

function listLogs(dir: string): { logs: string[]; checkpoints: string[] } {
  const logs: string[] = [];
  const checkpoints: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (!statSync(p).isFile()) continue;
    if (name.endsWith('.checkpoints')) checkpoints.push(p);
    else if (/\.(log|jsonl|ndjson)$/.test(name)) logs.push(p);
  }
  return { logs, checkpoints };
}

/**
 * Verifies audit logs written with a chain: every line's MAC, the order and continuity of each chain
 * (several chains — processes — may share a file or a folder; each is verified on its own), and, with
 * checkpoints, that nothing was cut from the end. Reports the first bad line of each chain.
 */
export async function verifyAuditLog(options: VerifyAuditLogOptions): Promise<VerifyAuditLogResult> {
  const key = loadHmacKey(options.key);
  let files: string[];
  let checkpointFiles: string[] = options.checkpointsPath ? [options.checkpointsPath] : [];
  if (options.dir) {
    const found = listLogs(options.dir);
    files = found.logs;
    if (!options.checkpointsPath && options.publicKey) checkpointFiles = found.checkpoints;
  } else if (options.logPath) files = [options.logPath];
  else throw new Error('verifyAuditLog: give logPath or dir');
  if (checkpointFiles.length > 0 && !options.publicKey) throw new Error('verifyAuditLog: checkpoints need publicKey');
  const problems: VerifyProblem[] = [];
  const checkpoints: Checkpoint[] = [];
  if (options.publicKey) {
    const pub = loadPublicKey(options.publicKey);
    for (const f of checkpointFiles) checkpoints.push(...readCheckpoints(f, pub, problems));
  }
  const checkpointSeqs = new Map<string, Set<number>>();
  for (const cp of checkpoints) {
    let s = checkpointSeqs.get(cp.chain);
    if (!s) {
      s = new Set();
      checkpointSeqs.set(cp.chain, s);
    }
    s.add(cp.seq);
  }
  const chains = new Map<string, ChainState>();
  for (const f of files) await verifyFile(f, key, checkpointSeqs, chains, problems);
  const maxCheckpoint = new Map<string, number>();
  for (const cp of checkpoints) {
    maxCheckpoint.set(cp.chain, Math.max(maxCheckpoint.get(cp.chain) ?? 0, cp.seq));
    const st = chains.get(cp.chain);
    if (cp.seq === 0) continue;
    if (!st) {
      problems.push({
        kind: 'truncated',
        file: files[0] ?? '',
        line: 0,
        chain: cp.chain,
        seq: cp.seq,
        message: `chain ${cp.chain}: a signed checkpoint covers seq ${cp.seq} (${cp.file}:${cp.line}) but no line of this chain is in the log: lines were removed`,
      });
      continue;
    }
    if (st.broken) continue;
    if (st.lastSeq < cp.seq) {
      st.broken = true;
      problems.push({
        kind: 'truncated',
        file: st.file,
        line: st.lastLine,
        chain: cp.chain,
        seq: st.lastSeq + 1,
        message: `${st.file}:${st.lastLine}: chain ${cp.chain} ends at seq ${st.lastSeq}, but a signed checkpoint covers seq ${cp.seq}: records were removed from the end`,
      });
      continue;
    }
    const seen = st.seen.get(cp.seq);
    if (!seen || !safeEqualHex(seen.mac, cp.head)) {
      st.broken = true;
      problems.push({
        kind: 'checkpoint-mismatch',
        file: st.file,
        line: seen?.line ?? 0,
        chain: cp.chain,
        seq: cp.seq,
        message: `${st.file}:${seen?.line ?? 0}: chain ${cp.chain} seq ${cp.seq} does not match the signed checkpoint (${cp.file}:${cp.line})`,
      });
    }
  }
  const chainList: VerifiedChain[] = [...chains.values()].map((c) => ({
    id: c.id,
    file: c.file,
    records: c.records,
    lastSeq: c.lastSeq,
    checkpointedSeq: maxCheckpoint.get(c.id) ?? 0,
    ok: !c.broken,
  }));
  problems.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  return { ok: problems.length === 0, files, chains: chainList, problems, checkpoints: checkpoints.length };
}

const USAGE =
  'usage: rampart audit verify <log|dir> --key <hex|@file> [--checkpoints <file> --public-key <file>]\n' +
  '  (for a folder, --public-key alone verifies against every *.checkpoints file in it)';

/** Output streams of {@link runAuditVerifyCommand} (default: the process's). */
export interface CommandIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/**
 * `rampart audit verify <log|dir> --key <hex|@file> [--checkpoints <file> --public-key <file>]`
 * (for a folder, `--public-key` alone uses every `*.checkpoints` file in it).
 * `argv` is what follows `rampart audit verify` (a leading `audit verify` is also accepted).
 * Exit code: 0 intact; 1 tampered (the first bad line of each chain is named on stderr); 2 usage or I/O error.
 */
export async function runAuditVerifyCommand(
  argv: string[],
  io: CommandIO = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let args = argv;
  if (args[0] === 'audit' && args[1] === 'verify') args = args.slice(2);
  else if (args[0] === 'verify') args = args.slice(1);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        key: { type: 'string' },
        checkpoints: { type: 'string' },
        'public-key': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const v = parsed.values as { key?: string; checkpoints?: string; 'public-key'?: string; help?: boolean };
  if (v.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const target = parsed.positionals[0];
  if (!target || parsed.positionals.length > 1 || !v.key) {
    io.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let result: VerifyAuditLogResult;
  try {
    const isDir = statSync(target).isDirectory();
    // A folder's *.checkpoints files are found by themselves; a single log needs --checkpoints.
    if ((v.checkpoints && !v['public-key']) || (!isDir && v['public-key'] && !v.checkpoints)) {
      io.stderr.write(`--checkpoints and --public-key go together\n${USAGE}\n`);
      return 2;
    }
    result = await verifyAuditLog({
      ...(isDir ? { dir: target } : { logPath: target }),
      key: v.key,
      ...(v.checkpoints ? { checkpointsPath: v.checkpoints } : {}),
      ...(v['public-key'] ? { publicKey: `@${v['public-key']}` } : {}),
    });
  } catch (e) {
    io.stderr.write(`rampart audit verify: ${(e as Error).message}\n`);
    return 2;
  }
  for (const c of result.chains) {
    io.stdout.write(
      `chain ${c.id} (${c.file}): ${c.records} records, last seq ${c.lastSeq}` +
        `${c.checkpointedSeq ? `, checkpointed to seq ${c.checkpointedSeq}` : ''}: ${c.ok ? 'intact' : 'TAMPERED'}\n`,
    );
  }
  if (result.ok) {
    io.stdout.write(
      `OK: ${result.chains.length} chain(s), ${result.chains.reduce((n, c) => n + c.records, 0)} records intact` +
        `${result.checkpoints ? `, ${result.checkpoints} signed checkpoint(s) valid` : ', no checkpoints (a truncated tail cannot be detected)'}\n`,
    );
    return 0;
  }
  for (const p of result.problems) io.stderr.write(`FAIL ${p.kind}: ${p.message}\n`);
  return 1;
}
