/**
 * Reports for CI: JUnit XML (one test case per operation; a failure per violation or unbounded
 * slicing argument, an error for an invalid operation) and SARIF 2.1.0 (one result per finding, and
 * per baseline growth, located in the operation's file) for code-scanning UIs.
 */
import type { OperationReport } from './analyze-operation.js';
import { findings, label, type RunReport } from './report.js';

const escapeXml = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);

function testCase(o: OperationReport, grew: readonly string[]): string {
  const name = escapeXml(label(o));
  const classname = escapeXml(o.file);
  const found = findings(o);
  const body = [
    ...found.map((f) => {
      const tag = f.code === 'INVALID_OPERATION' ? 'error' : 'failure';
      return `      <${tag} type="${escapeXml(f.code)}" message="${escapeXml(f.message)}">${escapeXml(f.message)}</${tag}>`;
    }),
    ...grew.map((m) => `      <failure type="BASELINE_GREW" message="${escapeXml(m)}">${escapeXml(m)}</failure>`),
  ];
  if (body.length === 0) return `    <testcase classname="${classname}" name="${name}"/>`;
  return `    <testcase classname="${classname}" name="${name}">\n${body.join('\n')}\n    </testcase>`;
}

/** The report as JUnit XML. */
export function formatJunit(report: RunReport): string {
  const grew = (key: string) => (report.baseline?.grew ?? []).filter((g) => g.key === key).map((g) => g.message);
  const cases = report.operations.map((o) => testCase(o, grew(o.key)));
  const errors = report.operations.filter((o) => o.status === 'invalid').length;
  const failures = report.operations.filter(
    (o) => o.status !== 'invalid' && (findings(o).length > 0 || grew(o.key).length > 0),
  ).length;
  const attributes = `name="rampart analyze" tests="${report.operations.length}" failures="${failures}" errors="${errors}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ${attributes}>\n  <testsuite ${attributes}>\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

const RULES: Record<string, string> = {
  INVALID_OPERATION: 'The operation does not validate against the schema.',
  UNBOUNDED_SLICING: 'A slicing argument takes a variable with no value and no bound: the client picks the list size.',
  BASELINE_GREW: 'The cost or the requirements of the operation grew since the baseline.',
  MAX_DEPTH_LIMIT: 'The operation is deeper than the limit.',
  MAX_HEIGHT_LIMIT: 'The operation selects more distinct fields than the limit.',
  MAX_ALIASES_LIMIT: 'The operation uses more aliases than the limit.',
  MAX_ROOT_FIELDS_LIMIT: 'The operation selects more root fields than the limit.',
  MAX_DIRECTIVES_LIMIT: 'The operation uses more directives than the limit.',
  COST_ESTIMATED_TOO_EXPENSIVE: 'The estimated cost (or a slicing argument) is over the limit.',
};

function result(ruleId: string, message: string, o: OperationReport, level: 'error' | 'warning') {
  return {
    ruleId,
    level,
    message: { text: `${label(o)}: ${message}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: o.file },
          region: { startLine: o.line, startColumn: o.column },
        },
      },
    ],
    partialFingerprints: { operation: o.key },
  };
}

/** The report as a SARIF 2.1.0 log. */
export function formatSarif(report: RunReport): string {
  const results = report.operations.flatMap((o) => [
    ...findings(o).map((f) => result(f.code, f.message, o, 'error')),
    ...(report.baseline?.grew ?? [])
      .filter((g) => g.key === o.key)
      .map((g) => result('BASELINE_GREW', g.message, o, 'warning')),
  ]);
  const used = [...new Set(results.map((r) => r.ruleId))].sort();
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'rampart analyze',
            version: report.tool.version,
            informationUri: 'https://github.com/rampart-graphql/rampart/tree/main/packages/cli#readme',
            rules: used.map((id) => ({ id, shortDescription: { text: RULES[id] ?? id } })),
          },
        },
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
