/** Runs the `rampart` bin as a process (from the sources, through tsx) in a folder, as CI would. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const bin = new URL('../src/bin.ts', import.meta.url).pathname;
/** tsx resolved from here: the runs happen in temporary folders, outside the workspace. */
const tsx = import.meta.resolve('tsx');

/** What a run printed and its exit code. */
export interface BinResult {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs `rampart <args>` in `cwd`, `input` on its standard input. */
export function rampart(args: readonly string[], cwd: string, input?: string): BinResult {
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', tsx, bin, ...args], {
    cwd,
    encoding: 'utf8',
    input: input ?? '',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A temporary folder and a writer of files in it (sub-folders made as needed). */
export function workspace(prefix: string): { dir: string; file(name: string, text: string): string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file(name, text) {
      const path = join(dir, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
  };
}

/** A small library schema in two files: every Rampart directive the analysis reads. */
export const LIBRARY_SDL = {
  'schema/query.graphql': `type Query {
  books(first: Int): [Book!]! @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false)
  book(id: ID!): Book @authenticated
  secret: String @requiresScopes(scopes: [["admin"], ["ops", "audit"]]) @policy(policies: [["inOffice"]])
  search(text: String!, limit: Int): [Book!]! @rateLimit(limit: 10, duration: 60) @cost(weight: 3)
}
`,
  'schema/types.graphql': `type Book { title: String @sensitive author: Author }
type Author { name: String @cost(weight: 2) @audit(level: METADATA) }
`,
};

/** Operations over {@link LIBRARY_SDL}: a fragment in its own file, two operations in one document. */
export const LIBRARY_OPERATIONS = {
  'ops/fragments.graphql': 'fragment BookFields on Book { title author { name } }\n',
  'ops/books.graphql': `query List($n: Int) { books(first: $n) { ...BookFields } }
query One { book(id: 1) { ...BookFields } }
`,
};
