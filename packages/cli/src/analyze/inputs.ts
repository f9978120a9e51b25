/**
 * The files an analysis reads: plain paths, directories (every `.graphql` and `.gql` below them,
 * `node_modules` left out; JSON files are read only when named or matched by a glob) and glob
 * patterns (fast-glob), each expanded in sorted order, and `-` for standard input.
 */
import { statSync } from 'node:fs';
import fg from 'fast-glob';
import { type CliIO, usageError } from '../cli.js';

/** One input file read whole. */
export interface InputFile {
  /** The path as given or found (`-` for standard input). */
  readonly path: string;
  readonly text: string;
}

const OPERATION_FILES = '**/*.{graphql,gql}';
const IGNORE = ['**/node_modules/**'];

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The paths one argument names (`what` is for messages: "schema", "operations"). */
export function expand(arg: string, what: string, directoryPattern = OPERATION_FILES): string[] {
  if (arg === '-') return ['-'];
  if (isDirectory(arg)) {
    const found = fg.sync(directoryPattern, { cwd: arg, onlyFiles: true, ignore: IGNORE }).sort();
    if (found.length === 0) throw usageError(`no ${what} file in directory "${arg}"`);
    return found.map((f) => `${arg.replace(/\/+$/, '')}/${f}`);
  }
  if (fg.isDynamicPattern(arg)) {
    const found = fg.sync(arg, { onlyFiles: true, ignore: IGNORE }).sort();
    if (found.length === 0) throw usageError(`no ${what} file matches "${arg}"`);
    return found;
  }
  return [arg];
}

/** Reads every file the arguments name, each once, in order. */
export function readInputs(io: CliIO, args: readonly string[], what: string, directoryPattern?: string): InputFile[] {
  const seen = new Set<string>();
  const files: InputFile[] = [];
  for (const arg of args) {
    for (const path of expand(arg, what, directoryPattern)) {
      if (seen.has(path)) continue;
      seen.add(path);
      files.push({ path, text: read(io, path, what) });
    }
  }
  return files;
}

/** One file's text; an unreadable file is a usage error (exit 2) naming it. */
export function read(io: CliIO, path: string, what: string): string {
  try {
    if (path === '-') {
      if (!io.readStdin) throw new Error('standard input is not available');
      return io.readStdin();
    }
    return io.readFile(path);
  } catch (e) {
    throw usageError(`cannot read ${what} file "${path}": ${(e as Error).message}`);
  }
}
