/**
 * `rampart audit verify`: checks an audit log's HMAC chain (and signed checkpoints) with
 * `@rampart/audit`'s `verifyAuditLog`, prints one line per chain, and names the first bad line of each.
 */
import { statSync } from 'node:fs';
import { type VerifyAuditLogResult, verifyAuditLog } from '@rampart/audit';
import { parseCommandLine } from '../arguments.js';
import { CliError, type CliIO, type Command, EXIT_USAGE } from '../cli.js';

const USAGE =
  'usage: rampart audit verify <log|dir> --key <hex|@file> [--checkpoints <file> --public-key <file>]\n' +
  '  (for a folder, --public-key alone verifies against every *.checkpoints file in it)';

const OPTIONS = {
  key: { type: 'string' },
  checkpoints: { type: 'string' },
  'public-key': { type: 'string' },
} as const;

/** What the command line asks to verify. */
interface VerifyRequest {
  readonly target: string;
  readonly key: string;
  readonly checkpoints: string | undefined;
  readonly publicKey: string | undefined;
}

/** The request, or undefined when the target or the key is missing (the usage is printed then). */
function requestOf(args: string[]): VerifyRequest | undefined {
  const { values, positionals } = parseCommandLine(args, OPTIONS, USAGE, true);
  const target = positionals[0];
  const key = values.key;
  if (!target || positionals.length > 1 || typeof key !== 'string') return undefined;
  const checkpoints = values.checkpoints as string | undefined;
  const publicKey = values['public-key'] as string | undefined;
  return { target, key, checkpoints, publicKey };
}

/**
 * Runs the verifier; undefined when `--checkpoints` and `--public-key` do not go together (the
 * usage is printed then). Throws a `CliError` (exit 2) for unreadable files and keys.
 */
async function verify(request: VerifyRequest, io: CliIO): Promise<VerifyAuditLogResult | undefined> {
  const { target, key, checkpoints, publicKey } = request;
  try {
    const isDir = statSync(target).isDirectory();
    // A folder's *.checkpoints files are found by themselves; a single log needs --checkpoints.
    if ((checkpoints && !publicKey) || (!isDir && publicKey && !checkpoints)) {
      io.stderr(`--checkpoints and --public-key go together\n${USAGE}\n`);
      return undefined;
    }
    return await verifyAuditLog({
      ...(isDir ? { dir: target } : { logPath: target }),
      key,
      ...(checkpoints ? { checkpointsPath: checkpoints } : {}),
      ...(publicKey ? { publicKey: `@${publicKey}` } : {}),
    });
  } catch (e) {
    throw new CliError((e as Error).message, EXIT_USAGE);
  }
}

/** Prints one line per chain and the verdict; returns the exit code (0 intact, 1 tampered). */
function report(result: VerifyAuditLogResult, io: CliIO): number {
  for (const c of result.chains) {
    io.stdout(
      `chain ${c.id} (${c.file}): ${c.records} records, last seq ${c.lastSeq}` +
        `${c.checkpointedSeq ? `, checkpointed to seq ${c.checkpointedSeq}` : ''}: ${c.ok ? 'intact' : 'TAMPERED'}\n`,
    );
  }
  if (result.ok) {
    io.stdout(
      `OK: ${result.chains.length} chain(s), ${result.chains.reduce((n, c) => n + c.records, 0)} records intact` +
        `${result.checkpoints ? `, ${result.checkpoints} signed checkpoint(s) valid` : ', no checkpoints (a truncated tail cannot be detected)'}\n`,
    );
    return 0;
  }
  for (const p of result.problems) io.stderr(`FAIL ${p.kind}: ${p.message}\n`);
  return 1;
}

/** The `audit verify` command. Exit 0 intact; 1 tampered (the first bad line of each chain on stderr); 2 usage or I/O error. */
export const auditVerifyCommand: Command = {
  path: ['audit', 'verify'],
  summary: 'check an audit log: HMAC chain, and with checkpoints a truncated tail',
  usage: [
    'usage: rampart audit verify <log file | folder> --key <hex | @keyfile> [--checkpoints <file> --public-key <pem file>]',
    '',
    'Exit 0 when every chain is intact; 1 when a chain is broken (the first bad line of each is named);',
    '2 for bad usage or unreadable files. A folder is verified file by file, each chain on its own.',
  ].join('\n'),
  async run(args, io) {
    const request = requestOf(args);
    if (!request) {
      io.stderr(`${USAGE}\n`);
      return EXIT_USAGE;
    }
    const result = await verify(request, io);
    return result ? report(result, io) : EXIT_USAGE;
  },
};
