export {
  type Analysis,
  analyzeOperation,
  type Denial,
  fragmentsOf,
  isRequirementFree,
  type Removal,
} from './analyze.js';
export { directiveNames, scopesTypeDefs } from './directives.js';
export { Evaluator, GRANTED, type Verdict } from './evaluate.js';
export {
  defaultScopesOptions,
  normalizeScopeRequirement,
  type PolicyFunction,
  type PolicyInput,
  resolveScopesOptions,
  type ScopeRequirement,
  type ScopesOptions,
} from './options.js';
export { scopesModule, scopesPlugin, UNAUTHORIZED_MESSAGE } from './plugin.js';
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
export { type IntrospectionFilter, type RemovedPath, type Shaped, type ShapeInput, shapeResponse } from './shape.js';
