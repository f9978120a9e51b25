import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestListener,
} from '@apollo/server';
import { ensureSecurityState, HOOK_DONE, type SecurityState, type SynchronousStartPlugin } from '@rampart/core';
import type { DocumentNode, GraphQLFormattedError, OperationDefinitionNode } from 'graphql';
import { ScopesEngine } from './engine.js';
import type { ScopesOptions } from './options.js';
import type { ShapeInput } from './shape.js';

/**
 * The Apollo Server plugin: checks each operation against `@authenticated`, `@requiresScopes` and
 * `@policy` in `didResolveOperation` (after variables are known), removes what the caller may not
 * see (or refuses the operation), and puts `null` plus an `UNAUTHORIZED_FIELD_OR_TYPE` error at the
 * exact response path of each removed field. No resolver is wrapped.
 *
 * Put it before plugins that read the response in `willSendResponse` (audit, caching).
 */
export function scopesPlugin(options?: Partial<ScopesOptions>): ApolloServerPlugin<BaseContext> {
  return scopesPluginOf(new ScopesEngine(options));
}

/** The plugin of an engine (`scopesModule` shares one engine between the plugin and `onOperation`). */
export function scopesPluginOf(engine: ScopesEngine): SynchronousStartPlugin {
  return {
    async serverWillStart({ schema, logger }) {
      engine.policyErrors.useLogger(logger);
      engine.modelFor(schema); // fail at startup on a policy that is not configured
    },
    startRequest: (requestContext) =>
      new ScopesListener(engine, ensureSecurityState(requestContext.contextValue as object)),
    async requestDidStart(requestContext) {
      return new ScopesListener(engine, ensureSecurityState(requestContext.contextValue as object));
    },
  };
}

/** One request: prototype hooks, so a request allocates this object and no closures. */
export class ScopesListener implements GraphQLRequestListener<BaseContext> {
  /** Set when the operation was rewritten: what the response walk needs. */
  shape: ShapeInput | undefined;

  constructor(
    readonly engine: ScopesEngine,
    readonly state: SecurityState,
  ) {}

  /** Checks the operation; swaps in the rewritten document when fields are removed. */
  didResolveOperation(rc: GraphQLRequestContextDidResolveOperation<BaseContext>): Promise<void> {
    const operation = rc.operation;
    if (!operation || this.engine.nothingToCheck(rc.schema, operation, rc.document)) return HOOK_DONE;
    return this.#check(rc, operation);
  }

  /** Puts back `null` and an error at each removed field's path. */
  willSendResponse(rc: GraphQLRequestContextWillSendResponse<BaseContext>): Promise<void> {
    if (this.shape) this.#reshape(rc, this.shape);
    return HOOK_DONE;
  }

  async #check(
    rc: GraphQLRequestContextDidResolveOperation<BaseContext>,
    operation: OperationDefinitionNode,
  ): Promise<void> {
    const rewrite = await this.engine.decide(this.state, {
      schema: rc.schema,
      document: rc.document,
      operation,
      variables: rc.request.variables ?? {},
      contextValue: rc.contextValue,
      request: rc.request,
    });
    if (!rewrite) return;
    // Apollo's cached document stays untouched: execution reads the request context's copy.
    const writable = rc as { document: DocumentNode; operation: OperationDefinitionNode };
    writable.document = rewrite.document;
    writable.operation = rewrite.operation;
    this.shape = rewrite.shape;
  }

  #reshape(rc: GraphQLRequestContextWillSendResponse<BaseContext>, shape: ShapeInput): void {
    const body = rc.response.body;
    const result = body.kind === 'single' ? body.singleResult : body.initialResult;
    const data = result.data as Record<string, unknown> | null | undefined;
    if (!data) return;
    const shaped = this.engine.shapeData(shape, data);
    const target = result as { data?: unknown; errors?: readonly GraphQLFormattedError[] };
    target.data = shaped.data;
    if (shaped.errors.length > 0) {
      target.errors = [...(result.errors ?? []), ...shaped.errors.map((e) => e.toJSON())];
    }
  }
}
