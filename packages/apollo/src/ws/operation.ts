/**
 * One `subscribe` message through Rampart: nesting cap, parse with the token cap, validation with
 * graphql-js's rules plus the preset's caps, every module's `onOperation` in module order, then the
 * user's context function. Either the execution arguments of an admitted operation (with the handles
 * that shape its results and end it) or the errors refusing it.
 */
import {
  attachSecurityState,
  ErrorCode,
  errorCodeOf,
  type OperationHandle,
  type OperationInput,
  type RampartModule,
  type SecurityState,
} from '@rampart/core';
import {
  type DocumentNode,
  type ExecutionArgs,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  type OperationDefinitionNode,
  parse,
  type ValidationRule,
  validate,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { SUGGESTION } from '../client-errors.js';
import { exceedsNesting, nestingError, recordNestingRefusal } from '../nesting.js';
import type { HardeningOptions } from '../options.js';
import type { WsDocumentStep } from '../trusted/ws-step.js';
import { VALIDATION_FAILED } from './recursive-selections.js';

/**
 * What an audit module exposes to record an operation refused before execution (`@rampart/audit`'s
 * module). Called for refusals of an operation that parsed and validated (the record names it).
 */
export interface RefusalRecorder {
  recordRefusal(state: SecurityState, input: OperationInput, error: unknown): void | Promise<void>;
}

/** An operation as far as it got before its refusal: no document when it did not parse. */
export type RefusedOperation = Omit<OperationInput, 'document' | 'operation'> & {
  readonly document?: DocumentNode | undefined;
  readonly operation?: OperationDefinitionNode | undefined;
};

/** True when a module can record refusals (the audit module). */
export function isRefusalRecorder(module: RampartModule): module is RampartModule & RefusalRecorder {
  return typeof (module as Partial<RefusalRecorder>).recordRefusal === 'function';
}

/** What the pipeline needs of `rampart()` and `graphqlWs()`. */
export interface OperationSettings {
  /** Modules with an `onOperation`, in module order. */
  readonly operationModules: readonly RampartModule[];
  /** Modules that record refusals. */
  readonly recorders: readonly RefusalRecorder[];
  readonly hardening: Readonly<HardeningOptions>;
  /** graphql-js's specified rules plus the preset's. */
  readonly rules: readonly ValidationRule[];
  /** Trusted documents' decision, before anything is parsed (when configured). */
  readonly trustedDocuments?: WsDocumentStep | undefined;
}

/** An admitted operation: what to execute, and the handles of the modules that admitted it. */
export interface AdmittedOperation {
  readonly args: ExecutionArgs;
  /** Handles with a `shapeResult`, in module order. */
  readonly shapers: readonly OperationHandle[];
  /** Handles with an `end`, in module order. */
  readonly enders: readonly OperationHandle[];
}

/** A check of the transport's own, run once the operation is known, before the modules: an error refuses it. */
export type AdmissionStep = () => GraphQLError | undefined;

/** The user's context step: called once the modules admitted the operation. */
export type ContextStep = (
  args: Pick<ExecutionArgs, 'schema' | 'document' | 'operationName' | 'variableValues'>,
) => unknown;

const PARSE_FAILED = 'GRAPHQL_PARSE_FAILED';

/**
 * Runs the checks of one `subscribe` message. Refusals come back as errors (graphql-ws sends them in
 * an `error` message) and are handed to the audit module; anything unexpected becomes an
 * `INTERNAL_SERVER_ERROR` (masked when sent, if `maskErrors`).
 */
export async function prepareOperation(
  settings: OperationSettings,
  schema: GraphQLSchema,
  state: SecurityState,
  payload: SubscribePayload,
  userContext: ContextStep | undefined,
  admit?: AdmissionStep,
): Promise<AdmittedOperation | readonly GraphQLError[]> {
  const trusted = settings.trustedDocuments?.(state, payload);
  if (trusted?.kind === 'refused') return [trusted.error];
  const query = trusted?.kind === 'trusted' ? trusted.query : payload.query;
  const operationName = typeof payload.operationName === 'string' ? payload.operationName : undefined;
  const variables = (payload.variables ?? {}) as Readonly<Record<string, unknown>>;
  const contextValue: object = {};
  attachSecurityState(contextValue, state);
  const input: {
    -readonly [K in keyof RefusedOperation]: RefusedOperation[K];
  } = { schema, operationName, variables, contextValue, transport: 'graphql-ws', query };
  let handles: OperationHandle[] | undefined;
  try {
    const { hardening } = settings;
    const document = trusted?.kind === 'trusted' ? trusted.document : parseChecked(query, hardening, state);
    input.document = document;
    // a trusted document was validated when the manifest loaded
    const invalid = trusted?.kind === 'trusted' ? [] : validate(schema, document, settings.rules);
    if (invalid.length > 0) return await refuse(settings, state, input, invalid.map(labelValidationError(hardening)));
    const operation = getOperationAST(document, operationName);
    if (!operation) throw validationError('Unable to identify the operation to run.');
    input.operation = operation;
    // the name of the operation that runs, also when the client did not send one
    input.operationName = operationName ?? operation.name?.value;
    const refused = admit?.();
    if (refused !== undefined) throw refused;
    let executed = document;
    for (const m of settings.operationModules) {
      const r = m.onOperation!(state, input as OperationInput);
      const handle = r instanceof Promise ? await r : r;
      if (handle === undefined) continue;
      if (handles === undefined) handles = [handle];
      else handles.push(handle);
      if (handle.document !== undefined) executed = handle.document;
    }
    const args = { schema, document: executed, operationName, variableValues: variables };
    if (userContext !== undefined) fillContext(contextValue, await userContext(args), state);
    return {
      args: { ...args, contextValue },
      shapers: handles?.filter((h) => typeof h.shapeResult === 'function') ?? [],
      enders: handles?.filter((h) => typeof h.end === 'function') ?? [],
    };
  } catch (thrown) {
    const error = asGraphQLError(thrown);
    // the modules that admitted it before a later one refused settle (rate limits refund, …)
    if (handles !== undefined) await endRefused(handles, error);
    return refuse(settings, state, input, [error]);
  }
}

/** The nesting cap, then the parse with the token cap. */
function parseChecked(query: unknown, hardening: Readonly<HardeningOptions>, state: SecurityState): DocumentNode {
  if (typeof query !== 'string') throw syntaxError('The subscribe payload has no query.');
  if (exceedsNesting(query, hardening.maxNesting)) {
    recordNestingRefusal(state, hardening.maxNesting);
    throw nestingError(hardening.maxNesting);
  }
  return parseDocument(query, hardening.maxTokens);
}

/** Parses with the token cap; a syntax error keeps graphql-js's message, anything else a generic one. */
function parseDocument(query: string, maxTokens: number): DocumentNode {
  try {
    return parse(query, { maxTokens });
  } catch (error) {
    if (error instanceof GraphQLError) {
      throw new GraphQLError(error.message, {
        ...(error.source && error.positions ? { source: error.source, positions: error.positions } : {}),
        extensions: { code: PARSE_FAILED },
      });
    }
    throw syntaxError('The document could not be parsed.');
  }
}

function syntaxError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: PARSE_FAILED } });
}

function validationError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: VALIDATION_FAILED } });
}

/** Validation errors get Apollo's code; suggestions go when the preset hides schema details. */
function labelValidationError(hardening: Readonly<HardeningOptions>) {
  return (error: GraphQLError): GraphQLError => {
    if (errorCodeOf(error) !== undefined) return error;
    const message = hardening.hideSchemaDetailsFromClientErrors ? error.message.replace(SUGGESTION, '') : error.message;
    return new GraphQLError(message, {
      ...(error.nodes ? { nodes: error.nodes } : {}),
      extensions: { ...error.extensions, code: VALIDATION_FAILED },
    });
  };
}

function asGraphQLError(thrown: unknown): GraphQLError {
  if (thrown instanceof GraphQLError) return thrown;
  // masked when sent if `maskErrors` is on (the formatter logs the cause)
  return new GraphQLError(thrown instanceof Error ? thrown.message : String(thrown), {
    ...(thrown instanceof Error ? { originalError: thrown } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  });
}

/** Hands the refusal to the audit module(s); their failure never changes the answer. */
async function refuse(
  settings: OperationSettings,
  state: SecurityState,
  input: RefusedOperation,
  errors: readonly GraphQLError[],
): Promise<readonly GraphQLError[]> {
  // the audit record describes the operation: one that did not parse or validate is not recorded
  if (input.document === undefined || input.operation === undefined) return errors;
  for (const recorder of settings.recorders) {
    try {
      await recorder.recordRefusal(state, input as OperationInput, errors[0]!);
    } catch {
      // an audit write that fails is the audit module's to report
    }
  }
  return errors;
}

async function endRefused(handles: readonly OperationHandle[], error: GraphQLError): Promise<void> {
  for (const h of handles) {
    try {
      await h.end?.({ outcome: 'error', results: 0, errors: [error] });
    } catch {}
  }
}

/**
 * Copies what the user's context function returned onto the context object the modules already saw
 * (one object per operation, so a module that keyed anything on it still finds it), keeping its
 * prototype; the user's object itself is never written to. The state is attached last.
 */
function fillContext(target: object, value: unknown, state: SecurityState): void {
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto !== Object.prototype) Object.setPrototypeOf(target, proto);
    Object.assign(target, value);
  }
  attachSecurityState(target, state);
}
