/**
 * `--config`: a module exporting the options passed to `rampart()` (default export or `options`;
 * `.js`/`.mjs`, or `.ts` with tsx installed). The report reads `rules`, `hardening.introspection`,
 * `limits` (depth, overrides, slicing argument names) and `rateLimit` (brute-force fields, directive
 * name).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { usageError } from '../cli.js';
import type { ReportConfig } from './settings.js';

/** The options object as the module exports it, and what the report reads from it. */
export interface OptionsModule {
  readonly options: Record<string, unknown>;
  readonly config: ReportConfig;
}

async function importModule(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(resolve(path)).href;
  if (!/\.[cm]?ts$/.test(path)) return (await import(url)) as Record<string, unknown>;
  let tsx: { tsImport(specifier: string, parent: string): Promise<unknown> };
  try {
    tsx = (await import('tsx/esm/api')) as typeof tsx;
  } catch {
    throw usageError(`--config ${path}: a TypeScript options module needs tsx installed, or use a .js/.mjs module`);
  }
  return (await tsx.tsImport(url, import.meta.url)) as Record<string, unknown>;
}

const record = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** What the report reads from the options object. */
export function reportConfigOf(options: Record<string, unknown>): ReportConfig {
  const hardening = record(options.hardening);
  const limits = options.limits === false ? { depth: false } : record(options.limits);
  const rateLimit = record(options.rateLimit);
  const cost = record(limits?.cost);
  const bruteForce = Array.isArray(rateLimit?.bruteForce) ? rateLimit.bruteForce : [];
  const fields = bruteForce.map((b) => record(b)?.field).filter((f): f is string => typeof f === 'string');
  return {
    ...(typeof hardening?.introspection === 'boolean' ? { introspection: hardening.introspection } : {}),
    ...(typeof limits?.depth === 'number' || limits?.depth === false ? { depth: limits.depth } : {}),
    ...(record(limits?.overrides) ? { overrides: limits?.overrides as ReportConfig['overrides'] } : {}),
    ...(Array.isArray(cost?.slicingArgumentNames)
      ? { slicingArgumentNames: cost.slicingArgumentNames.map(String) }
      : {}),
    bruteForceFields: fields,
    ...(typeof rateLimit?.directiveName === 'string' ? { rateLimitDirective: rateLimit.directiveName } : {}),
  };
}

/** Loads the options module at `path`. */
export async function loadOptionsModule(path: string): Promise<OptionsModule> {
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
  return { options, config: reportConfigOf(options) };
}
