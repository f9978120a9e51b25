/**
 * The scopes decision for one operation, shared by every transport: Apollo's HTTP pipeline
 * (`scopesPlugin`'s `didResolveOperation` and `willSendResponse`) and `scopesModule().onOperation`
 * (subscriptions over graphql-ws). One implementation of the check, one of the response shaping.
 */
import {
  ErrorCode,
  ownProperty,
  type Principal,
  RampartConfigError,
  rampartError,
  type SecurityState,
} from '@rampart/core';
import type { DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { analyzeOperation, type Denial, fragmentsOf, isRequirementFree } from './analyze.js';
import { Evaluator, type Verdict } from './evaluate.js';
import {
  normalizeScopeRequirement,
  type PolicyFunction,
  type PolicyInput,
  resolveScopesOptions,
  type ScopesOptions,
} from './options.js';
import { type PolicyErrorLog, policyErrorLog } from './policy-errors.js';
import { modelOf, type Requirement, type ScopesModel } from './requirements.js';
import { pickAliases, rewriteDocument } from './rewrite.js';
import { type IntrospectionFilter, type ShapeInput, shapeCache, shapeResponse } from './shape.js';

/** The message of every `UNAUTHORIZED_FIELD_OR_TYPE` error (Apollo Router's). */
export const UNAUTHORIZED_MESSAGE = 'Unauthorized field or type';

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

/** The scopes check with its resolved options, per-schema caches and policy error log. */
export interface ScopesEngine {
  /** The resolved options. */
  readonly options: Readonly<ScopesOptions>;
  /** Where policies that throw are logged. */
  readonly policyErrors: PolicyErrorLog;
  /** The schema's requirement model; throws a `RampartConfigError` for a `@policy` with no function. */
  modelFor(schema: GraphQLSchema): ScopesModel;
  /** True when nothing can be refused for this operation, whoever calls (no per-request work needed). */
  nothingToCheck(schema: GraphQLSchema, operation: OperationDefinitionNode, document: DocumentNode): boolean;
  /**
   * Checks the operation for the state's principal and records the decisions in the state. Throws the
   * refusal (`UNAUTHENTICATED` for an anonymous caller, `FORBIDDEN` otherwise); resolves to the rewrite
   * when fields are removed (filter mode), `undefined` when the operation runs as sent.
   */
  decide(state: SecurityState, op: ScopesOperation): Promise<ScopesRewrite | undefined>;
  /** Shapes one result's `data` of a rewritten operation (see {@link ShapedData}). */
  shapeData(shape: ShapeInput, data: Record<string, unknown>): ShapedData;
}

/** Builds the engine for one `scopesPlugin` / `scopesModule` (options checked here, once). */
export function createScopesEngine(options?: Partial<ScopesOptions>): ScopesEngine {
  const opts = resolveScopesOptions(options);
  const policyErrors = policyErrorLog();
  const operationRequirements = new WeakMap<ScopesModel, Map<string, Requirement | undefined>>();
  // Per operation node (Apollo reuses the node of a cached document): nothing in it declares anything.
  const requirementFree = new WeakMap<ScopesModel, WeakMap<OperationDefinitionNode, boolean>>();

  function isFree(model: ScopesModel, operation: OperationDefinitionNode, document: DocumentNode): boolean {
    let m = requirementFree.get(model);
    if (!m) {
      m = new WeakMap();
      requirementFree.set(model, m);
    }
    let free = m.get(operation);
    if (free === undefined) {
      const filterIntrospection = opts.filterIntrospection && !opts.dryRun;
      free = isRequirementFree(model, operation, fragmentsOf(document.definitions), filterIntrospection);
      m.set(operation, free);
    }
    return free;
  }

  function modelFor(schema: GraphQLSchema): ScopesModel {
    const model = modelOf(schema);
    if (!checkedModels.has(model)) {
      for (const name of model.policyNames) {
        if (typeof ownProperty(opts.policies, name) !== 'function') {
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

  function operationRequirement(model: ScopesModel, type: string): Requirement | undefined {
    let m = operationRequirements.get(model);
    if (!m) {
      m = new Map();
      for (const t of ['query', 'mutation', 'subscription'] as const) {
        const r = opts.operationScopes[t];
        m.set(t, r === undefined ? undefined : model.table.make(false, [normalizeScopeRequirement(r)], []));
      }
      operationRequirements.set(model, m);
    }
    return m.get(type);
  }

  function nothingToCheck(schema: GraphQLSchema, operation: OperationDefinitionNode, document: DocumentNode) {
    if (opts.requireAuthentication) return false;
    const model = modelFor(schema);
    if (operationRequirement(model, operation.operation)) return false;
    return model.empty || isFree(model, operation, document);
  }

  /** `requireAuthentication` and `operationScopes`: throws the refusal unless in dry run. */
  function checkOperationLevel(state: SecurityState, model: ScopesModel, operation: OperationDefinitionNode) {
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
      if (!opts.dryRun) throw refusal(true, undefined);
    }
    const opReq = operationRequirement(model, operation.operation);
    if (!opReq) return;
    const v = new Evaluator(principal).check(opReq);
    if (v.ok) return;
    state.record({
      source: 'scopes',
      outcome: 'denied',
      code: anonymous ? ErrorCode.UNAUTHENTICATED : ErrorCode.FORBIDDEN,
      coordinate: operation.operation,
      reason: `${operation.operation} operations need scopes the caller lacks`,
      details: { missingScopes: v.missingScopes, principal: principal.id, dryRun: opts.dryRun || undefined },
    });
    if (!opts.dryRun) throw refusal(anonymous, v);
  }

  async function decide(state: SecurityState, op: ScopesOperation): Promise<ScopesRewrite | undefined> {
    const { operation, document, variables } = op;
    const model = modelFor(op.schema);
    const principal = state.principal;
    checkOperationLevel(state, model, operation);
    if (model.empty || isFree(model, operation, document)) return undefined;

    const fragments = fragmentsOf(document.definitions);
    const filterIntrospection = opts.filterIntrospection && !opts.dryRun;
    let ev = new Evaluator(principal);
    let analysis = analyzeOperation(model, ev, operation, fragments, variables, filterIntrospection);
    if (ev.needed.size > 0 || (analysis.introspection && model.policyNames.size > 0)) {
      // Filtered introspection may check any requirement of the schema: evaluate all its policies.
      const names = analysis.introspection ? new Set([...ev.needed, ...model.policyNames]) : ev.needed;
      const results = await evaluatePolicies(names, opts.policies, op, state, policyErrors.policyThrew);
      ev = new Evaluator(principal, results);
      analysis = analyzeOperation(model, ev, operation, fragments, variables, filterIntrospection);
    }
    if (analysis.denials.length === 0 && !analysis.introspection) return undefined;

    const refuse = opts.mode === 'reject' || !analysis.keptLeaf;
    for (const d of analysis.denials) record(state, d, refuse, principal, opts.dryRun);
    if (opts.dryRun) return undefined;
    if (refuse && analysis.denials.length > 0) throw refusal(principal.kind === 'anonymous', merged(analysis.denials));

    const aliases = pickAliases(analysis);
    const rewritten = rewriteDocument(op.schema, document, operation, analysis, aliases);
    const introspection = analysis.introspection ? introspectionFilter(model, ev) : undefined;
    return {
      document: rewritten.document,
      operation: rewritten.operation,
      shape: {
        schema: op.schema,
        operation,
        fragments,
        variables,
        analysis,
        aliases,
        introspection,
        cache: shapeCache(operation),
      },
    };
  }

  function shapeData(shape: ShapeInput, data: Record<string, unknown>): ShapedData {
    const shaped = shapeResponse(shape, data);
    const removed = shaped.removed;
    if (removed.length === 0) return { data: shaped.data, errors: [] };
    const max = opts.maxFieldErrors;
    const errors: GraphQLError[] = [];
    // These errors are never thrown: capturing a stack for each (most of their cost) is wasted work.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      for (let i = 0; i < removed.length && i < max; i++) {
        const r = removed[i] as (typeof removed)[number];
        errors.push(fieldError(r.denial, r.path));
      }
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    if (removed.length > max) {
      const omitted = removed.length - max;
      errors.push(
        rampartError(ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE, `${UNAUTHORIZED_MESSAGE} (${omitted} more paths)`, {
          scope: 'field',
          details: { omittedPaths: omitted },
        }),
      );
    }
    return { data: shaped.data, errors };
  }

  function fieldError(denial: Denial, path: readonly (string | number)[]): GraphQLError {
    const details: Record<string, unknown> = {};
    if (opts.exposeRequirements) {
      details.coordinate = denial.coordinate;
      if (denial.verdict.missingScopes.length > 0) details.missingScopes = denial.verdict.missingScopes;
      if (denial.verdict.unauthenticated) details.authenticationRequired = true;
    }
    return rampartError(ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE, UNAUTHORIZED_MESSAGE, {
      scope: 'field',
      details,
      graphql: { path, nodes: [denial.node] },
    });
  }

  function refusal(anonymous: boolean, verdict: Verdict | undefined): GraphQLError {
    const realm = opts.realm.replace(/["\\]/g, '');
    if (anonymous) {
      return rampartError(ErrorCode.UNAUTHENTICATED, 'Authentication is required for this operation', {
        headers: { 'WWW-Authenticate': `Bearer realm="${realm}"` },
      });
    }
    let challenge = `Bearer realm="${realm}"`;
    const details: Record<string, unknown> = {};
    if (verdict && verdict.missingScopes.length > 0) {
      challenge += ', error="insufficient_scope"';
      if (opts.exposeRequirements) {
        challenge += `, scope="${verdict.missingScopes.join(' ').replace(/["\\]/g, '')}"`;
        details.missingScopes = verdict.missingScopes;
      }
    }
    return rampartError(
      ErrorCode.FORBIDDEN,
      'The operation uses fields or arguments the caller is not authorized to use',
      { headers: { 'WWW-Authenticate': challenge }, details },
    );
  }

  return { options: opts, policyErrors, modelFor, nothingToCheck, decide, shapeData };
}

function merged(denials: readonly Denial[]): Verdict {
  const missing = new Set<string>();
  const failed = new Set<string>();
  let unauthenticated = false;
  for (const d of denials) {
    for (const s of d.verdict.missingScopes) missing.add(s);
    for (const p of d.verdict.failedPolicies) failed.add(p);
    unauthenticated ||= d.verdict.unauthenticated;
  }
  return { ok: false, unauthenticated, missingScopes: [...missing], failedPolicies: [...failed] };
}

function record(state: SecurityState, d: Denial, refused: boolean, principal: Principal, dryRun: boolean): void {
  const v = d.verdict;
  const reasons: string[] = [];
  if (v.unauthenticated) reasons.push('requires authentication');
  if (v.missingScopes.length > 0) reasons.push(`missing scopes ${v.missingScopes.join(' ')}`);
  if (v.failedPolicies.length > 0) reasons.push(`policies did not grant: ${v.failedPolicies.join(', ')}`);
  if (reasons.length === 0) reasons.push('no alternative of the requirement can be met');
  state.record({
    source: 'scopes',
    outcome: refused ? 'denied' : 'removed',
    code: refused
      ? principal.kind === 'anonymous'
        ? ErrorCode.UNAUTHENTICATED
        : ErrorCode.FORBIDDEN
      : ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE,
    coordinate: d.coordinate,
    path: d.path,
    rule: v.failedPolicies.length > 0 ? v.failedPolicies.join(',') : undefined,
    reason: reasons.join('; '),
    details: {
      missingScopes: v.missingScopes,
      failedPolicies: v.failedPolicies.length > 0 ? v.failedPolicies : undefined,
      principal: principal.id,
      dryRun: dryRun || undefined,
    },
  });
}

/** Runs each needed policy once (in parallel); a policy that throws or does not return `true` denies. */
async function evaluatePolicies(
  names: ReadonlySet<string>,
  policies: Readonly<Record<string, PolicyFunction>>,
  op: ScopesOperation,
  state: SecurityState,
  policyThrew: (name: string, error: unknown) => void,
): Promise<Map<string, boolean>> {
  const results = new Map<string, boolean>();
  const principal = state.principal;
  await Promise.all(
    [...names].map(async (name) => {
      // Own entries only: a policy named "constructor" must not find Object.prototype's.
      const fn = ownProperty(policies, name) as PolicyFunction | undefined;
      let granted = false;
      try {
        granted = fn
          ? (await fn({ policy: name, principal, context: op.contextValue, request: op.request })) === true
          : false;
      } catch (error) {
        policyThrew(name, error);
        state.record({
          source: 'scopes',
          outcome: 'error',
          rule: name,
          reason: `policy "${name}" threw; treated as not granted`,
          details: { error: error instanceof Error ? error.message : String(error), principal: principal.id },
        });
      }
      results.set(name, granted);
    }),
  );
  return results;
}

/** What filtered introspection hides from this caller: whatever the caller could not select or pass. */
function introspectionFilter(model: ScopesModel, ev: Evaluator): IntrospectionFilter {
  const schema = model.schema;
  const roots = new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].map((t) => t?.name),
  );
  return {
    hiddenType(name) {
      const t = schema.getType(name);
      if (!t || name.startsWith('__') || roots.has(name)) return false;
      return !ev.check(model.typeRequirement(t)).ok;
    },
    hiddenField(typeName, fieldName) {
      return !ev.check(model.field(typeName, fieldName)?.requirement).ok;
    },
    hiddenArgument(typeName, fieldName, argName) {
      return !ev.check(model.field(typeName, fieldName)?.args?.get(argName)?.requirement).ok;
    },
    hiddenInputField(typeName, fieldName) {
      return !ev.check(model.inputField(typeName, fieldName)?.requirement).ok;
    },
  };
}
