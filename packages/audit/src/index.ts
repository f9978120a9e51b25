export { type AuditKeyRing, loadKeyRing } from './key-ring.js';
export {
  type AuditKeyFiles,
  type AuditKeys,
  generateAuditKeys,
  hmacKeyId,
  KEY_FILE_NAMES,
  loadOrCreateAuditKeys,
  signingKeyId,
} from './keys.js';
export type {
  AuditChainOptions,
  AuditCheckpointAnchor,
  AuditCheckpointOptions,
  AuditCheckpointRecord,
  AuditDestination,
  AuditLevel,
  AuditOptions,
  AuditOutcome,
  AuditRecordKind,
  AuditRule,
  WritableLike,
} from './options.js';
export { type Audit, type AuditModule, auditModule, auditPlugin, createAudit } from './plugin.js';
export { REDACTED } from './sanitize.js';
export { auditTypeDefs } from './schema.js';
export {
  type VerifiedChain,
  type VerifyAuditLogOptions,
  type VerifyAuditLogResult,
  type VerifyProblem,
  type VerifyProblemKind,
  verifyAuditLog,
} from './verify.js';
export type { AuditKeyRotation, AuditKeyRotationResult, AuditWriter } from './writer.js';
