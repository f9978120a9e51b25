/** Signed checkpoints: reading them (each signature checked) and checking the chains against them. */
import { type KeyObject, verify as verifySignature } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { checkpointPayload } from './chain.js';
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

/** The checkpoints of `path` whose signature `publicKey` verifies; each bad one is added to `problems`. */
export function readCheckpoints(path: string, publicKey: KeyObject, problems: VerifyProblem[]): Checkpoint[] {
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
  for (const cp of checkpoints) {
    maxCheckpoint.set(cp.chain, Math.max(maxCheckpoint.get(cp.chain) ?? 0, cp.seq));
    const st = chains.get(cp.chain);
    if (cp.seq === 0) continue;
    if (!st) {
      problems.push({
        kind: 'truncated',
        file: firstFile,
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
  return maxCheckpoint;
}
