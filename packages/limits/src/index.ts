export { type ActualCost, type ActualCostOptions, actualCost } from './actual.js';
export {
  type AnalysisProblem,
  type AnalyzeOptions,
  analyzeOperation,
  analyzeWithResolved,
  enforcedCost,
  type LimitName,
  type OperationAnalysis,
  type SlicingFinding,
  type Violation,
} from './analyze.js';
export { costDirectivesTypeDefs } from './directives.js';
export { LIMITS_SLOT, type LimitsLogger } from './engine.js';
export { LruCache } from './lru.js';
export {
  type CoordinateOverride,
  type CostOptions,
  defaultCostOptions,
  defaultLimitsOptions,
  defaultSlicingOptions,
  type Limit,
  type LimitsOptions,
  type ResolvedLimitsOptions,
  resolveLimitsOptions,
  type SlicingOptions,
} from './options.js';
export { type LimitsPlugin, limitsModule, limitsPlugin } from './plugin.js';
export { type FieldInfo, type ListSizeInfo, SchemaInfo, schemaInfo } from './schema-info.js';
