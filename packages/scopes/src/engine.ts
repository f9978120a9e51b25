/**
 * The scopes decision for one operation, shared by every transport: Apollo's HTTP pipeline
 * (`scopesPlugin`'s `didResolveOperation` and `willSendResponse`) and `scopesModule().onOperation`
 * (subscriptions over graphql-ws). One implementation of the check, one of the response shaping.
 */
import { ErrorCode, ownProperty, RampartConfigError, type SecurityState, selectOperation } from '@rampart/core';
import { type DocumentNode, type GraphQLError, type GraphQLSchema, Kind, type OperationDefinitionNode } from 'graphql';
import { analyzeScopes } from './analyze.js';
import { Evaluator } from './evaluate.js';
import { introspectionFilter } from './introspection-filter.js';
import { normalizeScopeRequirement, type PolicyInput, resolveScopesOptions, type ScopesOptions } from './options.js';
import { evaluatePolicies } from './policies.js';
import { type PolicyErrorLog, policyErrorLog } from './policy-errors.js';
import { fieldErrors, mergedVerdict, recordDenial, refusal } from './refusals.js';
import { isRequirementFree } from './requirement-free.js';
import { modelOf, type Requirement, type ScopesModel } from './requirements.js';
import { pickAliases, rewriteDocument } from './rewrite.js';
import { type ShapeInput, shapeResponse } from './shape.js';
import { shapeCache } from './shape-groups.js';

/** Models whose `@policy` names were checked against the configured policies (once per model). */
const checkedModels = new WeakSet<ScopesModel>();

/** One operation as the engine sees it, whatever the transport. */
export interface ScopesOperation {
  readonly schema: GraphQLSchema;
  /** The parsed, validated document (never mutated). */
  readonly document: DocumentNode;
  /** The operation of the document that runs. */
  readonly operation: OperationDefinitionNode;
  /** The request's variables (untrusted JSON). */
  readonly variables: Readonly<Record<string, unknown>>;
  /** What policies get as `context`: the operation's context value. */
  readonly contextValue: unknown;
  /** What policies get as `request`. */
  readonly request: PolicyInput['request'];
}

/** An admitted operation that lost fields: what to execute instead, and how to shape its results. */
export interface ScopesRewrite {
  /** A copy of the document without the refused fields. */
  readonly document: DocumentNode;
  /** The operation of {@link ScopesRewrite.document}. */
  readonly operation: OperationDefinitionNode;
  /** What {@link ScopesEngine.shapeData} needs to put back the nulls and the errors. */
  readonly shape: ShapeInput;
}

/** `data` with `null` at each refused place, and one error per place (at most `maxFieldErrors`, then a count). */
export interface ShapedData {
  readonly data: Record<string, unknown> | null;
  /** The `UNAUTHORIZED_FIELD_OR_TYPE` errors to append (empty when nothing was removed from this result). */
  readonly errors: readonly GraphQLError[];
}

/** The scopes check of one `scopesPlugin` / `scopesModule`: resolved options, per-schema caches, policy error log. */
export class ScopesEngine {
  /** The resolved options (checked here, once). */
  readonly options: Readonly<ScopesOptions>;
  /** Where policies that throw are logged. */
  readonly policyErrors: PolicyErrorLog = policyErrorLog();
  readonly #operationRequirements = new WeakMap<ScopesModel, Map<string, Requirement | undefined>>();
  /** Per operation node (Apollo reuses the node of a cached document): nothing in it declares anything. */
  readonly #requirementFree = new WeakMap<ScopesModel, WeakMap<OperationDefinitionNode, boolean>>();

  constructor(options?: Partial<ScopesOptions>) {
    this.options = resolveScopesOptions(options);
  }

  /** The schema's requirement model; throws a `RampartConfigError` for a `@policy` with no function. */
  modelFor(schema: GraphQLSchema): ScopesModel {
    const model = modelOf(schema);
    if (!checkedModels.has(model)) {
      for (const name of model.policyNames) {
        if (typeof ownProperty(this.options.policies, name) !== 'function') {
          throw new RampartConfigError(
            'scopes.policies',
            `the schema uses @policy "${name}" but no policy function of that name is configured`,
          );
        }
      }
      checkedModels.add(model);
    }
    return model;
  }

  /**
   * For a document known in advance (a trusted document, at load): decides once, per operation node,
   * whether anything in it declares a requirement (what {@link ScopesEngine.nothingToCheck} reads), so
   * no request of it walks the document for that again. What the caller may see depends on the
   * principal and is decided per request.
   */
  prepare(schema: GraphQLSchema, document: DocumentNode): void {
    const model = this.modelFor(schema);
    for (const definition of document.definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION) this.#isFree(model, definition, document);
    }
  }

  /** True when nothing can be refused for this operation, whoever calls (no per-request work needed). */
  nothingToCheck(schema: GraphQLSchema, operation: OperationDefinitionNode, document: DocumentNode): boolean {
    if (this.options.requireAuthentication) return false;
    const model = this.modelFor(schema);
    if (this.#operationRequirement(model, operation.operation)) return false;
    return model.empty || this.#isFree(model, operation, document);
  }

  /**
   * Checks the operation for the state's principal and records the decisions in the state. Throws the
   * refusal (`UNAUTHENTICATED` for an anonymous caller, `FORBIDDEN` otherwise); resolves to the rewrite
   * when fields are removed (filter mode), `undefined` when the operation runs as sent.
   */
  async decide(state: SecurityState, op: ScopesOperation): Promise<ScopesRewrite | undefined> {
    const opts = this.options;
    const { operation, document, variables } = op;
    const model = this.modelFor(op.schema);
    const principal = state.principal;
    this.#checkOperationLevel(state, model, operation);
    if (model.empty || this.#isFree(model, operation, document)) return undefined;

    const { fragments } = selectOperation(document);
    const filterIntrospection = this.#filtersIntrospection();
    let evaluator = new Evaluator(principal);
    let analysis = analyzeScopes(model, evaluator, operation, fragments, variables, filterIntrospection);
    if (evaluator.needed.size > 0 || (analysis.introspection && model.policyNames.size > 0)) {
      // Filtered introspection may check any requirement of the schema: evaluate all its policies.
      const names = analysis.introspection ? new Set([...evaluator.needed, ...model.policyNames]) : evaluator.needed;
      const results = await evaluatePolicies(names, opts.policies, op, state, this.policyErrors.policyThrew);
      evaluator = new Evaluator(principal, results);
      analysis = analyzeScopes(model, evaluator, operation, fragments, variables, filterIntrospection);
    }
    if (analysis.denials.length === 0 && !analysis.introspection) return undefined;

    const refuse = opts.mode === 'reject' || !analysis.keptLeaf;
    for (const denial of analysis.denials) recordDenial(state, denial, refuse, principal, opts.dryRun);
    if (opts.dryRun) return undefined;
    if (refuse && analysis.denials.length > 0) {
      throw refusal(opts, principal.kind === 'anonymous', mergedVerdict(analysis.denials));
    }

    const aliases = pickAliases(analysis);
    const rewritten = rewriteDocument(op.schema, document, operation, analysis, aliases);
    const introspection = analysis.introspection ? introspectionFilter(model, evaluator) : undefined;
    const cache = shapeCache(operation);
    return {
      document: rewritten.document,
      operation: rewritten.operation,
      shape: { schema: op.schema, operation, fragments, variables, analysis, aliases, introspection, cache },
    };
  }

  /** Shapes one result's `data` of a rewritten operation (see {@link ShapedData}). */
  shapeData(shape: ShapeInput, data: Record<string, unknown>): ShapedData {
    const shaped = shapeResponse(shape, data);
    if (shaped.removed.length === 0) return { data: shaped.data, errors: [] };
    return { data: shaped.data, errors: fieldErrors(this.options, shaped.removed) };
  }

  #filtersIntrospection(): boolean {
    return this.options.filterIntrospection && !this.options.dryRun;
  }

  #isFree(model: ScopesModel, operation: OperationDefinitionNode, document: DocumentNode): boolean {
    let perOperation = this.#requirementFree.get(model);
    if (!perOperation) {
      perOperation = new WeakMap();
      this.#requirementFree.set(model, perOperation);
    }
    let free = perOperation.get(operation);
    if (free === undefined) {
      const { fragments } = selectOperation(document);
      free = isRequirementFree(model, operation, fragments, this.#filtersIntrospection());
      perOperation.set(operation, free);
    }
    return free;
  }

  #operationRequirement(model: ScopesModel, type: string): Requirement | undefined {
    let byType = this.#operationRequirements.get(model);
    if (!byType) {
      byType = new Map();
      for (const operationType of ['query', 'mutation', 'subscription'] as const) {
        const scopes = this.options.operationScopes[operationType];
        const requirement =
          scopes === undefined ? undefined : model.table.make(false, [normalizeScopeRequirement(scopes)], []);
        byType.set(operationType, requirement);
      }
      this.#operationRequirements.set(model, byType);
    }
    return byType.get(type);
  }

  /** `requireAuthentication` and `operationScopes`: throws the refusal unless in dry run. */
  #checkOperationLevel(state: SecurityState, model: ScopesModel, operation: OperationDefinitionNode): void {
    const opts = this.options;
    const principal = state.principal;
    const anonymous = principal.kind === 'anonymous';
    if (opts.requireAuthentication && anonymous) {
      state.record({
        source: 'scopes',
        outcome: 'denied',
        code: ErrorCode.UNAUTHENTICATED,
        reason: 'authentication is required for every operation',
        details: { principal: principal.id, dryRun: opts.dryRun || undefined },
      });
      if (!opts.dryRun) throw refusal(opts, true, undefined);
    }
    const requirement = this.#operationRequirement(model, operation.operation);
    if (!requirement) return;
    const verdict = new Evaluator(principal).check(requirement);
    if (verdict.ok) return;
    state.record({
      source: 'scopes',
      outcome: 'denied',
      code: anonymous ? ErrorCode.UNAUTHENTICATED : ErrorCode.FORBIDDEN,
      coordinate: operation.operation,
      reason: `${operation.operation} operations need scopes the caller lacks`,
      details: { missingScopes: verdict.missingScopes, principal: principal.id, dryRun: opts.dryRun || undefined },
    });
    if (!opts.dryRun) throw refusal(opts, anonymous, verdict);
  }
}
