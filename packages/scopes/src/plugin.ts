import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestListener,
} from '@apollo/server';
import {
  ErrorCode,
  ensureSecurityState,
  ownProperty,
  type Principal,
  RampartConfigError,
  type RampartModule,
  RESOLVED,
  rampartError,
  type SecurityState,
  syncPlugin,
} from '@rampart/core';
import type { DocumentNode, GraphQLError, GraphQLFormattedError, OperationDefinitionNode } from 'graphql';
import { analyzeOperation, type Denial, fragmentsOf, isRequirementFree } from './analyze.js';
import { scopesTypeDefs } from './directives.js';
import { Evaluator, type Verdict } from './evaluate.js';
import { normalizeScopeRequirement, type PolicyFunction, resolveScopesOptions, type ScopesOptions } from './options.js';
import { policyErrorLog } from './policy-errors.js';
import { modelOf, type Requirement, type ScopesModel } from './requirements.js';
import { pickAliases, rewriteDocument } from './rewrite.js';
import { type IntrospectionFilter, type ShapeInput, shapeResponse } from './shape.js';

/** The message of every `UNAUTHORIZED_FIELD_OR_TYPE` error (Apollo Router's). */
export const UNAUTHORIZED_MESSAGE = 'Unauthorized field or type';

const checkedModels = new WeakSet<ScopesModel>();

/**
 * The Apollo Server plugin: checks each operation against `@authenticated`, `@requiresScopes` and
 * `@policy` in `didResolveOperation` (after variables are known), removes what the caller may not
 * see (or refuses the operation), and puts `null` plus an `UNAUTHORIZED_FIELD_OR_TYPE` error at the
 * exact response path of each removed field. No resolver is wrapped.
 *
 * Put it before plugins that read the response in `willSendResponse` (audit, caching).
 */
export function scopesPlugin(options?: Partial<ScopesOptions>): ApolloServerPlugin<BaseContext> {
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
      free = isRequirementFree(
        model,
        operation,
        fragmentsOf(document.definitions),
        opts.filterIntrospection && !opts.dryRun,
      );
      m.set(operation, free);
    }
    return free;
  }

  function modelFor(schema: Parameters<typeof modelOf>[0]): ScopesModel {
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

  /** Nothing to check for this operation, whoever calls: no requirement anywhere it can reach. */
  function nothingToCheck(rc: GraphQLRequestContextDidResolveOperation<BaseContext>): boolean {
    const operation = rc.operation;
    if (!operation) return true;
    if (opts.requireAuthentication) return false;
    const model = modelFor(rc.schema);
    if (operationRequirement(model, operation.operation)) return false;
    return model.empty || isFree(model, operation, rc.document);
  }

  /** One request: prototype hooks, so a request allocates this object and no closures. */
  class ScopesListener {
    /** Set when the operation was rewritten: what the response walk needs. */
    shape: ShapeInput | undefined;
    constructor(readonly state: SecurityState) {}

    didResolveOperation(rc: GraphQLRequestContextDidResolveOperation<BaseContext>): Promise<void> {
      try {
        return nothingToCheck(rc) ? RESOLVED : check(this, rc);
      } catch (error) {
        return Promise.reject(error);
      }
    }

    willSendResponse(rc: GraphQLRequestContextWillSendResponse<BaseContext>): Promise<void> {
      try {
        if (this.shape) reshape(rc, this.shape);
        return RESOLVED;
      } catch (error) {
        return Promise.reject(error);
      }
    }
  }

  async function check(l: ScopesListener, rc: GraphQLRequestContextDidResolveOperation<BaseContext>): Promise<void> {
    const state = l.state;
    const operation = rc.operation;
    if (!operation) return;
    const model = modelFor(rc.schema);
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
    if (opReq) {
      const v = new Evaluator(principal).check(opReq);
      if (!v.ok) {
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
    }
    if (model.empty || isFree(model, operation, rc.document)) return;

    const fragments = fragmentsOf(rc.document.definitions);
    const variables = rc.request.variables ?? {};
    const filterIntrospection = opts.filterIntrospection && !opts.dryRun;
    let ev = new Evaluator(principal);
    let analysis = analyzeOperation(model, ev, operation, fragments, variables, filterIntrospection);
    if (ev.needed.size > 0 || (analysis.introspection && model.policyNames.size > 0)) {
      // Filtered introspection may check any requirement of the schema: evaluate all its policies.
      const names = analysis.introspection ? new Set([...ev.needed, ...model.policyNames]) : ev.needed;
      const results = await evaluatePolicies(names, opts.policies, principal, rc, state, policyErrors.policyThrew);
      ev = new Evaluator(principal, results);
      analysis = analyzeOperation(model, ev, operation, fragments, variables, filterIntrospection);
    }
    if (analysis.denials.length === 0 && !analysis.introspection) return;

    const refuse = opts.mode === 'reject' || !analysis.keptLeaf;
    for (const d of analysis.denials) record(state, d, refuse, principal, opts.dryRun);
    if (opts.dryRun) return;
    if (refuse && analysis.denials.length > 0) throw refusal(anonymous, merged(analysis.denials));

    const aliases = pickAliases(analysis);
    const rewritten = rewriteDocument(rc.schema, rc.document, operation, analysis, aliases);
    // Apollo's cached document stays untouched: execution reads the request context's copy.
    const writable = rc as { document: DocumentNode; operation: OperationDefinitionNode };
    writable.document = rewritten.document;
    writable.operation = rewritten.operation;
    l.shape = {
      schema: rc.schema,
      operation,
      fragments,
      variables,
      analysis,
      aliases,
      introspection: analysis.introspection ? introspectionFilter(model, ev) : undefined,
    };
  }

  function reshape(rc: GraphQLRequestContextWillSendResponse<BaseContext>, shape: ShapeInput): void {
    const body = rc.response.body;
    const result = body.kind === 'single' ? body.singleResult : body.initialResult;
    const data = result.data as Record<string, unknown> | null | undefined;
    if (!data) return;
    const shaped = shapeResponse(shape, data);
    const errors: GraphQLFormattedError[] = [];
    const max = opts.maxFieldErrors;
    for (const r of shaped.removed.slice(0, max)) {
      errors.push(fieldError(r.denial, r.path).toJSON());
    }
    if (shaped.removed.length > max) {
      const omitted = shaped.removed.length - max;
      errors.push(
        rampartError(ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE, `${UNAUTHORIZED_MESSAGE} (${omitted} more paths)`, {
          scope: 'field',
          details: { omittedPaths: omitted },
        }).toJSON(),
      );
    }
    const target = result as { data?: unknown; errors?: readonly GraphQLFormattedError[] };
    target.data = shaped.data;
    if (errors.length > 0) target.errors = [...(result.errors ?? []), ...errors];
  }

  return syncPlugin(
    (start) =>
      new ScopesListener(ensureSecurityState(start.contextValue as object)) as GraphQLRequestListener<BaseContext>,
    {
      async serverWillStart({ schema, logger }) {
        policyErrors.useLogger(logger);
        modelFor(schema); // fail at startup on a policy that is not configured
      },
    },
  );

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
      {
        headers: { 'WWW-Authenticate': challenge },
        details,
      },
    );
  }
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
  principal: Principal,
  rc: GraphQLRequestContextDidResolveOperation<BaseContext>,
  state: SecurityState,
  policyThrew: (name: string, error: unknown) => void,
): Promise<Map<string, boolean>> {
  const results = new Map<string, boolean>();
  await Promise.all(
    [...names].map(async (name) => {
      // Own entries only: a policy named "constructor" must not find Object.prototype's.
      const fn = ownProperty(policies, name) as PolicyFunction | undefined;
      let granted = false;
      try {
        granted = fn
          ? (await fn({ policy: name, principal, context: rc.contextValue, request: rc.request })) === true
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

/** `scopesPlugin` packaged for `rampart()`: the directive definitions and the plugin. */
export function scopesModule(options?: Partial<ScopesOptions>): RampartModule {
  return {
    name: 'scopes',
    typeDefs: scopesTypeDefs,
    plugins: [scopesPlugin(options)],
  };
}
