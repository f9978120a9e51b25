export { type AnomalyOptions, anomalyDefaults } from './anomaly/options.js';
export { PersistedQueryCode } from './client-errors.js';
export { composePlugins } from './compose.js';
export type { SecurityContextFunction, UserContextFunction } from './context.js';
export type { RampartHealth } from './health.js';
export {
  type HardeningOptions,
  hardeningDefaults,
  type RampartLogger,
  type RampartOptions,
  type ResolvedRampartOptions,
  resolveRampartOptions,
} from './options.js';
export { MASKED_MESSAGE } from './plugin.js';
export { type Rampart, type RampartServerOptions, rampart, requestInfo } from './rampart.js';
export type {
  ContextArgs,
  FetchHeadersLike,
  FetchRequestLike,
  LambdaEventLike,
  NodeRequestArg,
  RequestShapeName,
} from './request-shapes.js';
export type { TelemetryOption } from './telemetry.js';
export { APOLLO_MANIFEST_FORMAT } from './trusted/manifest.js';
export {
  type ManifestSource,
  type TrustedDocumentsMode,
  type TrustedDocumentsOptions,
  trustedDocumentsDefaults,
} from './trusted/options.js';
export type { TrustedDocumentsLoad } from './trusted/registry.js';
export type { TrustedDocumentsControl } from './trusted/setup.js';
export { WsCloseCode } from './ws/connection.js';
export type { GraphqlWsOptions, WsContext, WsExtra, WsUserContextFunction } from './ws/options.js';
export type { GraphqlWsServerOptions } from './ws/server.js';
