/** `rampart analyze`: every operation of a project against its schema, in one process, for CI. */
import type { LimitsOptions } from '@rampart/limits';
import { type AnalysisSettings, analyzeOperation } from '../analyze/analyze-operation.js';
import { compareBaseline, parseBaseline } from '../analyze/baseline.js';
import { parseBounds } from '../analyze/bounds.js';
import { loadConfig, mergeLimits, type RampartConfig } from '../analyze/config.js';
import { formatJunit, formatSarif } from '../analyze/format-ci.js';
import { formatText } from '../analyze/format-text.js';
import { read, readInputs } from '../analyze/inputs.js';
import { collectOperations } from '../analyze/operations.js';
import { type RunReport, summarize } from '../analyze/report.js';
import { type LoadedSchema, loadSchema } from '../analyze/schema-load.js';
import { parseCommandLine } from '../arguments.js';
import { type CliIO, type Command, usageError } from '../cli.js';
import { cliVersion } from '../version.js';
import { ANALYZE_USAGE } from './analyze-usage.js';

const OPTIONS = {
  schema: { type: 'string', multiple: true },
  query: { type: 'string', multiple: true },
  variables: { type: 'string' },
  'variable-bounds': { type: 'string', multiple: true },
  'operation-name': { type: 'string' },
  limits: { type: 'string' },
  config: { type: 'string' },
  'max-depth': { type: 'string' },
  'max-height': { type: 'string' },
  'max-aliases': { type: 'string' },
  'max-root-fields': { type: 'string' },
  'max-directives': { type: 'string' },
  'max-cost': { type: 'string' },
  'cost-model': { type: 'string' },
  format: { type: 'string' },
  json: { type: 'boolean' },
  explain: { type: 'boolean' },
  'fail-on-violation': { type: 'boolean' },
  baseline: { type: 'string' },
} as const;

const FORMATS = ['table', 'json', 'junit', 'sarif'] as const;

function jsonValue(io: CliIO, value: string, what: string): unknown {
  const text = value.startsWith('@') ? read(io, value.slice(1), what) : value;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw usageError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function variablesOf(io: CliIO, value: unknown): Record<string, unknown> {
  if (typeof value !== 'string') return {};
  const v = jsonValue(io, value, 'variables');
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw usageError('variables must be a JSON object');
  return v as Record<string, unknown>;
}

function formatOf(values: Record<string, unknown>): (typeof FORMATS)[number] {
  const format = values.json ? 'json' : ((values.format as string | undefined) ?? 'table');
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw usageError(`--format is one of ${FORMATS.join(', ')}, not "${format}"`);
  }
  return format as (typeof FORMATS)[number];
}

/** The exit code of a report: 2 over a limit (with --fail-on-violation), 1 invalid operations, 3 growth. */
function exitCode(report: RunReport, failOnViolation: boolean): number {
  const s = report.summary;
  if (failOnViolation && s.violation + s.unbounded > 0) return 2;
  if (s.invalid > 0) return 1;
  if ((s.grew ?? 0) > 0) return 3;
  return 0;
}

async function settingsOf(
  io: CliIO,
  values: Record<string, string | boolean | string[] | undefined>,
): Promise<{ settings: AnalysisSettings; loaded: LoadedSchema }> {
  const config: RampartConfig = typeof values.config === 'string' ? await loadConfig(values.config) : {};
  const json =
    typeof values.limits === 'string' ? (jsonValue(io, values.limits, 'limits') as LimitsOptions) : undefined;
  const schemaFiles = readInputs(io, values.schema as string[], 'schema', '**/*.{graphql,gql,graphqls}');
  const rateLimitDirective = config.rateLimitDirective ?? 'rateLimit';
  const loaded = loadSchema(schemaFiles, rateLimitDirective);
  const settings: AnalysisSettings = {
    schema: loaded.schema,
    limits: mergeLimits(config.limits, json, values),
    variables: variablesOf(io, values.variables),
    bounds: parseBounds((values['variable-bounds'] as string[] | undefined) ?? []),
    explain: values.explain === true,
    rateLimitDirective,
  };
  return { settings, loaded };
}

/** The `analyze` command. */
export const analyzeCommand: Command = {
  path: ['analyze'],
  summary: 'analyze operations against a schema (depth, cost, scopes, rate limits, …) for CI',
  usage: ANALYZE_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandLine(args, OPTIONS, ANALYZE_USAGE, true);
    if (!Array.isArray(values.schema)) throw usageError('--schema <file|glob> is required');
    const sources = [...((values.query as string[] | undefined) ?? []), ...positionals];
    if (sources.length === 0) throw usageError('no operations: give files, directories, globs or - (standard input)');
    const format = formatOf(values);
    const { settings, loaded } = await settingsOf(io, values);
    let items = collectOperations(readInputs(io, sources, 'operations'));
    const only = values['operation-name'];
    if (typeof only === 'string') {
      items = items.filter((i) => i.name === only);
      if (items.length === 0) throw usageError(`no operation named "${only}"`);
    }
    const operations = items.map((item) => analyzeOperation(item, settings));
    const baseline = typeof values.baseline === 'string' ? values.baseline : undefined;
    const grew = baseline
      ? compareBaseline(operations, parseBaseline(read(io, baseline, 'baseline'), baseline))
      : undefined;
    const report: RunReport = {
      tool: { name: 'rampart analyze', version: cliVersion() },
      schema: {
        files: loaded.files,
        ignoredDirectives: loaded.ignoredDirectives,
        renamedDirectives: loaded.renamedDirectives,
      },
      summary: summarize(operations, grew),
      operations,
      ...(baseline && grew ? { baseline: { file: baseline, grew } } : {}),
    };
    const text =
      format === 'json'
        ? `${JSON.stringify(report, null, 2)}\n`
        : format === 'junit'
          ? formatJunit(report)
          : format === 'sarif'
            ? formatSarif(report)
            : formatText(report);
    io.stdout(text);
    return exitCode(report, values['fail-on-violation'] === true);
  },
};
