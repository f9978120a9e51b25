/**
 * The transport-agnostic operation contract: what a Rampart module does for one GraphQL operation that
 * does not go through Apollo's HTTP pipeline (subscriptions over graphql-ws). Apollo's plugins run only
 * on Apollo's own pipeline; the same engines run here, driven by `@rampart/apollo`'s `graphqlWs()`.
 */
import type { DocumentNode, ExecutionResult, GraphQLError, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { SecurityState } from './state.js';

/** One operation as a transport hands it to the modules: parsed and validated, not yet executed. */
export interface OperationInput {
  /** The schema the operation runs against. */
  readonly schema: GraphQLSchema;
  /** The parsed, validated document. */
  readonly document: DocumentNode;
  /** The operation of the document that runs. */
  readonly operation: OperationDefinitionNode;
  /** The operation's name, when the client named one. */
  readonly operationName: string | undefined;
  /** The request's variables as the client sent them (untrusted JSON: read own properties only). */
  readonly variables: Readonly<Record<string, unknown>>;
  /** The context value the operation executes with (the security state rides on it). */
  readonly contextValue: object;
  /** Which transport carries it. */
  readonly transport: 'graphql-ws';
  /** The query text, when known (audit records hash it). */
  readonly query?: string | undefined;
}

/** How an operation ended, for {@link OperationHandle.end}. */
export interface OperationEnd {
  /** `'completed'`: the source ended; `'stopped'`: the client or the server stopped it; `'error'`: it failed. */
  readonly outcome: 'completed' | 'stopped' | 'error';
  /** Results sent to the client (subscription events). */
  readonly results: number;
  /** Errors of the last result, or the error that ended it. */
  readonly errors?: readonly GraphQLError[] | undefined;
}

/**
 * What a module's {@link OperationHook} may hand back for an operation it admitted. Every part is
 * optional; the transport applies them in module order.
 */
export interface OperationHandle {
  /** A document to execute instead (scopes' filter mode removes fields the caller may not see). */
  readonly document?: DocumentNode | undefined;
  /** Shapes every result before it is sent (scopes' filter mode puts back nulls and adds errors). */
  shapeResult?(result: ExecutionResult): ExecutionResult;
  /** Once, when the operation ends (rate limits settle, audit writes its end record). */
  end?(ended: OperationEnd): void | Promise<void>;
}

/**
 * A module's decision on one operation: throw a `rampartError` to refuse it (nothing executes), or
 * return a {@link OperationHandle} (or nothing) to admit it. Runs after the principal is set.
 */
export type OperationHook = (
  state: SecurityState,
  operation: OperationInput,
) => OperationHandle | undefined | Promise<OperationHandle | undefined>;
