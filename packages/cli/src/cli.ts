/**
 * The parts every `rampart` command shares: where it reads and writes ({@link CliIO}), what a
 * command is ({@link Command}), and how it fails ({@link CliError}, the exit codes).
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
  /** Reads standard input whole (UTF-8), for `-` as a file name. */
  readStdin?(): string;
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

/** The exit code of a command line that cannot be run: unknown command or option, missing value or option. */
export const EXIT_USAGE = 2;

/** An error with a message for the user and an exit code (default 1). */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A usage error: a {@link CliError} with exit code {@link EXIT_USAGE}. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

/** The process's own IO. */
export const processIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readFile: (p) => readFileSync(p, 'utf8'),
  readStdin: () => readFileSync(0, 'utf8'),
};
