/** The report of a whole run (what `--json` prints and `--baseline` reads), and its summary. */
import type { OperationReport } from './analyze-operation.js';
import type { Growth } from './baseline.js';

/** Counts over the run. */
export interface Summary {
  readonly operations: number;
  readonly ok: number;
  readonly violation: number;
  readonly unbounded: number;
  readonly invalid: number;
  /** Largest finite cost (Apollo model) among the analysed operations. */
  readonly maxCost: number;
  /** Operations whose cost or requirements grew since the baseline (only with `--baseline`). */
  readonly grew?: number;
}

/** Everything one run found. */
export interface RunReport {
  readonly tool: { readonly name: 'rampart analyze'; readonly version: string };
  readonly schema: {
    readonly files: readonly string[];
    readonly ignoredDirectives: readonly string[];
    readonly renamedDirectives: Readonly<Record<string, string>>;
  };
  readonly summary: Summary;
  readonly operations: readonly OperationReport[];
  readonly baseline?: { readonly file: string; readonly grew: readonly Growth[] };
}

/** The summary of the operations (and of the growth, with a baseline). */
export function summarize(operations: readonly OperationReport[], grew?: readonly Growth[]): Summary {
  const count = (status: OperationReport['status']) => operations.filter((o) => o.status === status).length;
  const costs = operations.map((o) => o.measures?.cost ?? 0);
  return {
    operations: operations.length,
    ok: count('ok'),
    violation: count('violation'),
    unbounded: count('unbounded'),
    invalid: count('invalid'),
    maxCost: Math.max(0, ...costs),
    ...(grew ? { grew: new Set(grew.map((g) => g.key)).size } : {}),
  };
}

/** The label of an operation in messages: its name, else its key. */
export function label(o: Pick<OperationReport, 'name' | 'key'>): string {
  return o.name ?? o.key;
}

/** One-line descriptions of everything wrong with an operation (violations, unbounded, errors). */
export function findings(o: OperationReport): { code: string; message: string }[] {
  return [
    ...o.errors.map((message) => ({ code: 'INVALID_OPERATION', message })),
    ...o.violations.map((v) => ({ code: v.code, message: v.message })),
    ...o.unbounded.map((c) => ({
      code: 'UNBOUNDED_SLICING',
      message: `Slicing argument ${c} is given a variable with no value and no --variable-bounds: the client picks the list size.`,
    })),
  ];
}
