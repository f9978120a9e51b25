/**
 * The entry points of the audit package: `createAudit` wires one trail's parts (the shared context,
 * the Apollo plugin, the field records, the records of operations over other transports);
 * `auditPlugin` and `auditModule` package them.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { AuditHealth, OperationHook, OperationInput, RampartModule, SecurityState } from '@rampart/core';
import type { GraphQLSchema } from 'graphql';
import { createAuditApolloPlugin } from './apollo-plugin.js';
import { AuditTrailContext } from './audit-context.js';
import { createFieldHook } from './field-records.js';
import { OperationRecords } from './operation-records.js';
import { type AuditOptions, resolveAuditOptions } from './options.js';
import { auditTypeDefs, wrapAuditedFields } from './schema.js';
import { TransportOperationRecords } from './subscription.js';
import type { AuditKeyRotation, AuditKeyRotationResult, AuditWriter } from './writer.js';

/** An audit trail: the Apollo plugin, the schema transform for `@audit` fields, and the writer behind both. */
export interface Audit {
  /** The resolved options. */
  readonly options: Readonly<AuditOptions>;
  /** The Apollo plugin (operation records; flush on stop). Runs last among Rampart plugins. */
  readonly plugin: ApolloServerPlugin<BaseContext>;
  /** Wraps `@audit` fields and mutation root fields (only those) so each resolution writes a field record. */
  transformSchema(schema: GraphQLSchema): GraphQLSchema;
  /** SDL of `@audit`, `@sensitive` and `AuditLevel`. */
  readonly typeDefs: string;
  /** The current writer (created on first use). */
  writer(): AuditWriter;
  /**
   * For operations outside Apollo's HTTP pipeline (subscriptions over graphql-ws): writes the start
   * record (`graphql.subscription.start`) and returns the handle whose `end` writes the end record
   * (`graphql.subscription.end`). With `failClosed`, throws the 503 refusal if the start record cannot
   * be written.
   */
  onOperation: OperationHook;
  /**
   * Writes the record of an operation refused before it started (`graphql.subscription.rejected`):
   * the transport calls it with the error a module's `onOperation` threw. Never throws.
   */
  recordRefusal(state: SecurityState, operation: OperationInput, error: unknown): void;
  /**
   * Rotates the HMAC key (and optionally the checkpoint key) of the running trail: the current chain
   * ends (sealed by a checkpoint signed with the old key) and a new chain starts whose first line
   * links to its last MAC (see {@link AuditWriter.rotateKey}). Verify across rotations with a key ring
   * holding every key id. Throws on a bad key or without `chain`.
   */
  rotateKey(rotation: AuditKeyRotation): Promise<AuditKeyRotationResult>;
  /** Flushes, checkpoints and closes the destination. */
  close(): Promise<void>;
  /**
   * The writer's state for `rampart().health()`: `down` from a failed write until a later one
   * succeeds, records queued and dropped, the last error (time and error code; no record content).
   */
  health(): AuditHealth;
}

/**
 * The audit package as a {@link RampartModule}: the module's `onOperation` writes the start and end
 * records of subscriptions, and {@link AuditModule.recordRefusal} the record of a refused one.
 */
export interface AuditModule extends RampartModule {
  /** The audit trail behind the module. */
  readonly audit: Audit;
  /** See {@link Audit.onOperation}. */
  readonly onOperation: OperationHook;
  /**
   * Writes the record of an operation (a graphql-ws `subscribe`) that a module refused: audit's
   * `onOperation` runs last, so it is not reached when an earlier module throws; the transport calls
   * this with the refused operation's state, the operation and the thrown error. Never throws.
   */
  recordRefusal(state: SecurityState, operation: OperationInput, error: unknown): void;
}

/**
 * Creates an audit trail from options (checked at once; a bad option throws `RampartConfigError`).
 * Use `auditPlugin()` / `auditModule()` unless you need the parts.
 */
export function createAudit(userOptions?: Partial<AuditOptions>): Audit {
  const options = resolveAuditOptions(userOptions);
  const context = new AuditTrailContext(options);
  const transportRecords = new TransportOperationRecords(context);
  const fieldHook = createFieldHook(context);
  return {
    options,
    plugin: createAuditApolloPlugin(context, new OperationRecords(context)),
    typeDefs: auditTypeDefs,
    transformSchema: (schema) =>
      options.enabled ? wrapAuditedFields(schema, fieldHook, options.auditMutationFields) : schema,
    writer: () => context.writer(),
    onOperation: (state, input) => transportRecords.onOperation(state, input),
    recordRefusal: (state, input, error) => transportRecords.recordRefusal(state, input, error),
    rotateKey: (rotation) => context.writer().rotateKey(rotation),
    close: () => context.closeWriter(),
    health: () => {
      // never opens a writer (a probe after the server stopped must not reopen the file)
      const w = context.openWriter;
      return {
        status: w === undefined || w.healthy ? 'up' : 'down',
        failClosed: options.failClosed,
        queued: w?.queued ?? 0,
        dropped: w?.dropped ?? 0,
        lastError: w?.lastError ?? null,
      };
    },
  };
}

/**
 * The standalone audit plugin: one record per operation (and for requests refused while building the
 * context). Field records need the schema transform: use {@link auditModule} or {@link createAudit}.
 */
export function auditPlugin(options?: Partial<AuditOptions>): ApolloServerPlugin<BaseContext> {
  return createAudit(options).plugin;
}

/**
 * The audit package as a {@link RampartModule} for `rampart()`: typeDefs, transformSchema, the plugin
 * and `onOperation` (run them last), and `recordRefusal` for refused subscriptions.
 */
export function auditModule(options?: Partial<AuditOptions>): AuditModule {
  const audit = createAudit(options);
  return {
    name: 'audit',
    phase: 'audit',
    typeDefs: audit.typeDefs,
    transformSchema: audit.transformSchema,
    plugins: [audit.plugin],
    onOperation: audit.onOperation,
    recordRefusal: audit.recordRefusal,
    ...(audit.options.enabled ? { health: () => ({ audit: audit.health() }) } : {}),
    audit,
  };
}
