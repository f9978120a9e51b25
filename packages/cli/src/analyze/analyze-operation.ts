/**
 * The analysis of one operation: validation against the schema, the limits engine's measures and
 * violations (variables: those given, else the `--variable-bounds` worst case, else open — a slicing
 * argument given an open variable makes the cost unbounded), tokens, requirements, `@rateLimit`s and,
 * on request, the cost of each field.
 */
import { analyzeLimits, type LimitsOptions, type Violation } from '@rampart/limits';
import { type DocumentNode, type GraphQLSchema, Lexer, Source, TokenKind, validate } from 'graphql';
import { boundedVariables, type VariableBounds } from './bounds.js';
import { explainCost, type FieldCost } from './explain.js';
import type { OperationItem } from './operations.js';
import { type RateLimitHit, type Requirements, rateLimitsOf, requirementsOf } from './requirements.js';
import { operationOf, selectedFields } from './selection-walk.js';

/** Where an operation stands. */
export type OperationStatus = 'ok' | 'violation' | 'unbounded' | 'invalid';

/** Every measure of an operation (`null`: unbounded). */
export interface Measures {
  readonly depth: number | null;
  readonly height: number | null;
  readonly aliases: number | null;
  readonly rootFields: number | null;
  readonly directives: number | null;
  readonly introspectionDepth: number | null;
  readonly tokens: number;
  /** Apollo-model estimated cost; `null` when a slicing argument is unbounded. */
  readonly cost: number | null;
  /** IBM field cost; `null` when unbounded. */
  readonly fieldCost: number | null;
}

/** The report of one operation. */
export interface OperationReport {
  readonly key: string;
  readonly id?: string;
  readonly name: string | null;
  readonly type: string | null;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly status: OperationStatus;
  readonly measures: Measures | null;
  /** Variable values assumed from `--variable-bounds`. */
  readonly assumedVariables: Readonly<Record<string, number>>;
  /** Slicing arguments given a variable with neither a value nor a bound (`Type.field(arg:)`). */
  readonly unbounded: readonly string[];
  readonly violations: readonly Pick<Violation, 'rule' | 'code' | 'measured' | 'max' | 'coordinate' | 'message'>[];
  /** Validation errors (`invalid` status), each `file:line:column: message`. */
  readonly errors: readonly string[];
  readonly requirements: Requirements | null;
  readonly rateLimits: readonly RateLimitHit[];
  readonly explain?: readonly FieldCost[];
}

/** What every operation of a run is analysed with. */
export interface AnalysisSettings {
  readonly schema: GraphQLSchema;
  readonly limits: LimitsOptions;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly bounds: VariableBounds;
  readonly explain: boolean;
  readonly rateLimitDirective: string;
}

/** Tokens of the document's definitions, as the parser's `maxTokens` counts them. */
export function countTokens(document: DocumentNode): number {
  let count = 0;
  for (const d of document.definitions) {
    if (!d.loc) continue;
    const lexer = new Lexer(new Source(d.loc.source.body.slice(d.loc.start, d.loc.end)));
    while (lexer.advance().kind !== TokenKind.EOF) count++;
  }
  return count;
}

const finite = (n: number) => (Number.isFinite(n) ? n : null);

function invalid(item: OperationItem, errors: string[]): OperationReport {
  const { key, id, name, file, line, column } = item;
  return {
    key,
    ...(id !== undefined ? { id } : {}),
    name,
    type: operationOf(item.document, name)?.operation ?? null,
    file,
    line,
    column,
    status: 'invalid',
    measures: null,
    assumedVariables: {},
    unbounded: [],
    violations: [],
    errors,
    requirements: null,
    rateLimits: [],
  };
}

function validationErrors(item: OperationItem, schema: GraphQLSchema): string[] {
  if (item.problem) return [`${item.file}:${item.line}:${item.column}: ${item.problem}`];
  return validate(schema, item.document).map((e) => {
    const loc = e.locations?.[0];
    const place = item.id === undefined && loc ? `:${loc.line}:${loc.column}` : '';
    return `${item.id === undefined ? item.file : `${item.file}#${item.id}`}${place}: ${e.message}`;
  });
}

/** Analyses one operation. */
export function analyzeOperation(item: OperationItem, settings: AnalysisSettings): OperationReport {
  const { schema } = settings;
  const errors = validationErrors(item, schema);
  const operation = operationOf(item.document, item.name);
  if (errors.length > 0 || !operation) return invalid(item, errors.length > 0 ? errors : ['no operation']);
  const fields = selectedFields(schema, item.document, operation);
  const declared = (operation.variableDefinitions ?? []).map((v) => v.variable.name.value);
  const given = Object.fromEntries(
    declared.filter((v) => Object.hasOwn(settings.variables, v)).map((v) => [v, settings.variables[v]]),
  );
  const assumedVariables = boundedVariables(fields, settings.bounds, given);
  const variables = { ...given, ...assumedVariables };
  const openVariables = new Set(declared.filter((v) => !Object.hasOwn(variables, v)));
  const options = { ...settings.limits, operationName: item.name, variables, openVariables };
  const a = analyzeLimits(schema, item.document, options);
  const unbounded = a.unboundedSlicing ?? [];
  const violations = a.violations.map(({ rule, code, measured, max, coordinate, message }) => ({
    rule,
    code,
    measured: finite(measured) ?? measured,
    max,
    ...(coordinate ? { coordinate } : {}),
    message,
  }));
  const open = unbounded.length > 0;
  return {
    ...invalid(item, []),
    type: a.operationType,
    status: violations.length > 0 ? 'violation' : open ? 'unbounded' : 'ok',
    measures: {
      depth: finite(a.depth),
      height: finite(a.height),
      aliases: finite(a.aliases),
      rootFields: finite(a.rootFields),
      directives: finite(a.directives),
      introspectionDepth: finite(a.introspectionDepth),
      tokens: countTokens(item.document),
      cost: open ? null : finite(a.cost),
      fieldCost: open ? null : finite(a.fieldCost),
    },
    assumedVariables,
    unbounded,
    violations,
    requirements: requirementsOf(schema, fields),
    rateLimits: rateLimitsOf(schema, fields, settings.rateLimitDirective),
    ...(settings.explain ? { explain: explainCost(schema, item.document, options, a) } : {}),
  };
}
