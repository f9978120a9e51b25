/**
 * The files an analysis reads: plain paths, directories (every `.graphql` and `.gql` below them,
 * `node_modules` left out; JSON files are read only when named or matched by a glob) and glob
 * patterns (fast-glob), each expanded in sorted order, and `-` for standard input.
 */
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type FastGlob from 'fast-glob';
import { type CliIO, usageError } from '../cli.js';

/** fast-glob, loaded on the first glob pattern only (plain files and folders do without it). */
let fastGlob: typeof FastGlob | undefined;
function glob(): typeof FastGlob {
  fastGlob ??= createRequire(import.meta.url)('fast-glob') as typeof FastGlob;
  return fastGlob;
}

/** One input file read whole. */
export interface InputFile {
  /** The path as given or found (`-` for standard input). */
  readonly path: string;
  readonly text: string;
}

/** File extensions a folder gives, for operations. */
export const OPERATION_EXTENSIONS: readonly string[] = ['.graphql', '.gql'];
const IGNORE = ['**/node_modules/**'];

/** The files below `dir` with one of `extensions`, sorted, `node_modules` left out. */
function listDirectory(dir: string, extensions: readonly string[]): string[] {
  const names = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  return names
    .filter((name) => extensions.some((e) => name.endsWith(e)) && !/(^|[\\/])node_modules[\\/]/.test(name))
    .map((name) => name.replaceAll('\\', '/'))
    .filter((name) => !isDirectory(`${dir}/${name}`))
    .sort();
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The paths one argument names (`what` is for messages: "schema", "operations"). */
export function expand(arg: string, what: string, extensions = OPERATION_EXTENSIONS): string[] {
  if (arg === '-') return ['-'];
  if (isDirectory(arg)) {
    const found = listDirectory(arg, extensions);
    if (found.length === 0) throw usageError(`no ${what} file in directory "${arg}"`);
    return found.map((f) => `${arg.replace(/\/+$/, '')}/${f}`);
  }
  if (/[*?[\]{}()!]/.test(arg) && glob().isDynamicPattern(arg)) {
    const found = glob().sync(arg, { onlyFiles: true, ignore: IGNORE }).sort();
    if (found.length === 0) throw usageError(`no ${what} file matches "${arg}"`);
    return found;
  }
  return [arg];
}

/** Reads every file the arguments name, each once, in order. */
export function readInputs(
  io: CliIO,
  args: readonly string[],
  what: string,
  extensions?: readonly string[],
): InputFile[] {
  const seen = new Set<string>();
  const files: InputFile[] = [];
  for (const arg of args) {
    for (const path of expand(arg, what, extensions)) {
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
