/** The text format of `rampart report`: the summary, the findings with their fixes, every coordinate. */
import { accessLabels, dataLabels, limitLabels } from './describe.js';
import type { SecurityReport } from './model.js';

/** The summary line: `12 coordinates, 3 findings: 1 high, 1 medium, 1 low`. */
export function summaryLine(report: SecurityReport): string {
  const s = report.summary;
  return `${s.coordinates} coordinates, ${s.findings} findings: ${s.high} high, ${s.medium} medium, ${s.low} low`;
}

/** The report as text for a terminal. */
export function formatReportText(report: SecurityReport): string {
  const lines = [`rampart report: ${summaryLine(report)}`, `schema: ${report.sources.schema.join(', ')}`];
  if (report.sources.config) lines.push(`config: ${report.sources.config}`);
  lines.push('', report.findings.length > 0 ? 'Findings' : 'No findings');
  for (const f of report.findings) {
    lines.push(`  ${f.severity.toUpperCase().padEnd(6)} ${f.coordinate}  [${f.rule}]`);
    lines.push(`         ${f.message}`, `         fix: ${f.fix}`);
  }
  lines.push('', 'Coordinates');
  const width = Math.min(60, Math.max(0, ...report.coordinates.map((c) => c.coordinate.length)));
  for (const c of report.coordinates) {
    const access = accessLabels(c);
    const labels = [access.length > 0 ? access.join(', ') : 'public', ...limitLabels(c), ...dataLabels(c)];
    const mark = c.worst ? ` (${c.worst})` : '';
    lines.push(`  ${c.coordinate.padEnd(width)}  ${labels.join('; ')}${mark}`);
  }
  return `${lines.join('\n')}\n`;
}
