/**
 * The report engine: a built schema and what the options say in, a {@link SecurityReport} out. Pure:
 * no files, no process, no clock.
 */
import { schemaElements } from './elements.js';
import { introspectionFindings } from './findings/introspection.js';
import { listFindings } from './findings/lists.js';
import { loginFindings } from './findings/login.js';
import { recursionFindings } from './findings/recursion.js';
import { sensitiveFindings } from './findings/sensitive.js';
import { unprotectedFindings } from './findings/unprotected.js';
import { type CoordinateEntry, type Finding, SEVERITIES, type SecurityReport, type Severity } from './model.js';
import type { ReportSettings } from './settings.js';

const rank = (s: Severity): number => SEVERITIES.indexOf(s);

/** Findings worst first, then by coordinate, then by rule. */
function byWorst(a: Finding, b: Finding): number {
  return (
    rank(a.severity) - rank(b.severity) ||
    a.coordinate.localeCompare(b.coordinate, 'en') ||
    a.rule.localeCompare(b.rule, 'en')
  );
}

/** What the engine builds; the command adds the tool and the sources. */
export type ReportBody = Omit<SecurityReport, 'tool' | 'sources'>;

/** Builds the report of `settings.schema`. */
export function buildReport(settings: ReportSettings): ReportBody {
  const all = schemaElements(settings);
  const findings = [
    ...unprotectedFindings(all, settings),
    ...sensitiveFindings(all),
    ...listFindings(all, settings),
    ...recursionFindings(settings),
    ...loginFindings(all, settings),
    ...introspectionFindings(settings),
  ].sort(byWorst);
  const worst = new Map<string, Severity>();
  for (const f of findings) if (!worst.has(f.coordinate)) worst.set(f.coordinate, f.severity);
  const coordinates: CoordinateEntry[] = all.elements.map((e) => {
    const w = worst.get(e.coordinate);
    return {
      coordinate: e.coordinate,
      kind: e.kind,
      type: e.type,
      ...(e.description !== undefined ? { description: e.description } : {}),
      ...e.protection,
      ...(w ? { worst: w } : {}),
    };
  });
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  return {
    summary: {
      coordinates: coordinates.length,
      findings: findings.length,
      high: count('high'),
      medium: count('medium'),
      low: count('low'),
    },
    coordinates,
    findings,
  };
}

/** Whether the report has a finding at `threshold` or worse. */
export function failsAt(report: ReportBody, threshold: Severity): boolean {
  return report.findings.some((f) => rank(f.severity) <= rank(threshold));
}
