/** The human table: one row per operation, what is wrong with it below, then the summary. */
import type { OperationReport } from './analyze-operation.js';
import { findings, label, type RunReport } from './report.js';
import type { Dnf } from './requirements.js';

const HEADERS = [
  'status',
  'operation',
  'depth',
  'height',
  'aliases',
  'roots',
  'directives',
  'tokens',
  'cost',
  'fieldCost',
];

const show = (n: number | null | undefined) => (n === null ? 'unbounded' : n === undefined ? '-' : String(n));

function row(o: OperationReport): string[] {
  const m = o.measures;
  return [
    o.status,
    label(o),
    show(m?.depth),
    show(m?.height),
    show(m?.aliases),
    show(m?.rootFields),
    show(m?.directives),
    show(m?.tokens),
    show(m?.cost),
    show(m?.fieldCost),
  ];
}

const dnf = (d: Dnf) => d.map((alt) => alt.join(' & ')).join(' | ');

/** The indented lines under an operation's row. */
function details(o: OperationReport): string[] {
  const lines = [`  at ${o.file}${o.id === undefined ? `:${o.line}:${o.column}` : ` (${o.id})`}`];
  for (const f of findings(o)) lines.push(`  ${f.code}: ${f.message}`);
  const assumed = Object.entries(o.assumedVariables);
  if (assumed.length > 0) lines.push(`  assumed: ${assumed.map(([k, v]) => `$${k}=${v}`).join(', ')}`);
  const r = o.requirements;
  if (r && (r.authenticated || r.scopes.length > 0 || r.policies.length > 0)) {
    const parts = [
      ...(r.authenticated ? ['authenticated'] : []),
      ...r.scopes.map((s) => `scopes(${dnf(s)})`),
      ...r.policies.map((p) => `policies(${dnf(p)})`),
    ];
    lines.push(`  requires: ${parts.join(', ')}`);
  }
  if (o.rateLimits.length > 0) {
    lines.push(`  rate limits: ${o.rateLimits.map((h) => `${h.coordinate} ${h.limit}/${h.duration}s`).join(', ')}`);
  }
  for (const f of o.explain ?? []) {
    lines.push(
      `  cost ${show(f.cost).padStart(8)}  fieldCost ${show(f.fieldCost).padStart(8)}  ${f.path}${f.coordinate ? ` (${f.coordinate})` : ''}`,
    );
  }
  return lines;
}

/** The whole report as text. */
export function formatText(report: RunReport): string {
  const rows = [HEADERS, ...report.operations.map(row)];
  const widths = HEADERS.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const out = [line(HEADERS)];
  for (const [i, o] of report.operations.entries()) {
    out.push(line(rows[i + 1] as string[]));
    out.push(...details(o));
  }
  const s = report.summary;
  out.push('');
  out.push(
    `${s.operations} operations: ${s.ok} ok, ${s.violation} over a limit, ${s.unbounded} unbounded, ${s.invalid} invalid; largest cost ${s.maxCost}`,
  );
  if (report.schema.ignoredDirectives.length > 0)
    out.push(`directives not analysed: ${report.schema.ignoredDirectives.map((d) => `@${d}`).join(', ')}`);
  if (report.baseline) {
    out.push(
      `baseline ${report.baseline.file}: ${report.baseline.grew.length === 0 ? 'nothing grew' : `${s.grew} operations grew`}`,
    );
    for (const g of report.baseline.grew) out.push(`  GREW ${g.key}: ${g.message}`);
  }
  return `${out.join('\n')}\n`;
}
