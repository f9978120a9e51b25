/**
 * The `rampart` command: a registry of subcommands selected by their leading words
 * (`rampart analyze …`, `rampart audit verify …`), so other packages add theirs with
 * {@link CommandRegistry.register} without touching the dispatcher.
 */
import { readFileSync } from 'node:fs';

/** Where a command reads and writes (injectable for tests). */
export interface CliIO {
  /** Writes to standard output (the text carries its own newlines). */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Reads a UTF-8 file (relative paths against the process's working directory). */
  readFile(path: string): string;
}

/** One subcommand. */
export interface Command {
  /** The words that select it: `['analyze']`, `['audit', 'verify']`. */
  readonly path: readonly string[];
  /** One line for `rampart --help`. */
  readonly summary: string;
  /** Full usage text for `rampart <command> --help`. */
  readonly usage: string;
  /**
   * Runs with the arguments after the command words. Returns the exit code (0 success, 1 bad or
   * unreadable input); throw {@link CliError} for a clean message and exit code.
   */
  run(args: string[], io: CliIO): number | Promise<number>;
}

/** An error with a message for the user and an exit code (default 1). */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The subcommands, selected by the longest matching path. */
export class CommandRegistry {
  readonly #commands: Command[] = [];

  /** Adds a command; a command with the same path is replaced. */
  register(command: Command): this {
    const key = command.path.join(' ');
    const i = this.#commands.findIndex((c) => c.path.join(' ') === key);
    if (i >= 0) this.#commands[i] = command;
    else this.#commands.push(command);
    return this;
  }

  /** The command selected by `argv` and the remaining arguments, if any. */
  find(argv: readonly string[]): { command: Command; args: string[] } | undefined {
    let best: Command | undefined;
    for (const c of this.#commands) {
      if (c.path.length <= argv.length && c.path.every((w, i) => argv[i] === w)) {
        if (!best || c.path.length > best.path.length) best = c;
      }
    }
    return best ? { command: best, args: argv.slice(best.path.length) } : undefined;
  }

  /** Every command, in registration order. */
  list(): readonly Command[] {
    return this.#commands;
  }
}

/** The process's own IO. */
export const processIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readFile: (p) => readFileSync(p, 'utf8'),
};

function help(registry: CommandRegistry): string {
  const lines = registry.list().map((c) => `  rampart ${c.path.join(' ').padEnd(16)} ${c.summary}`);
  return `Usage: rampart <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "rampart <command> --help" for a command's options.\n`;
}

/**
 * Runs the command line `argv` (without `node` and the script) against `registry`.
 * @returns the exit code.
 */
export async function main(argv: readonly string[], registry: CommandRegistry, io: CliIO = processIO): Promise<number> {
  // `pnpm rampart -- audit verify …` passes pnpm's `--` through
  if (argv[0] === '--') argv = argv.slice(1);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    (argv.length === 0 ? io.stderr : io.stdout)(help(registry));
    return argv.length === 0 ? 1 : 0;
  }
  const found = registry.find(argv);
  if (!found) {
    io.stderr(`rampart: unknown command "${argv.filter((a) => !a.startsWith('-')).join(' ')}"\n\n${help(registry)}`);
    return 1;
  }
  const { command, args } = found;
  if (args.includes('--help') || args.includes('-h')) {
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
