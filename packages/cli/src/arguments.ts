/**
 * Parsing a command's options with Node's `util.parseArgs`, with usage errors (exit 2) that say what
 * is wrong: an unknown option with the nearest known one ("did you mean …?"), an option missing its
 * value.
 */
import { parseArgs } from 'node:util';
import { closestName } from '@rampart/core';
import { usageError } from './cli.js';

/** The options a command accepts, as `util.parseArgs` takes them. */
export type OptionSpecs = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** The parsed command line. */
export interface ParsedArguments {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

/** The message for an unknown option, with the nearest known one when there is one. */
export function unknownOptionMessage(option: string, known: readonly string[]): string {
  const hint = closestName(option, known);
  return `unknown option "${option}"${hint ? ` (did you mean "${hint}"?)` : ''}`;
}

/** The long name (`--key`) of the option `arg` names, or undefined when the command has no such option. */
function optionOf(arg: string, specs: OptionSpecs): string | undefined {
  if (arg.startsWith('--')) {
    const name = arg.slice(2).split('=')[0] as string;
    return Object.hasOwn(specs, name) ? name : undefined;
  }
  return Object.keys(specs).find((name) => specs[name]?.short === arg.slice(1));
}

/** Throws the usage error of the first unknown option, or of an option missing its value. */
function checkOptions(args: readonly string[], specs: OptionSpecs, usage: string): void {
  const known = Object.keys(specs).map((name) => `--${name}`);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') return;
    if (!arg.startsWith('-') || arg === '-') continue;
    const name = optionOf(arg, specs);
    if (name === undefined) throw usageError(`${unknownOptionMessage(arg.split('=')[0] as string, known)}\n\n${usage}`);
    if (specs[name]?.type !== 'string' || arg.includes('=')) continue;
    const value = args[i + 1];
    if (value === undefined || (value.startsWith('-') && value !== '-')) {
      throw usageError(`option --${name} needs a value\n\n${usage}`);
    }
    i++;
  }
}

/**
 * Parses `args` against `specs` (strict: an unknown option or a missing value is a usage error whose
 * message ends with `usage`).
 */
export function parseCommandLine(
  args: readonly string[],
  specs: OptionSpecs,
  usage: string,
  allowPositionals: boolean,
): ParsedArguments {
  checkOptions(args, specs, usage);
  try {
    const { values, positionals } = parseArgs({ args: [...args], options: specs, allowPositionals, strict: true });
    return { values: values as ParsedArguments['values'], positionals };
  } catch (e) {
    throw usageError(`${(e as Error).message}\n\n${usage}`);
  }
}
