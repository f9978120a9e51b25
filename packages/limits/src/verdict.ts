/**
 * From measures to verdicts: the violations of an analysis under the resolved options, with the
 * error code and message of each limit.
 */
import { ErrorCode } from '@rampart/core';
import type { AnalysisProblem, LimitName, OperationAnalysis, Violation } from './analyze.js';
import type { ResolvedLimitsOptions } from './options.js';

/** An analysis that measured nothing (unknown operation, or stopped by the work budget). */
export function emptyResult(operationName: string | null, problems: AnalysisProblem[]): OperationAnalysis {
  return {
    operationName,
    operationType: null,
    depth: 0,
    height: 0,
    aliases: 0,
    rootFields: 0,
    directives: 0,
    introspectionDepth: 0,
    cost: 0,
    fieldCost: 0,
    coordinates: {},
    slicing: [],
    problems,
    variableDependent: false,
    work: 0,
    violations: [],
  };
}

const CODES: Record<LimitName, ErrorCode> = {
  depth: ErrorCode.MAX_DEPTH_LIMIT,
  introspectionDepth: ErrorCode.MAX_DEPTH_LIMIT,
  height: ErrorCode.MAX_HEIGHT_LIMIT,
  workBudget: ErrorCode.MAX_HEIGHT_LIMIT,
  aliases: ErrorCode.MAX_ALIASES_LIMIT,
  rootFields: ErrorCode.MAX_ROOT_FIELDS_LIMIT,
  directives: ErrorCode.MAX_DIRECTIVES_LIMIT,
  cost: ErrorCode.COST_ESTIMATED_TOO_EXPENSIVE,
  slicing: ErrorCode.COST_ESTIMATED_TOO_EXPENSIVE,
};

const LABELS: Record<LimitName, string> = {
  depth: 'depth',
  introspectionDepth: 'introspection depth',
  height: 'height (distinct fields)',
  workBudget: 'size',
  aliases: 'number of aliases',
  rootFields: 'number of root fields',
  directives: 'number of directives',
  cost: 'estimated cost',
  slicing: 'slicing argument',
};

function show(n: number): string {
  return Number.isFinite(n) ? String(n) : 'unbounded';
}

/** Adds the violations of `analysis` under `opts`: depths, aliases, root fields, directives, height, slicing, cost. */
export function finish(
  opts: ResolvedLimitsOptions,
  analysis: OperationAnalysis,
  depthOutside = analysis.depth,
): OperationAnalysis {
  const violations: Violation[] = [];
  const expose = opts.exposeLimits;
  const add = (rule: LimitName, measured: number, max: number | false, coordinate?: string) => {
    if (max === false || !(measured > max)) return;
    const where = coordinate ? ` under ${coordinate}` : '';
    const message = expose
      ? `Operation ${LABELS[rule]}${where} is ${show(measured)}, over the maximum of ${max}.`
      : `Operation ${LABELS[rule]}${where} is over the maximum.`;
    violations.push({ rule, code: CODES[rule], measured, max, ...(coordinate ? { coordinate } : {}), message });
  };
  if (analysis.problems.some((p) => p.kind === 'workBudget')) {
    violations.push({
      rule: 'workBudget',
      code: CODES.workBudget,
      measured: analysis.work,
      max: opts.workBudget,
      message: expose
        ? `Operation is too large to analyze (over ${opts.workBudget} work units).`
        : 'Operation is too large to analyze.',
    });
    return { ...analysis, violations };
  }
  add('depth', depthOutside, opts.depth);
  for (const [c, stat] of Object.entries(analysis.coordinates)) {
    const o = opts.overrides[c];
    if (o?.depth !== undefined) add('depth', stat.depth, o.depth, c);
  }
  add('introspectionDepth', analysis.introspectionDepth, opts.introspectionDepth);
  add('aliases', analysis.aliases, opts.aliases);
  for (const [c, stat] of Object.entries(analysis.coordinates)) {
    const o = opts.overrides[c];
    if (o?.aliases !== undefined) add('aliases', stat.aliases, o.aliases, c);
  }
  add('rootFields', analysis.rootFields, opts.rootFields);
  add('directives', analysis.directives, opts.directives);
  add('height', analysis.height, opts.height);
  for (const s of analysis.slicing) {
    const message =
      s.problem === 'tooLarge'
        ? expose
          ? `Slicing argument ${s.coordinate} is ${s.value}, over the maximum of ${s.max}.`
          : `Slicing argument ${s.coordinate} is over the maximum.`
        : s.problem === 'missing'
          ? `Field ${s.coordinate} requires exactly one slicing argument; none was given.`
          : `Field ${s.coordinate} requires exactly one slicing argument; ${s.value} were given.`;
    violations.push({
      rule: 'slicing',
      code: CODES.slicing,
      measured: s.value,
      max: s.problem === 'tooLarge' ? (s.max as number) : 1,
      coordinate: s.coordinate,
      message,
    });
  }
  const cost = opts.cost.model === 'ibm' ? analysis.fieldCost : analysis.cost;
  add('cost', cost, opts.cost.max);
  return { ...analysis, violations };
}

/** The cost figure the options enforce (`cost` or `fieldCost`). */
export function enforcedCost(analysis: OperationAnalysis, opts: ResolvedLimitsOptions): number {
  return opts.cost.model === 'ibm' ? analysis.fieldCost : analysis.cost;
}
