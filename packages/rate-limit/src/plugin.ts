import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestListener,
} from '@apollo/server';
import { ensureSecurityState, type RampartModule, RESOLVED, type SecurityState, syncPlugin } from '@rampart/core';
import type { GraphQLSchema } from 'graphql';
import { rateLimitTypeDefs, transformRateLimitSchema } from './directive.js';
import { type OperationDecision, RateLimiter } from './engine.js';
import type { RateLimitOptions } from './options.js';

function limiterOf(options: Partial<RateLimitOptions> | RateLimiter | undefined): RateLimiter {
  return options instanceof RateLimiter ? options : new RateLimiter(options);
}

/**
 * The request listener of the operation-level policies. Its hooks return plain values when the store
 * is synchronous (memory): Apollo awaits every listener with `Promise.all` either way, and an async
 * hook costs promises and microtask hops on every request. A class, so that a request allocates one
 * object and no closures.
 */
class OperationListener {
  #decision: OperationDecision | undefined;
  readonly #limiter: RateLimiter;
  readonly #state: SecurityState;

  constructor(limiter: RateLimiter, state: SecurityState) {
    this.#limiter = limiter;
    this.#state = state;
  }

  didResolveOperation(): Promise<void> | void {
    try {
      const d = this.#limiter.decide(this.#state);
      if (d instanceof Promise) return d.then((x) => this.#decided(x));
      this.#decided(d);
    } catch (error) {
      // a rejection, never a synchronous throw: Apollo still calls the other plugins' hooks
      return Promise.reject(error);
    }
  }

  #decided(d: OperationDecision): void {
    this.#decision = d;
    if (d.error) throw d.error;
  }

  willSendResponse(ctx: GraphQLRequestContextWillSendResponse<BaseContext>): Promise<void> | void {
    try {
      this.#limiter.flushFieldDecisions(this.#state);
      const d = this.#decision;
      if (!d) return;
      const charge = d.charge;
      if (!charge) return this.#respond(ctx, d, d.currentlyAvailable);
      // Execution ran when the result has a `data` entry (even null); else refund the charge.
      const body = ctx.response.body;
      const executed = body.kind === 'single' ? 'data' in body.singleResult : true;
      const available = this.#limiter.settle(this.#state, charge, executed);
      if (available instanceof Promise) return available.then((a) => this.#respond(ctx, d, a));
      this.#respond(ctx, d, available);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #respond(
    ctx: GraphQLRequestContextWillSendResponse<BaseContext>,
    d: OperationDecision,
    available: number | undefined,
  ): void {
    const charge = d.charge;
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
    const cost = this.#limiter.costExtension(this.#state, d.requestedCost, available);
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
class FieldDecisionsListener {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly state: SecurityState,
  ) {}

  willSendResponse(): Promise<void> {
    this.limiter.flushFieldDecisions(this.state);
    return RESOLVED;
  }
}

/**
 * The Apollo plugin: decides operation-level policies (operation limit, cost budget, quotas) in
 * `didResolveOperation` with one store call, refunds the budget to the actual cost in
 * `willSendResponse`, and sets the RateLimit headers and `extensions.cost`. Per-field `@rateLimit`
 * and brute-force guards also need {@link rateLimitModule}'s `transformSchema` (or
 * {@link transformRateLimitSchema} with the same limiter).
 */
export function rateLimitPlugin(options?: Partial<RateLimitOptions> | RateLimiter): ApolloServerPlugin<BaseContext> {
  const limiter = limiterOf(options);
  const operational = limiter.hasOperationPolicies;
  const clock = limiter.options.clock;
  return syncPlugin(
    (rc) => {
      const state = ensureSecurityState(rc.contextValue as object, clock ? { clock } : undefined);
      if (!operational) {
        // Only per-field rules: one hook, to turn the per-field tallies into decisions.
        return new FieldDecisionsListener(limiter, state) as GraphQLRequestListener<BaseContext>;
      }
      return new OperationListener(limiter, state) as GraphQLRequestListener<BaseContext>;
    },
    {
      async serverWillStart() {
        await limiter.store.ready?.();
        return {
          async serverWillStop() {
            await limiter.close();
          },
        };
      },
    },
  );
}

/**
 * `@rampart/rate-limit` for `rampart()`: the `@rateLimit` SDL, a schema transform that wraps only the
 * fields declaring `@rateLimit` or a brute-force guard, and the plugin. Place it after
 * `@rampart/limits` (it reads `state.cost.estimated` in `didResolveOperation` and `state.cost.actual`
 * in `willSendResponse`).
 */
export function rateLimitModule(options?: Partial<RateLimitOptions> | RateLimiter): RampartModule {
  const limiter = limiterOf(options);
  return {
    name: 'rate-limit',
    typeDefs: rateLimitTypeDefs(limiter.options.directiveName),
    transformSchema: (schema: GraphQLSchema) => transformRateLimitSchema(schema, limiter),
    plugins: [rateLimitPlugin(limiter)],
  };
}
