/**
 * `scopesModule().onOperation`: the scopes check for operations that do not go through Apollo's HTTP
 * pipeline (subscriptions over graphql-ws), by the same engine as the plugin.
 */
import type { OperationHandle, OperationHook, OperationInput, SecurityState } from '@rampart/core';
import type { DocumentNode, ExecutionResult } from 'graphql';
import type { ScopesEngine, ScopesRewrite } from './engine.js';
import type { ShapeInput } from './shape.js';

/**
 * The operation hook of an engine. Refuses (throws `UNAUTHENTICATED` / `FORBIDDEN`) as the plugin does;
 * in filter mode, an operation that lost fields is admitted with the rewritten document and a
 * `shapeResult` that puts `null` and an `UNAUTHORIZED_FIELD_OR_TYPE` error at each refused path of
 * every result. Policies get `context: input.contextValue` and
 * `request: { query, variables, operationName }` (there is no `http` over WebSocket).
 */
export function scopesOperationHook(engine: ScopesEngine): OperationHook {
  return (state, input) =>
    engine.nothingToCheck(input.schema, input.operation, input.document) ? undefined : admit(state, input);

  async function admit(state: SecurityState, input: OperationInput): Promise<OperationHandle | undefined> {
    const rewrite = await engine.decide(state, {
      schema: input.schema,
      document: input.document,
      operation: input.operation,
      variables: input.variables,
      contextValue: input.contextValue,
      request: { query: input.query, variables: input.variables, operationName: input.operationName },
    });
    return rewrite ? new ScopesHandle(engine, rewrite) : undefined;
  }
}

/** An admitted operation that lost fields: everything per result was prepared at decision time. */
class ScopesHandle implements OperationHandle {
  readonly document: DocumentNode;
  readonly #engine: ScopesEngine;
  readonly #shape: ShapeInput;

  constructor(engine: ScopesEngine, rewrite: ScopesRewrite) {
    this.document = rewrite.document;
    this.#engine = engine;
    this.#shape = rewrite.shape;
  }

  /** Puts back `null` and one error at each refused path (as `willSendResponse` does on HTTP). */
  shapeResult(result: ExecutionResult): ExecutionResult {
    const data = result.data as Record<string, unknown> | null | undefined;
    if (!data) return result;
    const shaped = this.#engine.shapeData(this.#shape, data);
    if (shaped.errors.length === 0) return { ...result, data: shaped.data };
    return { ...result, data: shaped.data, errors: [...(result.errors ?? []), ...shaped.errors] };
  }
}
