export { addressKey, canonicalAddress } from './address.js';
export { argumentCoordinate, fieldCoordinate, pathToString } from './coordinates.js';
export {
  defaultStatus,
  ErrorCode,
  errorCodeOf,
  HttpHeaders,
  isRampartCode,
  type RampartErrorOptions,
  rampartError,
} from './errors.js';
export {
  authChallenge,
  type BearerChallengeParts,
  bearerChallenge,
  DEFAULT_REALM,
  isIncluded,
  isThenable,
  type SelectedOperation,
  selectOperation,
  variableDefinitionsOf,
} from './graphql.js';
export {
  type AuditHealth,
  type HealthError,
  type HealthStatus,
  healthError,
  type JwksHealth,
  type ModuleHealth,
  type StoreHealth,
} from './health.js';
export { HOOK_DONE, runHook } from './hooks.js';
export {
  MODULE_PHASES,
  type ModulePhase,
  type NodeRequestLike,
  type RampartModule,
  RequestHeaders,
  type RequestInfo,
  requestInfoFrom,
  type SynchronousStartPlugin,
} from './module.js';
export {
  addObservedGauge,
  addRampartObserver,
  OBSERVED_GAUGE,
  type ObservedPhase,
  type ObservedTiming,
  type RampartObserver,
  rampartObserver,
  readObservedGauges,
} from './observe.js';
export type { OperationEnd, OperationHandle, OperationHook, OperationInput } from './operation.js';
export {
  type Check,
  check,
  closestName,
  describe,
  type OptionSchema,
  RampartConfigError,
  renameDeprecatedOptions,
  resolveOptions,
} from './options.js';
export {
  type AuthMethod,
  anonymousPrincipal,
  createPrincipal,
  isAnonymous,
  type Principal,
  type PrincipalInit,
  principalAt,
} from './principal.js';
export {
  attachSecurityState,
  type Clock,
  CostFigures,
  type DecisionEvent,
  type DecisionOutcome,
  type DecisionSource,
  ensureSecurityState,
  getSecurityState,
  requestIdFrom,
  SECURITY_STATE,
  SecurityState,
  type SecurityStateInit,
  systemClock,
  type WithSecurityState,
  wellFormedRequestId,
} from './state.js';
export { createDictionary, type Dictionary, hasOwnKey, ownProperty, toDictionary } from './untrusted.js';
