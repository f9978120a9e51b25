/**
 * `--baseline previous.json`: the operations whose cost (Apollo or IBM) or requirements (authentication,
 * scopes, policies, `@rateLimit`s) grew since a previous `--json` report, matched by operation key.
 */
import { usageError } from '../cli.js';
import type { OperationReport } from './analyze-operation.js';

/** One thing that grew. */
export interface Growth {
  readonly key: string;
  readonly what: 'cost' | 'fieldCost' | 'requirements' | 'rateLimits';
  /** Before and after (numbers, `null` for unbounded; for requirements the entries added). */
  readonly before: number | null | readonly string[];
  readonly after: number | null | readonly string[];
  readonly message: string;
}

type Previous = Pick<OperationReport, 'key' | 'measures' | 'requirements' | 'rateLimits'>;

/** Reads a previous `--json` report. */
export function parseBaseline(text: string, file: string): ReadonlyMap<string, Previous> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw usageError(`invalid baseline: ${file} is not valid JSON: ${(e as Error).message}`);
  }
  const operations = (json as { operations?: unknown } | null)?.operations;
  if (!Array.isArray(operations))
    throw usageError(`invalid baseline: ${file} is not a "rampart analyze --json" report`);
  return new Map(operations.map((o: Previous) => [o.key, o]));
}

/** Requirement entries as strings (`authenticated`, `scopes: [["a"],["b"]]`, `policy: …`). */
function requirementEntries(o: Pick<OperationReport, 'requirements'>): string[] {
  const r = o.requirements;
  if (!r) return [];
  return [
    ...(r.authenticated ? ['authenticated'] : []),
    ...r.scopes.map((s) => `scopes ${JSON.stringify(s)}`),
    ...r.policies.map((p) => `policies ${JSON.stringify(p)}`),
  ];
}

const rateLimitEntries = (o: Pick<OperationReport, 'rateLimits'>) =>
  (o.rateLimits ?? []).map((h) => `${h.coordinate} ${h.limit}/${h.duration}s`);

/** A cost that grew: larger, or now unbounded (`null`) when it was finite. */
function costGrew(before: number | null | undefined, after: number | null | undefined): boolean {
  if (before === undefined || after === undefined) return false;
  if (after === null) return before !== null;
  return before !== null && after > before;
}

/** What grew for each operation also in the baseline (new operations are not growth). */
export function compareBaseline(
  current: readonly OperationReport[],
  previous: ReadonlyMap<string, Previous>,
): Growth[] {
  const out: Growth[] = [];
  for (const o of current) {
    const p = previous.get(o.key);
    if (!p || !o.measures || !p.measures) continue;
    for (const what of ['cost', 'fieldCost'] as const) {
      const [before, after] = [p.measures[what], o.measures[what]];
      if (!costGrew(before, after)) continue;
      const show = (n: number | null) => (n === null ? 'unbounded' : String(n));
      out.push({ key: o.key, what, before, after, message: `${what} grew from ${show(before)} to ${show(after)}` });
    }
    for (const [what, entries] of [
      ['requirements', requirementEntries],
      ['rateLimits', rateLimitEntries],
    ] as const) {
      const before = new Set(entries(p));
      const added = entries(o).filter((e) => !before.has(e));
      if (added.length > 0)
        out.push({ key: o.key, what, before: [...before], after: added, message: `new ${what}: ${added.join('; ')}` });
    }
  }
  return out;
}
