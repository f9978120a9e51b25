/** `rampart report`: the security posture of a schema (and its Rampart options) as text, JSON or HTML. */
import { writeFileSync } from 'node:fs';
import { readInputs } from '../analyze/inputs.js';
import { loadSchema } from '../analyze/schema-load.js';
import { parseCommandLine } from '../arguments.js';
import { type Command, usageError } from '../cli.js';
import { buildReport, failsAt } from '../report/engine.js';
import { formatReportHtml } from '../report/format-html.js';
import { formatReportText, summaryLine } from '../report/format-text.js';
import { SEVERITIES, type SecurityReport, type Severity } from '../report/model.js';
import { loadOptionsModule } from '../report/options-module.js';
import { shieldRules } from '../report/shield-rules.js';
import { cliVersion } from '../version.js';

const OPTIONS = {
  schema: { type: 'string', multiple: true },
  config: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  'fail-on': { type: 'string' },
} as const;

const FORMATS = ['text', 'json', 'html'] as const;

/** The usage text of `rampart report`. */
export const REPORT_USAGE = `Usage: rampart report --schema <file|dir|glob>... [--config <options module>] [--format text|json|html] [--out <file>] [--fail-on high|medium|low]

Lists every field, argument and input field with what protects it (shield rules, @authenticated,
@requiresScopes, @policy, @cost, @listSize, @rateLimit, @audit, @sensitive) and the findings, each
with a severity, the coordinate, a message and a fix.

Options:
  --schema <path>   SDL files, directories, globs (federation subgraphs too) or one introspection JSON
  --config <file>   a .js/.mjs (or .ts, with tsx) module exporting the options passed to rampart()
                    (default export or "options"): rules, limits, rateLimit and hardening are read
  --format <f>      text (default), json, html (one self-contained page)
  --out <file>      write the report to a file instead of standard output
  --fail-on <sev>   exit 1 when a finding is this severe or worse: high, medium, low

Exit codes: 0 done (no finding at --fail-on or worse), 1 a finding at --fail-on or worse,
2 usage error or unreadable/invalid schema or config.
`;

function choice<T extends string>(value: unknown, allowed: readonly T[], flag: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw usageError(`--${flag} is one of ${allowed.join(', ')}, not "${String(value)}"`);
  }
  return value as T;
}

/** The `report` command. */
export const reportCommand: Command = {
  path: ['report'],
  summary: "the schema's security posture: what protects each coordinate, findings with fixes",
  usage: REPORT_USAGE,
  async run(args, io) {
    const { values } = parseCommandLine(args, OPTIONS, REPORT_USAGE, false);
    if (!Array.isArray(values.schema)) throw usageError('--schema <file|dir|glob> is required');
    const format = choice(values.format, FORMATS, 'format', 'text');
    const failOn =
      values['fail-on'] === undefined ? undefined : choice<Severity>(values['fail-on'], SEVERITIES, 'fail-on', 'high');
    const configPath = typeof values.config === 'string' ? values.config : undefined;
    const module = configPath ? await loadOptionsModule(configPath) : undefined;
    const files = readInputs(io, values.schema, 'schema', ['.graphql', '.gql', '.graphqls']);
    const loaded = loadSchema(files, module?.config.rateLimitDirective);
    const rules = module && configPath ? shieldRules(module.options.rules, loaded.schema, configPath) : undefined;
    const body = buildReport({
      schema: loaded.schema,
      ...(rules ? { rules } : {}),
      ...(module ? { config: module.config } : {}),
    });
    const report: SecurityReport = {
      tool: { name: 'rampart report', version: cliVersion() },
      sources: { schema: loaded.files, ...(configPath ? { config: configPath } : {}) },
      ...body,
    };
    const text =
      format === 'json'
        ? `${JSON.stringify(report, null, 2)}\n`
        : format === 'html'
          ? formatReportHtml(report)
          : formatReportText(report);
    if (typeof values.out === 'string') {
      try {
        writeFileSync(values.out, text);
      } catch (e) {
        throw usageError(`cannot write --out ${values.out}: ${(e as Error).message}`);
      }
      io.stdout(`rampart report: ${summaryLine(report)} (written to ${values.out})\n`);
    } else io.stdout(text);
    return failOn && failsAt(body, failOn) ? 1 : 0;
  },
};
