export { scopesTypeDefs } from './directives.js';
export { scopesModule } from './module.js';
export {
  defaultScopesOptions,
  type PolicyFunction,
  type PolicyInput,
  type ScopeRequirement,
  type ScopesOptions,
} from './options.js';
export { scopesPlugin } from './plugin.js';
export { UNAUTHORIZED_MESSAGE } from './refusals.js';
