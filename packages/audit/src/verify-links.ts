/**
 * What links chains and copies: a key rotation's new chain to the chain it ended, and the local
 * checkpoints to their off-host anchored copy.
 */
import type { VerifyProblem } from './verify.js';
import type { ChainState } from './verify-chain.js';
import type { Checkpoint } from './verify-checkpoints.js';

/** The ended chain a rotation record (`audit.key.rotated`) names, when the line is one. */
function rotationOf(text: string): { chain: string; seq: number } | undefined {
  try {
    const rotation = (JSON.parse(text) as { rampart?: { key_rotation?: Record<string, unknown> } }).rampart
      ?.key_rotation;
    const chain = rotation?.previous_chain;
    const seq = rotation?.previous_seq;
    return typeof chain === 'string' && typeof seq === 'number' ? { chain, seq } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks that each chain started by a key rotation links to the last line of an intact chain in the
 * log (the chain the rotation ended): otherwise records were removed across the rotation
 * (`rotation-gap`). A chain whose predecessor is already reported broken gets no second problem.
 */
export function checkRotations(chains: ReadonlyMap<string, ChainState>, problems: VerifyProblem[]): void {
  const byHead = new Map<string, ChainState>();
  for (const c of chains.values()) if (c.records > 0 && !c.broken) byHead.set(c.head, c);
  for (const c of chains.values()) {
    const link = c.continues;
    if (!link || c.broken || byHead.has(link.prev)) continue;
    const named = rotationOf(link.text);
    const previous = named ? chains.get(named.chain) : undefined;
    if (previous?.broken) continue;
    let why: string;
    if (previous) {
      why = `chain ${c.id} continues chain ${previous.id} after seq ${named?.seq} (key rotation), but chain ${previous.id} ends at seq ${previous.lastSeq}: records were removed across the key rotation`;
    } else if (named) {
      why = `chain ${c.id} continues chain ${named.chain} after seq ${named.seq} (key rotation), but no line of chain ${named.chain} is in the log: records were removed across the key rotation`;
    } else {
      why = `chain ${c.id} links to a MAC that no chain in the log ends with: records were removed across a key rotation`;
    }
    c.broken = true;
    problems.push({
      kind: 'rotation-gap',
      file: c.file,
      line: link.line,
      chain: c.id,
      seq: 1,
      message: `${c.file}:${link.line}: ${why}`,
    });
  }
}

const keyOf = (c: Checkpoint) => `${c.chain}\n${c.seq}\n${c.head}`;

/**
 * Compares the anchored checkpoints (signatures verified) with the local ones: each chain with
 * anchored checkpoints missing from the local checkpoints gets an `anchor-mismatch` problem (the local
 * checkpoints were cut, replaced or deleted). Returns the anchored checkpoints the local ones lack, for
 * the log to be checked against too. A local checkpoint missing from the anchor is not a problem (the
 * anchor may have been unreachable when it was written).
 */
export function compareAnchor(
  local: readonly Checkpoint[],
  anchored: readonly Checkpoint[],
  localFiles: readonly string[],
  problems: VerifyProblem[],
): Checkpoint[] {
  const have = new Set(local.map(keyOf));
  const missing = anchored.filter((c) => !have.has(keyOf(c)));
  const byChain = new Map<string, Checkpoint[]>();
  for (const c of missing) byChain.set(c.chain, [...(byChain.get(c.chain) ?? []), c]);
  const where = localFiles.length > 0 ? localFiles.join(', ') : 'no local checkpoints file';
  for (const [chain, list] of byChain) {
    const first = list[0] as Checkpoint;
    const seqs = `${list
      .slice(0, 10)
      .map((c) => c.seq)
      .join(', ')}${list.length > 10 ? ', …' : ''}`;
    problems.push({
      kind: 'anchor-mismatch',
      file: first.file,
      line: first.line,
      chain,
      seq: first.seq,
      message: `${first.file}:${first.line}: ${list.length} anchored checkpoint(s) of chain ${chain} (seq ${seqs}) are not in the local checkpoints (${where}): the local checkpoints were cut, replaced or deleted`,
    });
  }
  return missing;
}
