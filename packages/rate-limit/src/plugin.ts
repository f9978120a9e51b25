import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestContext,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestListener,
} from '@apollo/server';
import {
  ensureSecurityState,
  HOOK_DONE,
  type RampartModule,
  runHook,
  type SecurityState,
  type SynchronousStartPlugin,
} from '@rampart/core';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import { type Admission, type AdmissionResult, admissionOf } from './admission.js';
import type { OperationDecision } from './conclude.js';
import { rateLimitTypeDefs, transformRateLimitSchema } from './directive.js';
import { isPending } from './maybe-promise.js';
import { rateLimitOperationHook } from './operation.js';
import type { RateLimitOptions } from './options.js';
import { RateLimiter } from './rate-limiter.js';

function limiterOf(options: Partial<RateLimitOptions> | RateLimiter | undefined): RateLimiter {
  return options instanceof RateLimiter ? options : new RateLimiter(options);
}

/**
 * The request listener of the operation-level policies. With a synchronous store (memory) its hooks
 * finish without waiting. A class, so that a request allocates one object and no closures.
 */
class OperationListener implements GraphQLRequestListener<BaseContext> {
  #decision: OperationDecision | undefined;
  readonly #limiter: RateLimiter;
  readonly #state: SecurityState;
  /** Set when the request was admitted before parsing (so an invalid document is charged). */
  readonly #admission: Admission | undefined;
  readonly #operationCharged: boolean;

  constructor(limiter: RateLimiter, state: SecurityState, admission?: Admission, operationCharged = false) {
    this.#limiter = limiter;
    this.#state = state;
    this.#admission = admission;
    this.#operationCharged = operationCharged;
  }

  didResolveOperation(): Promise<void> {
    return runHook(this, this.#decide, undefined);
  }

  #decide(): void | Promise<void> {
    const decision = this.#limiter.decide(this.#state, this.#operationCharged);
    if (isPending(decision)) return decision.then((decided) => this.#decided(decided));
    this.#decided(decision);
  }

  #decided(decision: OperationDecision): void {
    this.#decision = decision;
    if (decision.error) throw decision.error;
  }

  willSendResponse(ctx: GraphQLRequestContextWillSendResponse<BaseContext>): Promise<void> {
    return runHook(this, this.#settle, ctx);
  }

  #settle(ctx: GraphQLRequestContextWillSendResponse<BaseContext>): void | Promise<void> {
    this.#limiter.flushFieldDecisions(this.#state);
    const decision = this.#decision;
    // ended before its operation was decided: the document failed to parse or validate
    if (!decision) return this.#admission?.chargeInvalidDocument(this.#state);
    const charge = decision.charge;
    if (!charge) return this.#respond(ctx, decision, decision.currentlyAvailable);
    // Execution ran when the result has a `data` entry (even null); else refund the charge.
    const body = ctx.response.body;
    const executed = body.kind === 'single' ? 'data' in body.singleResult : true;
    const available = this.#limiter.settle(this.#state, charge, executed);
    if (isPending(available)) return available.then((units) => this.#respond(ctx, decision, units));
    this.#respond(ctx, decision, available);
  }

  #respond(
    ctx: GraphQLRequestContextWillSendResponse<BaseContext>,
    decision: OperationDecision,
    available: number | undefined,
  ): void {
    const charge = decision.charge;
    if (charge) {
      // `charge.headers` is empty or holds exactly these two (RateLimit-Policy, RateLimit)
      const policy = charge.headers['ratelimit-policy'];
      if (policy !== undefined) {
        const headers = ctx.response.http.headers;
        headers.set('ratelimit-policy', policy);
        headers.set('ratelimit', charge.headers.ratelimit!);
      }
    }
    const body = ctx.response.body;
    const cost = this.#limiter.costExtension(this.#state, decision.requestedCost, available);
    if (cost && body.kind === 'single') {
      // merged with the limits package's `cost { estimated, actual, max }` when both are on
      const result = body.singleResult;
      const extensions = result.extensions;
      if (extensions === undefined) result.extensions = { cost };
      else {
        const previous = extensions.cost as Record<string, unknown> | undefined;
        result.extensions = { ...extensions, cost: previous === undefined ? cost : { ...previous, ...cost } };
      }
    }
  }
}

/** The listener when only per-field rules exist: turns the per-field tallies into decisions. */
class FieldDecisionsListener implements GraphQLRequestListener<BaseContext> {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly state: SecurityState,
  ) {}

  willSendResponse(): Promise<void> {
    this.limiter.flushFieldDecisions(this.state);
    return HOOK_DONE;
  }
}

/** A request refused before parsing: its document was replaced (see {@link refuseBeforeParsing}). */
class RefusedListener implements GraphQLRequestListener<BaseContext> {
  constructor(private readonly error: GraphQLError) {}

  async didResolveOperation(): Promise<void> {
    throw this.error;
  }
}

/**
 * Apollo reads the document after `requestDidStart`, and an error thrown there is a masked 500. To
 * answer 429 without parsing the client's document, the request's document is replaced by a tiny one
 * Apollo has cached (`{ __typename }`, no operation name, no persisted-query hash), and the refusal is
 * thrown from `didResolveOperation`, where its status and headers are honoured. (Under `rampart()`
 * the refusal happens earlier, in the context function, and nothing is replaced.)
 */
function refuseBeforeParsing(requestContext: GraphQLRequestContext<BaseContext>, error: GraphQLError): RefusedListener {
  const request = requestContext.request;
  request.query = '{ __typename }';
  delete request.operationName;
  delete request.variables;
  if (request.extensions?.persistedQuery !== undefined) {
    const { persistedQuery: _, ...rest } = request.extensions;
    request.extensions = rest;
  }
  return new RefusedListener(error);
}

/** Set by {@link rateLimitModule}'s `onRequest` (the context function): this request was admitted. */
const ADMITTED_SLOT = Symbol('rampart.rate-limit.admitted');

/** Takes the admission `onRequest` made (once: the other operations of a batch are admitted one by one). */
function takeAdmission(state: SecurityState): AdmissionResult | undefined {
  const admission = state.slots.get(ADMITTED_SLOT) as AdmissionResult | undefined;
  if (admission !== undefined) state.slots.delete(ADMITTED_SLOT);
  return admission;
}

type Listener = GraphQLRequestListener<BaseContext>;

/**
 * The Apollo plugin. Before the document is parsed (`requestDidStart`, unless `rampart().context`
 * already did it): charges the operation limit and refuses a client out of cost budget (admission.ts).
 * In `didResolveOperation`: charges the estimated cost and the quotas with one store call. In
 * `willSendResponse`: refunds the budget to the actual cost, charges `invalidDocumentCost` for a
 * document that failed to parse or validate, and sets the RateLimit headers and `extensions.cost`.
 * Per-field `@rateLimit` and brute-force guards also need {@link rateLimitModule}'s `transformSchema`
 * (or {@link transformRateLimitSchema} with the same limiter).
 */
export function rateLimitPlugin(options?: Partial<RateLimitOptions> | RateLimiter): SynchronousStartPlugin {
  const limiter = limiterOf(options);
  const operational = limiter.hasOperationPolicies;
  const clock = limiter.options.clock;
  const admission = admissionOf(limiter);
  const start = (requestContext: GraphQLRequestContext<BaseContext>): Listener | Promise<Listener> => {
    const state = ensureSecurityState(requestContext.contextValue as object, clock ? { clock } : undefined);
    // Only per-field rules: one hook, to turn the per-field tallies into decisions.
    if (!operational) return new FieldDecisionsListener(limiter, state);
    const listenerFor = (admitted: AdmissionResult): Listener =>
      'error' in admitted
        ? refuseBeforeParsing(requestContext, admitted.error)
        : new OperationListener(limiter, state, admission, admitted.operationCharged);
    const early = takeAdmission(state);
    if (early !== undefined) return listenerFor(early);
    if (!admission.active) return new OperationListener(limiter, state);
    const admitted = admission.admit(state);
    return isPending(admitted) ? admitted.then(listenerFor) : listenerFor(admitted);
  };
  return {
    async serverWillStart() {
      await limiter.store.ready?.();
      return {
        async serverWillStop() {
          await limiter.close();
        },
      };
    },
    // an admission that waits (a Redis store, delay mode) is awaited here: it still refuses before parsing
    startRequest: start,
    async requestDidStart(requestContext) {
      return start(requestContext);
    },
  };
}

/**
 * `@rampart/rate-limit` for `rampart()`: the `@rateLimit` SDL, a schema transform that wraps only the
 * fields declaring `@rateLimit` or a brute-force guard, the plugin, and `onHttpRequest`: the admission
 * before parsing, in the context function (a refusal there is a 429 with its headers, and Apollo never
 * reads the document). Its phase is `'accounting'`: after `@rampart/auth` (its `onRequest` sets the
 * principal) and `@rampart/limits` (it reads `state.cost.estimated` in `didResolveOperation` and
 * `state.cost.actual` in `willSendResponse`). `onOperation` makes the same operation decision, with the same engine
 * function, for an operation over graphql-ws (see operation.ts).
 */
export function rateLimitModule(options?: Partial<RateLimitOptions> | RateLimiter): RampartModule {
  const limiter = limiterOf(options);
  return {
    name: 'rate-limit',
    phase: 'accounting',
    typeDefs: rateLimitTypeDefs(limiter.options.directiveName),
    transformSchema: (schema: GraphQLSchema) => transformRateLimitSchema(schema, limiter),
    plugins: [rateLimitPlugin(limiter)],
    onHttpRequest: (state) => admitInContext(limiter, state),
    onOperation: rateLimitOperationHook(limiter),
    health: () => ({ stores: limiter.health() }),
  };
}

/**
 * The module's `onHttpRequest` (in `rampart().context`, before Apollo reads the document): a client over
 * its operation limit or out of budget is refused here with 429 and its headers; an admitted request
 * is marked so the plugin does not charge it again.
 */
function admitInContext(limiter: RateLimiter, state: SecurityState): void | Promise<void> {
  if (!limiter.hasOperationPolicies) return;
  const admission = admissionOf(limiter);
  if (!admission.active) return;
  const done = (admitted: AdmissionResult): void => {
    if ('error' in admitted) throw admitted.error;
    state.slots.set(ADMITTED_SLOT, admitted);
  };
  const admitted = admission.admit(state);
  return isPending(admitted) ? admitted.then(done) : done(admitted);
}
