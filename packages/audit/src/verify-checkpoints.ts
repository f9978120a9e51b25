/** Signed checkpoints: reading them (each signature checked) and checking the chains against them. */
import { type KeyObject, verify as verifySignature } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { checkpointPayload } from './chain.js';
import { type KeysById, keyFor } from './key-ring.js';
import type { VerifyProblem } from './verify.js';
import { type ChainState, safeEqualHex } from './verify-chain.js';

/** One checkpoint whose signature is valid. */
export interface Checkpoint {
  chain: string;
  seq: number;
  head: string;
  file: string;
  line: number;
}

/** The fields of one checkpoint line, or what is wrong with it. */
function parseCheckpoint(
  text: string,
): { chain: string; seq: number; head: string; sig: string; ts: string; key_id: string | undefined } | string {
  let c: { chain?: unknown; seq?: unknown; head?: unknown; sig?: unknown; key_id?: unknown; '@timestamp'?: unknown };
  try {
    c = JSON.parse(text);
  } catch {
    return 'not a checkpoint (invalid JSON)';
  }
  const ts = c['@timestamp'];
  if (
    typeof c.chain !== 'string' ||
    typeof c.seq !== 'number' ||
    typeof c.head !== 'string' ||
    typeof c.sig !== 'string' ||
    typeof ts !== 'string' ||
    (c.key_id !== undefined && typeof c.key_id !== 'string')
  )
    return 'checkpoint is missing fields';
  return { chain: c.chain, seq: c.seq, head: c.head, sig: c.sig, ts, key_id: c.key_id as string | undefined };
}

/**
 * The checkpoints of `path` whose signature the key each names (`key_id`; the fallback key for those
 * without) verifies; each bad one is added to `problems`.
 */
export function readCheckpoints(path: string, keys: KeysById<KeyObject>, problems: VerifyProblem[]): Checkpoint[] {
  const out: Checkpoint[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    if (text.length === 0) continue;
    const checkpoint = parseCheckpoint(text);
    if (typeof checkpoint === 'string') {
      problems.push({ kind: 'bad-checkpoint', file: path, line: i + 1, message: `${path}:${i + 1}: ${checkpoint}` });
      continue;
    }
    const { chain, seq, head, sig, ts } = checkpoint;
    const keyId = checkpoint.key_id as string | undefined;
    const publicKey = keyFor(keys, keyId);
    if (!publicKey) {
      const which =
        keyId === undefined
          ? 'names no key id: give its key with --public-key'
          : `names public key id "${keyId}", which the key ring does not hold: add it to the ring`;
      problems.push({
        kind: 'unknown-key',
        file: path,
        line: i + 1,
        chain,
        seq,
        message: `${path}:${i + 1}: checkpoint of chain ${chain} seq ${seq} ${which}`,
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

/** The seqs each chain's checkpoints name (the verifier remembers the MACs at those seqs). */
export function checkpointSeqsByChain(checkpoints: readonly Checkpoint[]): Map<string, Set<number>> {
  const seqs = new Map<string, Set<number>>();
  for (const checkpoint of checkpoints) {
    let chainSeqs = seqs.get(checkpoint.chain);
    if (!chainSeqs) {
      chainSeqs = new Set();
      seqs.set(checkpoint.chain, chainSeqs);
    }
    chainSeqs.add(checkpoint.seq);
  }
  return seqs;
}

/**
 * Checks each chain against its checkpoints: a chain that ends before a checkpoint's seq was cut
 * (`truncated`), a line whose MAC differs from the checkpoint's head was replaced
 * (`checkpoint-mismatch`). Adds the problems; returns the highest checkpointed seq of each chain.
 */
export function checkCheckpoints(
  checkpoints: readonly Checkpoint[],
  chains: ReadonlyMap<string, ChainState>,
  firstFile: string,
  problems: VerifyProblem[],
): Map<string, number> {
  const maxCheckpoint = new Map<string, number>();
  for (const checkpoint of checkpoints) {
    maxCheckpoint.set(checkpoint.chain, Math.max(maxCheckpoint.get(checkpoint.chain) ?? 0, checkpoint.seq));
    const state = chains.get(checkpoint.chain);
    if (checkpoint.seq === 0) continue;
    if (!state) {
      problems.push({
        kind: 'truncated',
        file: firstFile,
        line: 0,
        chain: checkpoint.chain,
        seq: checkpoint.seq,
        message: `chain ${checkpoint.chain}: a signed checkpoint covers seq ${checkpoint.seq} (${checkpoint.file}:${checkpoint.line}) but no line of this chain is in the log: lines were removed`,
      });
      continue;
    }
    if (state.broken) continue;
    if (state.lastSeq < checkpoint.seq) {
      state.broken = true;
      problems.push({
        kind: 'truncated',
        file: state.file,
        line: state.lastLine,
        chain: checkpoint.chain,
        seq: state.lastSeq + 1,
        message: `${state.file}:${state.lastLine}: chain ${checkpoint.chain} ends at seq ${state.lastSeq}, but a signed checkpoint covers seq ${checkpoint.seq}: records were removed from the end`,
      });
      continue;
    }
    const seen = state.seen.get(checkpoint.seq);
    if (!seen || !safeEqualHex(seen.mac, checkpoint.head)) {
      state.broken = true;
      problems.push({
        kind: 'checkpoint-mismatch',
        file: state.file,
        line: seen?.line ?? 0,
        chain: checkpoint.chain,
        seq: checkpoint.seq,
        message: `${state.file}:${seen?.line ?? 0}: chain ${checkpoint.chain} seq ${checkpoint.seq} does not match the signed checkpoint (${checkpoint.file}:${checkpoint.line})`,
      });
    }
  }
  return maxCheckpoint;
}
