export {
  type Analysis,
  analyzeOperation,
  type Denial,
  fragmentsOf,
  isRequirementFree,
  type Removal,
} from './analyze.js';
export { directiveNames, scopesTypeDefs } from './directives.js';
export {
  createScopesEngine,
  type ScopesEngine,
  type ScopesOperation,
  type ScopesRewrite,
  type ShapedData,
  UNAUTHORIZED_MESSAGE,
} from './engine.js';
export { Evaluator, GRANTED, type Verdict } from './evaluate.js';
export { scopesModule } from './module.js';
export { scopesOperationHook } from './operation.js';
export {
  defaultScopesOptions,
  normalizeScopeRequirement,
  type PolicyFunction,
  type PolicyInput,
  resolveScopesOptions,
  type ScopeRequirement,
  type ScopesOptions,
} from './options.js';
export { scopesPlugin, scopesPluginOf } from './plugin.js';
export {
  type AbstractFieldInfo,
  type ArgumentInfo,
  type Dnf,
  type FieldInfo,
  modelOf,
  type Requirement,
  RequirementTable,
  ScopesModel,
} from './requirements.js';
export { type Aliases, pickAliases, rewriteDocument } from './rewrite.js';
export {
  type IntrospectionFilter,
  type RemovedPath,
  type ShapeCache,
  type Shaped,
  type ShapeInput,
  shapeCache,
  shapeResponse,
} from './shape.js';
