/**
 * The HTML format of `rampart report`: one self-contained page (inline CSS and script, no external
 * URL): counts by severity, the findings (each linked to its coordinate's row), and a sortable table
 * of every coordinate. Every text is HTML-escaped.
 */
import { accessLabels, dataLabels, limitLabels } from './describe.js';
import { REPORT_CSS, REPORT_JS } from './html-assets.js';
import { type CoordinateEntry, type Finding, SEVERITIES, type SecurityReport } from './model.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** `text` safe in HTML content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** The id of a coordinate's row (`c-Query.user_id__` for `Query.user(id:)`). */
export function rowId(coordinate: string): string {
  return `c-${coordinate.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

function summary(report: SecurityReport): string {
  const s = report.summary;
  const counts = SEVERITIES.map(
    (sev) => `<div class="count ${sev}" id="count-${sev}"><span class="n">${s[sev]}</span>${sev}</div>`,
  );
  return `<section id="summary">${counts.join('')}<div class="count" id="count-coordinates"><span class="n">${s.coordinates}</span>coordinates</div></section>`;
}

function findingItem(f: Finding, i: number): string {
  const target = f.coordinate === 'config' ? 'config' : rowId(f.coordinate);
  return `<li id="finding-${i + 1}" class="finding ${f.severity}"><span class="sev ${f.severity}">${f.severity}</span> <a href="#${escapeHtml(target)}">${escapeHtml(f.coordinate)}</a> <span class="rule">${escapeHtml(f.rule)}</span><div>${escapeHtml(f.message)}</div><div class="fix">Fix: ${escapeHtml(f.fix)}</div></li>`;
}

const COLUMNS = [
  ['coordinate', 'Coordinate'],
  ['kind', 'Kind'],
  ['type', 'Type'],
  ['access', 'Access'],
  ['limits', 'Limits'],
  ['data', 'Data'],
  ['severity', 'Severity'],
] as const;

function row(c: CoordinateEntry, findings: readonly Finding[]): string {
  const access = accessLabels(c).join(', ');
  const limits = limitLabels(c).join(', ');
  const data = dataLabels(c).join(', ');
  const rank = c.worst ? SEVERITIES.indexOf(c.worst) : SEVERITIES.length;
  const attrs: Record<string, string> = {
    coordinate: c.coordinate,
    kind: c.kind,
    type: c.type,
    access,
    limits,
    data,
    severity: String(rank),
  };
  const dataAttrs = Object.entries(attrs)
    .map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`)
    .join('');
  const desc = c.description ? `<div class="desc">${escapeHtml(c.description)}</div>` : '';
  const marks = findings
    .map((f) => `<span class="sev ${f.severity}" title="${escapeHtml(f.message)}">${escapeHtml(f.rule)}</span>`)
    .join(' ');
  const cells = [
    `<td class="coordinate">${escapeHtml(c.coordinate)}${desc}</td>`,
    `<td>${escapeHtml(c.kind)}</td>`,
    `<td>${escapeHtml(c.type)}</td>`,
    access ? `<td>${escapeHtml(access)}</td>` : '<td class="public">public</td>',
    `<td>${escapeHtml(limits)}</td>`,
    `<td>${escapeHtml(data)}</td>`,
    `<td>${marks}</td>`,
  ];
  return `<tr id="${escapeHtml(rowId(c.coordinate))}"${dataAttrs}>${cells.join('')}</tr>`;
}

/** The report as one self-contained HTML page. */
export function formatReportHtml(report: SecurityReport): string {
  const sources = [`schema: ${report.sources.schema.join(', ')}`];
  if (report.sources.config) sources.push(`config: ${report.sources.config}`);
  const head = COLUMNS.map(([key, label]) => `<th data-key="${key}" scope="col">${label}</th>`).join('');
  const byCoordinate = new Map<string, Finding[]>();
  for (const f of report.findings) byCoordinate.set(f.coordinate, [...(byCoordinate.get(f.coordinate) ?? []), f]);
  const rows = report.coordinates.map((c) => row(c, byCoordinate.get(c.coordinate) ?? [])).join('\n');
  const findings =
    report.findings.length > 0
      ? `<ol>${report.findings.map(findingItem).join('\n')}</ol>`
      : '<p id="no-findings">No findings.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rampart security report</title><style>${REPORT_CSS}</style></head>
<body><header><h1>Rampart security report</h1><p class="sources" id="config">${escapeHtml(sources.join(' · '))} · ${escapeHtml(report.tool.name)} ${escapeHtml(report.tool.version)}</p></header>
${summary(report)}
<section id="findings"><h2>Findings (${report.summary.findings})</h2>${findings}</section>
<section><h2>Coordinates (${report.summary.coordinates})</h2><p class="sources">Click a header to sort.</p>
<table id="coordinates"><thead><tr>${head}</tr></thead><tbody>
${rows}
</tbody></table></section>
<script>${REPORT_JS}</script>
</body></html>
`;
}
