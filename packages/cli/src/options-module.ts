/**
 * `--config`: a module exporting the options passed to `rampart()` (default export or `options`;
 * `.js`/`.mjs`, or `.ts` with tsx installed), read by `analyze` and `report`.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { usageError } from './cli.js';

async function importModule(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(resolve(path)).href;
  if (!/\.[cm]?ts$/.test(path)) return (await import(url)) as Record<string, unknown>;
  let tsx: { tsImport(specifier: string, parent: string): Promise<unknown> };
  try {
    tsx = (await import('tsx/esm/api')) as typeof tsx;
  } catch {
    throw usageError(
      `--config ${path}: a TypeScript options module needs tsx installed (npm i -D tsx), or use a .js/.mjs module`,
    );
  }
  return (await tsx.tsImport(url, import.meta.url)) as Record<string, unknown>;
}

const record = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/**
 * The options object the module at `path` exports.
 * @throws a usage error (exit 2) when the module cannot be loaded or exports no options object.
 */
export async function loadRampartOptions(path: string): Promise<Record<string, unknown>> {
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(path);
  } catch (e) {
    if ((e as { exitCode?: number }).exitCode === 2) throw e;
    throw usageError(`cannot load --config ${path}: ${(e as Error).message}`);
  }
  let options = record(mod.default ?? mod.options);
  // a .ts module outside a "type": "module" package loads as CommonJS: its exports one level down
  if (options && !('rules' in options || 'limits' in options) && ('default' in options || 'options' in options)) {
    options = record(options.default ?? options.options);
  }
  if (!options) {
    throw usageError(`--config ${path} must export the options object of rampart() (default export or "options")`);
  }
  return options;
}
