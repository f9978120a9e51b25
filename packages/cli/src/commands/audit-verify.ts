import { runAuditVerifyCommand } from '@rampart/audit';
import type { Command } from '../cli.js';

/** `rampart audit verify`: checks an audit log's HMAC chain (and signed checkpoints) — `@rampart/audit`. */
export const auditVerifyCommand: Command = {
  path: ['audit', 'verify'],
  summary: 'check an audit log: HMAC chain, and with checkpoints a truncated tail',
  usage: [
    'usage: rampart audit verify <log file | folder> --key <hex | @keyfile> [--checkpoints <file> --public-key <pem file>]',
    '',
    'Exit 0 when every chain is intact; 1 when a chain is broken (the first bad line of each is named);',
    '2 for bad usage or unreadable files. A folder is verified file by file, each chain on its own.',
  ].join('\n'),
  run: (args, io) =>
    runAuditVerifyCommand(args, {
      stdout: { write: (s: string) => io.stdout(s) },
      stderr: { write: (s: string) => io.stderr(s) },
    }),
};
