export { ErrorCode, defaultStatus, errorCodeOf, isRampartCode, rampartError, type RampartErrorOptions } from './errors.js';
export {
  anonymousPrincipal,
  createPrincipal,
  isAnonymous,
  type AuthMethod,
  type Principal,
  type PrincipalInit,
} from './principal.js';
export {
  SECURITY_STATE,
  SecurityState,
  attachSecurityState,
  ensureSecurityState,
  getSecurityState,
  requestIdFrom,
  systemClock,
  type Clock,
  type CostFigures,
  type DecisionEvent,
  type DecisionOutcome,
  type DecisionSource,
  type SecurityStateInit,
  type WithSecurityState,
} from './state.js';
export { RampartConfigError, check, describe, resolveOptions, type Check, type OptionSchema } from './options.js';
export { argumentCoordinate, fieldCoordinate, pathToString } from './coordinates.js';
