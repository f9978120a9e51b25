/** Verifying the lines of one log file: each line's MAC and the order and links of its chain. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CHAINED_TAIL, GENESIS } from './chain.js';
import { type KeysById, keyFor } from './key-ring.js';
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
  /** Set when the chain's first line links to another chain's last MAC (a key rotation). */
  continues?: { prev: string; line: number; text: string } | undefined;
}

/** The state of a chain first met in `file`. */
function newChainState(id: string, file: string): ChainState {
  return { id, file, records: 0, lastSeq: 0, head: GENESIS, lastLine: 0, broken: false, bytes: 0, seen: new Map() };
}

/** Compares two hex MACs in constant time. */
export function safeEqualHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

/** A line's parts, from its chained tail. */
interface ChainedLine {
  readonly text: string;
  readonly lineNo: number;
  readonly seq: number;
  readonly id: string;
  readonly keyId: string | undefined;
  readonly prev: string;
  readonly mac: string;
}

/** The problem of one line of an intact chain so far, or undefined when the line is good. */
function checkLine(
  state: ChainState,
  line: ChainedLine,
  keys: KeysById<Buffer>,
): { kind: VerifyProblemKind; message: string } | undefined {
  const { id, seq, mac, prev, keyId } = line;
  const key = keyFor(keys, keyId);
  if (!key) {
    return {
      kind: 'unknown-key',
      message:
        keyId === undefined
          ? `chain ${id} seq ${seq} names no key id (written before key ids): give its key with --key`
          : `chain ${id} seq ${seq} names HMAC key id "${keyId}", which the key ring does not hold: add it to the ring`,
    };
  }
  const prefix = line.text.slice(0, line.text.length - `,"mac":"${mac}"}`.length);
  if (!safeEqualHex(createHmac('sha256', key).update(prefix).digest('hex'), mac)) {
    const named = keyId === undefined ? '' : ` with key ${keyId}`;
    return {
      kind: 'mac-mismatch',
      message: `MAC mismatch (chain ${id}, seq ${seq}${named}): the line was modified, or inserted without the key`,
    };
  }
  const expected = state.lastSeq + 1;
  if (state.records === 0 && seq !== 1)
    return {
      kind: 'missing-start',
      message: `chain ${id} starts at seq ${seq}, expected 1: lines were deleted from its start`,
    };
  if (seq > expected)
    return {
      kind: 'gap',
      message: `chain ${id}: expected seq ${expected}, found ${seq}: lines were deleted or reordered before this line`,
    };
  if (seq < expected)
    return {
      kind: 'out-of-order',
      message: `chain ${id}: expected seq ${expected}, found ${seq}: a line was duplicated, replayed or moved`,
    };
  // A chain started by a key rotation links its first line to the previous chain's last MAC.
  if (state.records === 0 && prev !== GENESIS) state.continues = { prev, line: line.lineNo, text: line.text };
  else if (prev !== state.head)
    return { kind: 'broken-link', message: `chain ${id}: seq ${seq} does not link to the previous line's MAC` };
  return undefined;
}

/**
 * Checks every line of `file` with the key each names, adding to `chains` (the state of each chain
 * met, across files) and to `problems` (the first bad line of each chain). Remembers the MACs at the
 * seqs in `checkpointSeqs`, for the checkpoint check.
 */
export async function verifyFile(
  file: string,
  keys: KeysById<Buffer>,
  checkpointSeqs: Map<string, Set<number>>,
  chains: Map<string, ChainState>,
  problems: VerifyProblem[],
): Promise<void> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  let malformedReported = false;
  for await (const text of rl) {
    lineNo++;
    if (text.length === 0) continue;
    const tail = CHAINED_TAIL.exec(text);
    if (!tail) {
      // Not attributable to a chain: report the first such line of the file.
      if (!malformedReported) {
        malformedReported = true;
        const message = `${file}:${lineNo}: not a chained audit line (no MAC)`;
        problems.push({ kind: 'malformed', file, line: lineNo, message });
      }
      continue;
    }
    const [, seqText, id, keyId, prev, mac] = tail as unknown as [
      string,
      string,
      string,
      string | undefined,
      string,
      string,
    ];
    const seq = Number(seqText);
    let state = chains.get(id);
    if (!state) {
      state = newChainState(id, file);
      chains.set(id, state);
    }
    if (state.broken) continue;
    const problem = checkLine(state, { text, lineNo, seq, id, keyId, prev, mac }, keys);
    if (problem) {
      state.broken = true;
      problems.push({
        kind: problem.kind,
        file,
        line: lineNo,
        chain: id,
        seq,
        message: `${file}:${lineNo}: ${problem.message}`,
      });
      continue;
    }
    state.records++;
    state.lastSeq = seq;
    state.head = mac;
    state.lastLine = lineNo;
    state.bytes += Buffer.byteLength(text, 'utf8') + 1;
    if (checkpointSeqs.get(id)?.has(seq)) state.seen.set(seq, { mac, line: lineNo, bytes: state.bytes });
  }
}
