export { generateApiKey, hashApiKey } from './api-keys.js';
export { AuthFailure, type AuthFailureKind, type DpopChallenge } from './auth-failure.js';
export type { AuthLogger } from './auth-log.js';
export type { CustomAuthenticator, CustomPrincipal } from './custom.js';
export { createDevKeys, type DevKeys, loadOrCreateDevKeys, type MintTokenOptions, mintToken } from './dev.js';
export type { TokenPresentation } from './dpop/binding.js';
export { createDpopProof, type DpopProofOptions } from './dpop/client.js';
export {
  DPOP_DEFAULT_ALGORITHMS,
  type DpopMode,
  type DpopNonceOptions,
  type DpopOptions,
} from './dpop/options.js';
export { MemoryReplayStore, type ReplayCounterOp, type ReplayStore } from './dpop/replay.js';
export { createJwtVerifier } from './issuers.js';
export type { JwtVerifier } from './jwt.js';
export type { KeySetMonitor } from './jwt-keys.js';
export type {
  ApiKeyEntry,
  ApiKeyOptions,
  AuthenticationOptions,
  AuthOptions,
  ClaimPath,
  FallbackError,
  IpFilterOptions,
  JwtOptions,
  ShieldOptions,
} from './options.js';
export { authContext, authModule } from './plugin.js';
export {
  allow,
  and,
  chain,
  deny,
  type InputIssue,
  InputRule,
  InputRuleError,
  type InputRuleOptions,
  inputRule,
  LogicRule,
  not,
  or,
  Rule,
  type RuleCache,
  type RuleFunction,
  type RuleOptions,
  type RuleResult,
  race,
  rule,
  type ShieldRule,
  type StandardSchemaV1,
} from './rules/constructors.js';
export type { RuleLogger } from './rules/rule-errors.js';
export { type RuleTree, type Shield, shield } from './rules/shield.js';
