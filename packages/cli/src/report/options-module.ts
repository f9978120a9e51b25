/**
 * `--config`: a module exporting the options passed to `rampart()` (default export or `options`;
 * `.js`/`.mjs`, or `.ts` with tsx installed). The report reads `rules`, `hardening.introspection`,
 * `limits` (depth, overrides, slicing argument names) and `rateLimit` (brute-force fields, directive
 * name).
 */
import { loadRampartOptions } from '../options-module.js';
import type { ReportConfig } from './settings.js';

/** The options object as the module exports it, and what the report reads from it. */
export interface OptionsModule {
  readonly options: Record<string, unknown>;
  readonly config: ReportConfig;
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
  const options = await loadRampartOptions(path);
  return { options, config: reportConfigOf(options) };
}
