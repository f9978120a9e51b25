export { PersistedQueryCode } from './client-errors.js';
export { composePlugins } from './compose.js';
export { type SecurityContextFunction, type UserContextFunction, withState } from './context.js';
export { DEADLINE, Deadline, withDeadlineChecks } from './deadline.js';
export { exceedsNesting, type RequestWithDocument } from './nesting.js';
export {
  type HardeningOptions,
  hardeningDefaults,
  type RampartLogger,
  type RampartOptions,
  type ResolvedRampartOptions,
  resolveRampartOptions,
} from './options.js';
export { hardeningPlugin, MASKED_MESSAGE } from './plugin.js';
export { type Rampart, type RampartServerOptions, rampart, requestInfo } from './rampart.js';
export {
  type ContextArgs,
  type FetchHeadersLike,
  type FetchRequestLike,
  type LambdaEventLike,
  type NodeRequestArg,
  type NormalisedRequest,
  normaliseRequest,
  type RequestShapeName,
} from './request-shapes.js';
export { schemaUsesCacheControl } from './schema.js';
export { WsCloseCode } from './ws/connection.js';
export type { GraphqlWsOptions, WsContext, WsExtra, WsUserContextFunction } from './ws/options.js';
export { GUARDED_DIRECTIVES, guardedSubscriptionFields } from './ws/schema-warning.js';
export type { GraphqlWsServerOptions } from './ws/server.js';
