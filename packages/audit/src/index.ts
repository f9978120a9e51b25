export { GENESIS } from './chain.js';
export {
  type AuditKeyFiles,
  type AuditKeys,
  generateAuditKeys,
  KEY_FILE_NAMES,
  loadHmacKey,
  loadOrCreateAuditKeys,
  loadPrivateKey,
  loadPublicKey,
} from './keys.js';
export {
  type AuditChainOptions,
  type AuditCheckpointOptions,
  type AuditDestination,
  type AuditLevel,
  type AuditOptions,
  type AuditOutcome,
  type AuditRecordKind,
  type AuditRule,
  defaultAuditOptions,
  resolveAuditOptions,
  type WritableLike,
} from './options.js';
export { type Audit, type AuditModule, auditModule, auditPlugin, createAudit } from './plugin.js';
export type { ErrorFact, OperationFacts, SubscriptionFacts } from './record.js';
export { REDACTED, type SanitizeLimits, sanitizeString } from './sanitize.js';
export { auditTypeDefs } from './schema.js';
export {
  type CommandIO,
  runAuditVerifyCommand,
  type VerifiedChain,
  type VerifyAuditLogOptions,
  type VerifyAuditLogResult,
  type VerifyProblem,
  type VerifyProblemKind,
  verifyAuditLog,
} from './verify.js';
export { AuditWriter } from './writer.js';
