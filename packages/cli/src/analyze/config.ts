/**
 * The limits of an analysis: from a Rampart options module (`--config`: the object passed to
 * `rampart()`, as its default export or an export named `options`), then `--limits`, then the
 * `--max-*` flags, each over the one before.
 */
import type { LimitsOptions } from '@rampart/limits';
import { usageError } from '../cli.js';
import { loadRampartOptions } from '../options-module.js';

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

/** Loads `--config`: the options object's `limits` and `rateLimit.directiveName`. */
export async function loadConfig(path: string): Promise<RampartConfig> {
  const options = await loadRampartOptions(path);
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
