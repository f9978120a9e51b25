/**
 * The limits of an analysis: from a Rampart options module (`--config`: the object passed to
 * `rampart()`, as its default export or an export named `options`), then `--limits`, then the
 * `--max-*` flags, each over the one before.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LimitsOptions } from '@rampart/limits';
import { usageError } from '../cli.js';

/** What an analysis takes from a Rampart options module. */
export interface RampartConfig {
  readonly limits?: LimitsOptions;
  /** `rateLimit.directiveName`, when set. */
  readonly rateLimitDirective?: string;
}

/** Every limit off: `limits: false` in the options module (measure only). */
const NO_LIMITS: LimitsOptions = {
  depth: false,
  height: false,
  aliases: false,
  rootFields: false,
  directives: false,
  introspectionDepth: false,
  cost: { max: false },
};

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

/** Loads `--config`: the options object's `limits` and `rateLimit.directiveName`. */
export async function loadConfig(path: string): Promise<RampartConfig> {
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(path);
  } catch (e) {
    if ((e as { exitCode?: number }).exitCode === 2) throw e;
    throw usageError(`cannot load --config ${path}: ${(e as Error).message}`);
  }
  let options = (mod.default ?? mod.options) as Record<string, unknown> | undefined;
  // A .ts module outside a "type": "module" package loads as CommonJS: its exports sit one level down.
  if (
    options &&
    typeof options === 'object' &&
    !('limits' in options) &&
    ('default' in options || 'options' in options)
  ) {
    options = (options.default ?? options.options) as Record<string, unknown> | undefined;
  }
  if (!options || typeof options !== 'object') {
    throw usageError(`--config ${path} must export the options object of rampart() (default export or "options")`);
  }
  const limits = options.limits === false ? NO_LIMITS : (options.limits as LimitsOptions | undefined);
  const directiveName = (options.rateLimit as { directiveName?: unknown } | undefined)?.directiveName;
  return {
    ...(limits ? { limits } : {}),
    ...(typeof directiveName === 'string' ? { rateLimitDirective: directiveName } : {}),
  };
}

const FLAGS = {
  'max-depth': 'depth',
  'max-height': 'height',
  'max-aliases': 'aliases',
  'max-root-fields': 'rootFields',
  'max-directives': 'directives',
} as const;

function limitValue(flag: string, value: string): number | false {
  if (value === 'false' || value === 'off') return false;
  if (!/^\d+$/.test(value)) throw usageError(`--${flag} takes a non-negative integer or "off", not "${value}"`);
  return Number.parseInt(value, 10);
}

/** Limits options from the sources, later ones winning (one level of merging for `cost` and `slicing`). */
export function mergeLimits(
  config: LimitsOptions | undefined,
  json: LimitsOptions | undefined,
  flags: Readonly<Record<string, string | boolean | string[] | undefined>>,
): LimitsOptions {
  const fromFlags: LimitsOptions = {};
  for (const [flag, key] of Object.entries(FLAGS)) {
    const v = flags[flag];
    if (typeof v === 'string') fromFlags[key] = limitValue(flag, v);
  }
  const cost: LimitsOptions['cost'] = {};
  if (typeof flags['max-cost'] === 'string') cost.max = limitValue('max-cost', flags['max-cost']);
  if (typeof flags['cost-model'] === 'string') {
    if (flags['cost-model'] !== 'apollo' && flags['cost-model'] !== 'ibm')
      throw usageError('--cost-model is "apollo" or "ibm"');
    cost.model = flags['cost-model'];
  }
  const layers = [config ?? {}, json ?? {}, { ...fromFlags, cost }];
  const merged: LimitsOptions = Object.assign({}, ...layers);
  merged.cost = Object.assign({}, ...layers.map((l) => l.cost ?? {}));
  merged.slicing = Object.assign({}, ...layers.map((l) => l.slicing ?? {}));
  return merged;
}
