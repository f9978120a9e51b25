/** The registry of subcommands, selected by their leading words (`rampart audit verify …`). */
import { closestName } from '@rampart/core';
import type { Command } from './cli.js';

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

  /**
   * The command `words` most likely meant, for "did you mean …?": the command these words start
   * (`audit` → `audit verify`), else the one within a small edit distance (`analyse` → `analyze`).
   */
  suggest(words: readonly string[]): Command | undefined {
    if (words.length === 0) return undefined;
    const started = this.#commands.find((c) => words.every((w, i) => c.path[i] === w));
    if (started) return started;
    const longest = Math.max(0, ...this.#commands.map((c) => c.path.length));
    for (let length = Math.min(longest, words.length); length > 0; length--) {
      const candidates = this.#commands.filter((c) => c.path.length === length);
      const name = closestName(
        words.slice(0, length).join(' '),
        candidates.map((c) => c.path.join(' ')),
      );
      if (name !== undefined) return candidates.find((c) => c.path.join(' ') === name);
    }
    return undefined;
  }

  /** Every command, in registration order. */
  list(): readonly Command[] {
    return this.#commands;
  }
}
