// Starts a benchmark server (rate-limit/server.ts) in a child process.
// COMPILED=1 runs it the way production does: server.ts transpiled to JavaScript (bench/.out/rate-limit/)
// and run by plain `node`, with the workspace packages from their compiled `dist/` (run `npx tsc -b`
// first). Without it, the child runs the TypeScript sources through tsx, whose CommonJS resolve hook
// then sits in every `require` — and Apollo requires `crypto` on every request (the query hash).
// PIN=1 pins the servers to CPU 1 (run the benchmark under `taskset -c 0`).
// A mode `memory@<path to src/index.ts>` loads the rate-limit package from there; with COMPILED=1
// that directory is transpiled next to it (`<dir>/../.build-js/`).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';

export const compiled = process.env.COMPILED === '1';

function transpile(file: string, outFile: string): void {
  const out = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, out.outputText);
}

function compiledImpl(index: string): string {
  const src = dirname(index);
  const out = join(src, '..', '.build-js');
  for (const f of readdirSync(src))
    if (f.endsWith('.ts')) transpile(join(src, f), join(out, f.replace(/\.ts$/, '.js')));
  return join(out, 'index.js');
}

let built: string | undefined;

export async function startServer(mode: string): Promise<{ url: string; child: ChildProcess }> {
  const server = new URL('./server.ts', import.meta.url).pathname;
  let args: string[];
  if (compiled) {
    if (!built) {
      built = new URL('../.out/rate-limit/server.mjs', import.meta.url).pathname;
      transpile(server, built);
    }
    const [m, impl] = mode.split('@');
    args = [built, impl ? `${m}@${compiledImpl(impl)}` : mode];
  } else args = ['--conditions=source', '--import', 'tsx', server, mode];
  // PIN=1: the server on CPU 1 (run the benchmark itself under `taskset -c 0`), as in apollo/http.ts
  const pinned = process.env.PIN === '1';
  const child = spawn(pinned ? 'taskset' : process.execPath, pinned ? ['-c', '1', process.execPath, ...args] : args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: chunk.toString().trim(), child };
}
