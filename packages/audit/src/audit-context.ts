/** The shared parts of one audit trail: options, size limits, operations in flight, writer, redactors. */
import type { GraphQLSchema } from 'graphql';
import type { AuditContext, OperationAudit } from './internals.js';
import type { AuditOptions } from './options.js';
import { createRedactor, type Redactor } from './redact.js';
import { nameMatcher, type SanitizeLimits } from './sanitize.js';
import { indexSchema } from './schema.js';
import { AuditWriter } from './writer.js';

/** The {@link AuditContext} of one audit trail (built once by `createAudit`). */
export class AuditTrailContext implements AuditContext {
  /** The resolved options. */
  readonly options: Readonly<AuditOptions>;
  /** Size limits of logged values (from the options). */
  readonly limits: SanitizeLimits;
  /** Operations in flight, by context value: the field records find their operation here. */
  readonly operations = new WeakMap<object, OperationAudit>();
  readonly #isSensitiveName: (name: string) => boolean;
  readonly #redactors = new WeakMap<GraphQLSchema, Redactor>();
  #writer: AuditWriter | undefined;

  constructor(options: Readonly<AuditOptions>) {
    this.options = options;
    this.limits = {
      maxStringLength: options.maxStringLength,
      maxItems: options.maxItems,
      maxDepth: options.maxDepth,
    };
    this.#isSensitiveName = nameMatcher(options.sensitiveNames);
  }

  /** The current writer (created on first use, and again after {@link closeWriter}). */
  writer(): AuditWriter {
    this.#writer ??= new AuditWriter(this.options);
    return this.#writer;
  }

  /** The current writer, if one is open (never opens one). */
  get openWriter(): AuditWriter | undefined {
    return this.#writer;
  }

  /** The redactor of a schema (built once per schema). */
  redactorFor(schema: GraphQLSchema): Redactor {
    let redactor = this.#redactors.get(schema);
    if (!redactor) {
      redactor = createRedactor(indexSchema(schema), this.#isSensitiveName, this.limits);
      this.#redactors.set(schema, redactor);
    }
    return redactor;
  }

  /** Flushes, checkpoints and closes the current writer, if any; the next record opens a new one. */
  async closeWriter(): Promise<void> {
    const writer = this.#writer;
    this.#writer = undefined;
    await writer?.close();
  }
}
