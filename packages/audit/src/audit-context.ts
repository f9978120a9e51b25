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
  /**
   * The key under which an operation in flight sits on its context value (one per trail). A property,
   * not a `WeakMap` entry: an entry per request kept each request's context alive through the young
   * generation's collections and cost more than the whole record. Not the security state's `slots`:
   * without `rampart()`, the operations of a batch share one state, while each has its own context value.
   */
  readonly #operationKey = Symbol('rampart.audit.operation');
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

  /** Registers `op` as the operation in flight on `contextValue` (the field records find it there). */
  attachOperation(contextValue: object, op: OperationAudit): void {
    (contextValue as Record<symbol, unknown>)[this.#operationKey] = op;
  }

  /** The operation in flight on `contextValue`, if any. */
  operationOf(contextValue: unknown): OperationAudit | undefined {
    if (contextValue === null || typeof contextValue !== 'object') return undefined;
    return (contextValue as Record<symbol, OperationAudit | undefined>)[this.#operationKey];
  }

  /** Forgets the operation in flight on `contextValue` (only when it is `op`, if given). */
  detachOperation(contextValue: object, op?: OperationAudit): void {
    const slots = contextValue as Record<symbol, unknown>;
    if (op === undefined || slots[this.#operationKey] === op) slots[this.#operationKey] = undefined;
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
