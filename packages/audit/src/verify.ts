/**
 * The audit log verifier: checks the HMAC chain of every line and, with signed checkpoints, that
 * nothing was cut from the end. Users and the `rampart audit verify` command (`@rampart/cli`) call it.
 */
import type { KeyObject } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type AuditKeyRing, hmacKeys, type KeysById, publicKeys } from './key-ring.js';
import { type ChainState, verifyFile } from './verify-chain.js';
import { type Checkpoint, checkCheckpoints, checkpointSeqsByChain, readCheckpoints } from './verify-checkpoints.js';
import { checkRotations, compareAnchor } from './verify-links.js';

/** Options of {@link verifyAuditLog}. Give `logPath` (one file) or `dir` (every `*.log`/`*.jsonl`/`*.ndjson` in it). */
export interface VerifyAuditLogOptions {
  /** One log file. */
  logPath?: string;
  /** A folder of log files (each chain in it is verified on its own). */
  dir?: string;
  /**
   * HMAC key: bytes, hex text or `@/path/to/keyfile`. Verifies the lines without `key_id` (written
   * before key ids) and, without `keys`, every line; with `keys`, it joins the ring under its derived
   * id. Give `key`, `keys.hmac`, or both.
   */
  key?: string | Uint8Array;
  /**
   * Every key the chains may name (after key rotations), by key id: each line is verified with the
   * HMAC key its `key_id` names, each checkpoint with the public key its `key_id` names. A line or
   * checkpoint naming an id the ring does not hold is an `unknown-key` problem.
   */
  keys?: AuditKeyRing;
  /** Checkpoints file. In `dir` mode, default: every `*.checkpoints` file in the folder. */
  checkpointsPath?: string;
  /**
   * Ed25519 public key (PEM text, `@/path`, or a KeyObject); with checkpoints, give it or
   * `keys.ed25519`. Verifies checkpoints without `key_id`, and every checkpoint without `keys.ed25519`.
   */
  publicKey?: string | KeyObject;
  /**
   * The off-host copy of the checkpoints (`chain.checkpoints.anchor` written to a file): its
   * checkpoints are verified, compared with the local ones (`anchor-mismatch` for any the local
   * checkpoints lack) and the log is checked against them, so a log cut together with its local
   * checkpoints file (even a deleted one) is detected. Needs a public key.
   */
  anchorPath?: string;
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
  | 'bad-checkpoint' // a checkpoint line is malformed or its signature is wrong
  | 'rotation-gap' // a key rotation's new chain does not link to the end of the chain it ended
  | 'anchor-mismatch' // anchored checkpoints are missing from the local checkpoints
  | 'unknown-key'; // a line or checkpoint names a key id the key ring does not hold

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
  /**
   * Intact records after the last checkpoint ({@link checkpointedSeq}): the unsealed tail, which
   * could be cut without detection. Every record when the chain has no checkpoint; 0 when no
   * checkpoints were verified (no `publicKey`, or one log without `checkpointsPath`) or the chain is broken.
   */
  readonly unsealedRecords: number;
  /** Bytes (UTF-8, newlines included) of the {@link unsealedRecords}. */
  readonly unsealedBytes: number;
  readonly ok: boolean;
}

/** Result of {@link verifyAuditLog}. */
export interface VerifyAuditLogResult {
  /**
   * True when every chain is intact (and, with checkpoints, complete up to its last checkpoint). An
   * unsealed tail is not a problem: see {@link unsealedTail}.
   */
  readonly ok: boolean;
  /**
   * True when checkpoints were verified and some intact chain has records after its last checkpoint
   * (or none at all): those records are intact, but removing them would not have been detected.
   * `ok && !unsealedTail` is "intact and sealed".
   */
  readonly unsealedTail: boolean;
  readonly files: readonly string[];
  readonly chains: readonly VerifiedChain[];
  /** Problems: at most one per chain (the first bad line), plus checkpoint problems. */
  readonly problems: readonly VerifyProblem[];
  /** Checkpoints with a valid signature that were checked. */
  readonly checkpoints: number;
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

/** The log files and checkpoint files `options` name (throws on a missing or contradictory choice). */
function filesToVerify(options: VerifyAuditLogOptions): { files: string[]; checkpointFiles: string[] } {
  let files: string[];
  let checkpointFiles: string[] = options.checkpointsPath ? [options.checkpointsPath] : [];
  if (options.dir) {
    const found = listLogs(options.dir);
    files = found.logs;
  } else if (options.logPath) files = [options.logPath];
  else throw new Error('verifyAuditLog: give logPath or dir');
  const havePublicKey = options.publicKey !== undefined || options.keys?.ed25519 !== undefined;
  if (options.dir && !options.checkpointsPath && havePublicKey) checkpointFiles = listLogs(options.dir).checkpoints;
  if ((checkpointFiles.length > 0 || options.anchorPath) && !havePublicKey)
    throw new Error('verifyAuditLog: checkpoints need publicKey (or keys.ed25519)');
  return { files, checkpointFiles };
}

/**
 * The summary of one chain; with `sealing` (checkpoints verified), the size of its tail after the
 * checkpoint at `checkpointedSeq` (the verifier kept the byte count at that seq).
 */
function summarize(state: ChainState, checkpointedSeq: number, sealing: boolean): VerifiedChain {
  const unsealed = sealing && !state.broken && state.lastSeq > checkpointedSeq;
  const sealedBytes = checkpointedSeq > 0 ? (state.seen.get(checkpointedSeq)?.bytes ?? 0) : 0;
  return {
    id: state.id,
    file: state.file,
    records: state.records,
    lastSeq: state.lastSeq,
    checkpointedSeq,
    unsealedRecords: unsealed ? state.lastSeq - checkpointedSeq : 0,
    unsealedBytes: unsealed ? state.bytes - sealedBytes : 0,
    ok: !state.broken,
  };
}

/**
 * The signed checkpoints to check the log against: the local files' and, with an anchor, the anchored
 * ones they lack (reported). With an anchor, a missing local checkpoints file counts as empty.
 */
function gatherCheckpoints(
  options: VerifyAuditLogOptions,
  checkpointFiles: readonly string[],
  keys: KeysById<KeyObject>,
  problems: VerifyProblem[],
): Checkpoint[] {
  const local: Checkpoint[] = [];
  const present = options.anchorPath ? checkpointFiles.filter((f) => existsSync(f)) : checkpointFiles;
  for (const file of present) local.push(...readCheckpoints(file, keys, problems));
  if (!options.anchorPath) return local;
  const anchored = readCheckpoints(options.anchorPath, keys, problems);
  return [...local, ...compareAnchor(local, anchored, present, problems)];
}

/**
 * Verifies audit logs written with a chain: every line's MAC (with the key its `key_id` names), the
 * order and continuity of each chain (several chains — processes, key rotations — may share a file or
 * a folder; each is verified on its own, and a rotation's new chain must link to the end of the chain
 * it ended), and, with checkpoints, that nothing was cut from the end (with an anchor, also checked
 * against the off-host copy). Reports the first bad line of each chain and, with checkpoints, each
 * chain's unsealed tail (records after its last checkpoint).
 */
export async function verifyAuditLog(options: VerifyAuditLogOptions): Promise<VerifyAuditLogResult> {
  const keys = hmacKeys(options.key, options.keys);
  const { files, checkpointFiles } = filesToVerify(options);
  const problems: VerifyProblem[] = [];
  const publicKeyRing = publicKeys(options.publicKey, options.keys);
  const checkpoints = publicKeyRing ? gatherCheckpoints(options, checkpointFiles, publicKeyRing, problems) : [];
  const checkpointSeqs = checkpointSeqsByChain(checkpoints);
  const chains = new Map<string, ChainState>();
  for (const file of files) await verifyFile(file, keys, checkpointSeqs, chains, problems);
  checkRotations(chains, problems);
  const maxCheckpoint = checkCheckpoints(checkpoints, chains, files[0] ?? '', problems);
  // Tails are reported when checkpoints were asked for: a checkpoints file or an anchor, or a folder's with a public key.
  const sealing =
    publicKeyRing !== undefined && (checkpointFiles.length > 0 || options.dir !== undefined || !!options.anchorPath);
  const chainList = [...chains.values()].map((c) => summarize(c, maxCheckpoint.get(c.id) ?? 0, sealing));
  problems.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  return {
    ok: problems.length === 0,
    unsealedTail: chainList.some((c) => c.unsealedRecords > 0),
    files,
    chains: chainList,
    problems,
    checkpoints: checkpoints.length,
  };
}
