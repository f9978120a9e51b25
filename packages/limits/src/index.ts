export { type ActualCost, type ActualCostOptions, actualCost } from './actual.js';
export {
  type AnalysisProblem,
  type AnalyzeLimitsOptions,
  analyzeLimits,
  type LimitName,
  type OperationAnalysis,
  type SlicingFinding,
  type Violation,
} from './analyze.js';
export { costDirectivesTypeDefs } from './directives.js';
export { LIMITS_SLOT, type LimitsLogger } from './engine.js';
export {
  type CoordinateOverride,
  type CostOptions,
  defaultLimitsOptions,
  type Limit,
  type LimitsOptions,
  type ResolvedLimitsOptions,
  type SlicingOptions,
} from './options.js';
export { type LimitsPlugin, limitsModule, limitsPlugin } from './plugin.js';
