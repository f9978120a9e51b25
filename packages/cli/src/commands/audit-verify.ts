/**
 * `rampart audit verify`: checks an audit log's HMAC chain (and signed checkpoints) with
 * `@rampart/audit`'s `verifyAuditLog`, prints one line per chain, names the first bad line of each, and
 * reports the unsealed tail of each (records after its last checkpoint) with a distinct exit code.
 */
import { statSync } from 'node:fs';
import {
  type AuditKeyRing,
  loadKeyRing,
  type VerifiedChain,
  type VerifyAuditLogResult,
  verifyAuditLog,
} from '@rampart/audit';
import { parseCommandLine } from '../arguments.js';
import { CliError, type CliIO, type Command, EXIT_USAGE } from '../cli.js';

const USAGE =
  'usage: rampart audit verify <log|dir> (--key <hex|@file> | --keys <ring.json>) [--checkpoints <file> --public-key <file>]\n' +
  '                            [--anchor <file>] [--allow-unsealed-tail]\n' +
  '  (for a folder, a public key alone verifies against every *.checkpoints file in it)';

const OPTIONS = {
  key: { type: 'string' },
  keys: { type: 'string' },
  anchor: { type: 'string' },
  checkpoints: { type: 'string' },
  'public-key': { type: 'string' },
  'allow-unsealed-tail': { type: 'boolean' },
} as const;

/** Exit code of `audit verify` when every chain is intact and, with checkpoints, sealed. */
export const EXIT_INTACT = 0;
/** Exit code of `audit verify` when a chain is broken (tampered, truncated, a bad checkpoint). */
export const EXIT_TAMPERED = 1;
/**
 * Exit code of `audit verify` when every chain is intact but, with checkpoints, some chain has records
 * after its last checkpoint (an unsealed tail: cutting it would not be detected). `--allow-unsealed-tail`
 * turns it into {@link EXIT_INTACT}.
 */
export const EXIT_UNSEALED_TAIL = 3;
/**
 * Exit code of `audit verify` when the only findings are lines or checkpoints naming a key id that
 * neither the key ring (`--keys`) nor `--key`/`--public-key` holds: they cannot be verified (not
 * evidence of tampering by itself; add the key and verify again).
 */
export const EXIT_UNKNOWN_KEY = 4;

/** What the command line asks to verify. */
interface VerifyRequest {
  readonly target: string;
  readonly key: string | undefined;
  /** Key ring file (`--keys`). */
  readonly keys: string | undefined;
  readonly anchor: string | undefined;
  readonly checkpoints: string | undefined;
  readonly publicKey: string | undefined;
  /** Exit 0 (not {@link EXIT_UNSEALED_TAIL}) when the only finding is an unsealed tail. */
  readonly allowUnsealedTail: boolean;
}

/** The request, or undefined when the target or the key is missing (the usage is printed then). */
function requestOf(args: string[]): VerifyRequest | undefined {
  const { values, positionals } = parseCommandLine(args, OPTIONS, USAGE, true);
  const target = positionals[0];
  const key = values.key as string | undefined;
  const keys = values.keys as string | undefined;
  if (!target || positionals.length > 1 || (key === undefined && keys === undefined)) return undefined;
  const checkpoints = values.checkpoints as string | undefined;
  const publicKey = values['public-key'] as string | undefined;
  const anchor = values.anchor as string | undefined;
  const allowUnsealedTail = values['allow-unsealed-tail'] === true;
  return { target, key, keys, anchor, checkpoints, publicKey, allowUnsealedTail };
}

/**
 * Runs the verifier; undefined when `--checkpoints` and `--public-key` do not go together (the
 * usage is printed then). Throws a `CliError` (exit 2) for unreadable files and keys.
 */
async function verify(request: VerifyRequest, io: CliIO): Promise<VerifyAuditLogResult | undefined> {
  const { target, key, checkpoints, publicKey, anchor } = request;
  try {
    const isDir = statSync(target).isDirectory();
    const ring: AuditKeyRing | undefined = request.keys ? loadKeyRing(request.keys) : undefined;
    const hasPublicKey = publicKey !== undefined || ring?.ed25519 !== undefined;
    // A folder's *.checkpoints files are found by themselves; a single log needs --checkpoints (or --anchor).
    if ((checkpoints || anchor) && !hasPublicKey) {
      io.stderr(`--checkpoints and --anchor need --public-key (or ed25519 keys in --keys)\n${USAGE}\n`);
      return undefined;
    }
    if (!isDir && publicKey && !checkpoints && !anchor) {
      io.stderr(`--checkpoints and --public-key go together\n${USAGE}\n`);
      return undefined;
    }
    return await verifyAuditLog({
      ...(isDir ? { dir: target } : { logPath: target }),
      ...(key ? { key } : {}),
      ...(ring ? { keys: ring } : {}),
      ...(checkpoints ? { checkpointsPath: checkpoints } : {}),
      ...(publicKey ? { publicKey: `@${publicKey}` } : {}),
      ...(anchor ? { anchorPath: anchor } : {}),
    });
  } catch (e) {
    throw new CliError((e as Error).message, EXIT_USAGE);
  }
}

/** The verdict on one chain: intact, intact with an unsealed tail, or tampered. */
function verdictOf(chain: VerifiedChain): string {
  if (!chain.ok) return 'TAMPERED';
  if (chain.unsealedRecords === 0) return 'intact';
  return (
    `intact up to checkpoint ${chain.checkpointedSeq}; ` +
    `unsealed tail: ${chain.unsealedRecords} records, ${chain.unsealedBytes} bytes after it`
  );
}

/**
 * Prints one line per chain and the verdict; returns the exit code ({@link EXIT_INTACT},
 * {@link EXIT_TAMPERED} or {@link EXIT_UNSEALED_TAIL}).
 */
function report(result: VerifyAuditLogResult, allowUnsealedTail: boolean, io: CliIO): number {
  for (const c of result.chains) {
    io.stdout(
      `chain ${c.id} (${c.file}): ${c.records} records, last seq ${c.lastSeq}` +
        `${c.checkpointedSeq ? `, checkpointed to seq ${c.checkpointedSeq}` : ''}: ${verdictOf(c)}\n`,
    );
  }
  if (!result.ok) {
    for (const p of result.problems) io.stderr(`FAIL ${p.kind}: ${p.message}\n`);
    if (result.problems.every((p) => p.kind === 'unknown-key')) {
      io.stderr('UNKNOWN KEY: some chains name keys that were not given; they were not verified\n');
      return EXIT_UNKNOWN_KEY;
    }
    return EXIT_TAMPERED;
  }
  const intact = `${result.chains.length} chain(s), ${result.chains.reduce((n, c) => n + c.records, 0)} records intact`;
  if (result.unsealedTail) {
    const tails = result.chains.filter((c) => c.unsealedRecords > 0);
    const records = tails.reduce((n, c) => n + c.unsealedRecords, 0);
    const bytes = tails.reduce((n, c) => n + c.unsealedBytes, 0);
    io.stdout(
      `UNSEALED: ${intact}, ${result.checkpoints} signed checkpoint(s) valid; ${records} records (${bytes} bytes) ` +
        `after the last checkpoint of ${tails.length} chain(s): a cut there would not be detected\n`,
    );
    return allowUnsealedTail ? EXIT_INTACT : EXIT_UNSEALED_TAIL;
  }
  io.stdout(
    `OK: ${intact}` +
      `${result.checkpoints ? `, ${result.checkpoints} signed checkpoint(s) valid` : ', no checkpoints (a truncated tail cannot be detected)'}\n`,
  );
  return EXIT_INTACT;
}

/**
 * The `audit verify` command. Exit 0 intact (and sealed, with checkpoints); 1 tampered (the first bad
 * line of each chain on stderr); 2 usage or I/O error; 3 intact but with an unsealed tail (records
 * after the last checkpoint; 0 with `--allow-unsealed-tail`).
 */
export const auditVerifyCommand: Command = {
  path: ['audit', 'verify'],
  summary: 'check an audit log: HMAC chain (key ring across rotations), and with checkpoints a truncated tail',
  usage: [
    'usage: rampart audit verify <log file | folder> (--key <hex | @keyfile> | --keys <ring.json>)',
    '                            [--checkpoints <file> --public-key <pem file>] [--anchor <file>] [--allow-unsealed-tail]',
    '',
    '--keys: a key ring after key rotations, JSON { "hmac": { "<key id>": "<hex | @file>" },',
    '"ed25519": { "<key id>": "<PEM | @file>" } } (@file relative to the ring); each line and checkpoint',
    'is verified with the key its key_id names. --key verifies lines without key_id (older logs).',
    '--anchor: the off-host copy of the checkpoints; the log and the local checkpoints are checked against it.',
    '',
    'Exit 0 when every chain is intact (and, with checkpoints, sealed by its last checkpoint); 1 when a',
    'chain is broken (the first bad line of each is named); 2 for bad usage or unreadable files; 3 when',
    'every chain is intact but some records come after the last checkpoint (an unsealed tail: a cut there',
    'would not be detected; --allow-unsealed-tail exits 0 then). A folder is verified file by file, each',
    'chain on its own. Exit 4 when the only findings are key ids no given key has (add the key).',
  ].join('\n'),
  async run(args, io) {
    const request = requestOf(args);
    if (!request) {
      io.stderr(`${USAGE}\n`);
      return EXIT_USAGE;
    }
    const result = await verify(request, io);
    return result ? report(result, request.allowUnsealedTail, io) : EXIT_USAGE;
  },
};
