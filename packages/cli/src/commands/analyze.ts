/** `rampart analyze`: the analysis of one operation against a schema, for CI over persisted operations. */
import { analyzeLimits, costDirectivesTypeDefs, type LimitsOptions, type OperationAnalysis } from '@rampart/limits';
import { buildASTSchema, type DocumentNode, GraphQLError, type GraphQLSchema, Kind, parse, validate } from 'graphql';
import { parseCommandLine } from '../arguments.js';
import { CliError, type CliIO, type Command, usageError } from '../cli.js';

const usage = `Usage: rampart analyze --schema <file.graphql> --query <file.graphql> [options]

Prints the analysis of one operation: depth, height, aliases, root fields, directives,
introspection depth, cost (Apollo) and field cost (IBM), and the limits it exceeds.

Options:
  --schema <file>            schema SDL (the @cost/@listSize definitions are added when missing)
  --query <file>             the operation document
  --variables <json|@file>   variable values, as JSON or @path to a JSON file
  --operation-name <name>    the operation to analyze when the document has several
  --limits <json|@file>      limits options (as rampart({ limits })), default limits otherwise
  --json                     print one JSON object (unbounded numbers as null)
  --fail-on-violation        exit 2 when a limit is exceeded (default: exit 0)
  -h, --help                 this text

Exit codes: 0 analyzed, 1 unreadable or invalid input, 2 bad usage (unknown option, missing option or
value) or a limit exceeded with --fail-on-violation.
`;

function read(io: CliIO, path: string, what: string): string {
  try {
    return io.readFile(path);
  } catch (e) {
    throw new CliError(`cannot read ${what} file "${path}": ${(e as Error).message}`);
  }
}

function json(io: CliIO, value: string, what: string): unknown {
  const text = value.startsWith('@') ? read(io, value.slice(1), what) : value;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function located(e: unknown, file: string): string {
  if (e instanceof GraphQLError) {
    const loc = e.locations?.[0];
    return `${file}${loc ? `:${loc.line}:${loc.column}` : ''}: ${e.message}`;
  }
  return `${file}: ${(e as Error).message}`;
}

/** Builds a schema from SDL, adding the `@cost`/`@listSize` definitions when the SDL lacks them. */
export function loadSchema(sdl: string, file = 'schema'): GraphQLSchema {
  let doc: DocumentNode;
  try {
    doc = parse(sdl);
  } catch (e) {
    throw new CliError(`invalid schema: ${located(e, file)}`);
  }
  const defined = new Set(doc.definitions.flatMap((d) => (d.kind === Kind.DIRECTIVE_DEFINITION ? [d.name.value] : [])));
  const extra = parse(costDirectivesTypeDefs).definitions.filter(
    (d) => d.kind === Kind.DIRECTIVE_DEFINITION && !defined.has(d.name.value),
  );
  try {
    return buildASTSchema({ ...doc, definitions: [...extra, ...doc.definitions] });
  } catch (e) {
    throw new CliError(`invalid schema: ${located(e, file)}`);
  }
}

const OPTIONS = {
  schema: { type: 'string' },
  query: { type: 'string' },
  variables: { type: 'string' },
  'operation-name': { type: 'string' },
  limits: { type: 'string' },
  json: { type: 'boolean' },
  'fail-on-violation': { type: 'boolean' },
} as const;

const finite = (n: number) => (Number.isFinite(n) ? n : null);

/** The JSON form of an analysis (unbounded numbers as `null`). */
export function analysisToJson(a: OperationAnalysis): Record<string, unknown> {
  return JSON.parse(JSON.stringify(a, (_k, v) => (typeof v === 'number' ? finite(v) : v))) as Record<string, unknown>;
}

function text(a: OperationAnalysis): string {
  const show = (n: number) => (Number.isFinite(n) ? String(n) : 'unbounded');
  const rows: [string, string][] = [
    ['operation', `${a.operationName ?? '(anonymous)'} (${a.operationType})`],
    ['depth', show(a.depth)],
    ['height', show(a.height)],
    ['aliases', show(a.aliases)],
    ['root fields', show(a.rootFields)],
    ['directives', show(a.directives)],
    ['introspection depth', show(a.introspectionDepth)],
    ['cost', show(a.cost)],
    ['field cost (IBM)', show(a.fieldCost)],
    ['variable dependent', a.variableDependent ? 'yes' : 'no'],
  ];
  for (const [c, s] of Object.entries(a.coordinates)) rows.push([c, `depth ${show(s.depth)}, aliases ${s.aliases}`]);
  const out = rows.map(([k, v]) => `${`${k}:`.padEnd(21)}${v}`);
  if (a.violations.length === 0) out.push(`${'violations:'.padEnd(21)}none`);
  else {
    out.push('violations:');
    for (const v of a.violations)
      out.push(`  ${v.code} (${v.rule}${v.coordinate ? ` ${v.coordinate}` : ''}): ${v.message}`);
  }
  return `${out.join('\n')}\n`;
}

/** The `analyze` command. */
export const analyzeCommand: Command = {
  path: ['analyze'],
  summary: 'analyze an operation against a schema (depth, height, aliases, cost, …)',
  usage,
  run(args, io) {
    const { values } = parseCommandLine(args, OPTIONS, usage, false);
    if (typeof values.schema !== 'string') throw usageError('--schema <file> is required');
    if (typeof values.query !== 'string') throw usageError('--query <file> is required');
    const schema = loadSchema(read(io, values.schema, 'schema'), values.schema);
    const source = read(io, values.query, 'query');
    let doc: DocumentNode;
    try {
      doc = parse(source);
    } catch (e) {
      throw new CliError(`invalid query: ${located(e, values.query)}`);
    }
    const errors = validate(schema, doc);
    if (errors.length > 0) {
      throw new CliError(`invalid query:\n${errors.map((e) => `  ${located(e, values.query as string)}`).join('\n')}`);
    }
    let variables: Record<string, unknown> | undefined;
    if (typeof values.variables === 'string') {
      const v = json(io, values.variables, 'variables');
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        throw new CliError('variables must be a JSON object');
      variables = v as Record<string, unknown>;
    }
    let limits: LimitsOptions = {};
    if (typeof values.limits === 'string') limits = json(io, values.limits, 'limits') as LimitsOptions;
    const operationName = values['operation-name'] as string | undefined;
    let analysis: OperationAnalysis;
    try {
      analysis = analyzeLimits(schema, doc, { ...limits, operationName, variables });
    } catch (e) {
      throw new CliError(`invalid limits: ${(e as Error).message}`);
    }
    const unknown = analysis.problems.find((p) => p.kind === 'unknownOperation');
    if (unknown) {
      const names = doc.definitions.flatMap((d) =>
        d.kind === Kind.OPERATION_DEFINITION ? [d.name?.value ?? '(anonymous)'] : [],
      );
      throw new CliError(`${unknown.message} Operations in ${values.query}: ${names.join(', ') || 'none'}.`);
    }
    io.stdout(values.json ? `${JSON.stringify(analysisToJson(analysis), null, 2)}\n` : text(analysis));
    return values['fail-on-violation'] && analysis.violations.length > 0 ? 2 : 0;
  },
};
