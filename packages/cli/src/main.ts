/**
 * The `rampart` dispatcher: global options (`--help`, `--version`), then the subcommand selected by
 * its leading words (`rampart analyze …`, `rampart audit verify …`), its `--help`, and its errors.
 */
import { unknownOptionMessage } from './arguments.js';
import { CliError, type CliIO, EXIT_USAGE, processIO } from './cli.js';
import type { CommandRegistry } from './registry.js';
import { cliVersion } from './version.js';

const HELP_FLAGS = ['--help', '-h'];
const VERSION_FLAGS = ['--version', '-v'];

function help(registry: CommandRegistry): string {
  const lines = registry.list().map((c) => `  rampart ${c.path.join(' ').padEnd(16)} ${c.summary}`);
  return `Usage: rampart <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nOptions:\n  -h, --help     this text\n  -v, --version  the version of @rampart/cli\n\nRun "rampart <command> --help" for a command's options.\n`;
}

/** The usage error for a command line that selects no command (unknown option or command). */
function unknownCommand(argv: readonly string[], registry: CommandRegistry, io: CliIO): number {
  const first = argv[0] as string;
  if (first.startsWith('-')) {
    io.stderr(`rampart: ${unknownOptionMessage(first, ['--help', '--version'])}\n\nRun "rampart --help" for usage.\n`);
    return EXIT_USAGE;
  }
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('-')) break;
    words.push(arg);
  }
  const suggestion = registry.suggest(words);
  const hint = suggestion ? ` (did you mean "rampart ${suggestion.path.join(' ')}"?)` : '';
  io.stderr(`rampart: unknown command "${words.join(' ')}"${hint}\n\n${help(registry)}`);
  return EXIT_USAGE;
}

/**
 * Runs the command line `argv` (without `node` and the script) against `registry`.
 * @returns the exit code: 0 success, 2 a usage error, otherwise the command's own.
 */
export async function main(argv: readonly string[], registry: CommandRegistry, io: CliIO = processIO): Promise<number> {
  // `pnpm rampart -- audit verify …` passes pnpm's `--` through
  if (argv[0] === '--') argv = argv.slice(1);
  if (argv.length === 0) {
    io.stderr(help(registry));
    return EXIT_USAGE;
  }
  if (HELP_FLAGS.includes(argv[0] as string) || argv[0] === 'help') {
    io.stdout(help(registry));
    return 0;
  }
  if (VERSION_FLAGS.includes(argv[0] as string)) {
    io.stdout(`${cliVersion()}\n`);
    return 0;
  }
  const found = registry.find(argv);
  if (!found) return unknownCommand(argv, registry, io);
  const { command, args } = found;
  if (args.some((a) => HELP_FLAGS.includes(a))) {
    io.stdout(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    const name = `rampart ${command.path.join(' ')}`;
    if (error instanceof CliError) {
      io.stderr(`${name}: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
