/** Verifying the lines of one log file: each line's MAC and the order and links of its chain. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CHAINED_TAIL, GENESIS } from './chain.js';
import type { VerifyProblem, VerifyProblemKind } from './verify.js';

/** What the verifier knows of one chain so far. */
export interface ChainState {
  id: string;
  file: string;
  records: number;
  lastSeq: number;
  head: string;
  lastLine: number;
  broken: boolean;
  /** Bytes of the intact lines (UTF-8, each with its newline). */
  bytes: number;
  /** seq → MAC, line and {@link bytes} up to that line, only for seqs a checkpoint names. */
  seen: Map<number, { mac: string; line: number; bytes: number }>;
}

/** The state of a chain first met in `file`. */
function newChainState(id: string, file: string): ChainState {
  return { id, file, records: 0, lastSeq: 0, head: GENESIS, lastLine: 0, broken: false, bytes: 0, seen: new Map() };
}

/** Compares two hex MACs in constant time. */
export function safeEqualHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

/**
 * Checks every line of `file` against `key`, adding to `chains` (the state of each chain met, across
 * files) and to `problems` (the first bad line of each chain). Remembers the MACs at the seqs in
 * `checkpointSeqs`, for the checkpoint check.
 */
export async function verifyFile(
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
    const tail = CHAINED_TAIL.exec(line);
    if (!tail) {
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
    const [, seqText, id, prev, mac] = tail as unknown as [string, string, string, string, string];
    const seq = Number(seqText);
    let state = chains.get(id);
    if (!state) {
      state = newChainState(id, file);
      chains.set(id, state);
    }
    if (state.broken) continue;
    const prefix = line.slice(0, line.length - `,"mac":"${mac}"}`.length);
    const expectedMac = createHmac('sha256', key).update(prefix).digest('hex');
    const fail = (kind: VerifyProblemKind, message: string) => {
      (state as ChainState).broken = true;
      problems.push({ kind, file, line: lineNo, chain: id, seq, message: `${file}:${lineNo}: ${message}` });
    };
    if (!safeEqualHex(expectedMac, mac)) {
      fail(
        'mac-mismatch',
        `MAC mismatch (chain ${id}, seq ${seq}): the line was modified, or inserted without the key`,
      );
      continue;
    }
    const expected = state.lastSeq + 1;
    if (state.records === 0 && seq !== 1) {
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
    if (prev !== state.head) {
      fail('broken-link', `chain ${id}: seq ${seq} does not link to the previous line's MAC`);
      continue;
    }
    state.records++;
    state.lastSeq = seq;
    state.head = mac;
    state.lastLine = lineNo;
    state.bytes += Buffer.byteLength(line, 'utf8') + 1;
    if (checkpointSeqs.get(id)?.has(seq)) state.seen.set(seq, { mac, line: lineNo, bytes: state.bytes });
  }
}
