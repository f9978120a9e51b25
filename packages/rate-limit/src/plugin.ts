import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ensureSecurityState, type RampartModule } from '@rampart/core';
import type { GraphQLSchema } from 'graphql';
import { rateLimitTypeDefs, transformRateLimitSchema } from './directive.js';
import { type OperationDecision, RateLimiter } from './engine.js';
import type { RateLimitOptions } from './options.js';

function limiterOf(options: Partial<RateLimitOptions> | RateLimiter | undefined): RateLimiter {
  return options instanceof RateLimiter ? options : new RateLimiter(options);
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
  return {
    async serverWillStart() {
      await limiter.store.ready?.();
      return {
        async serverWillStop() {
          await limiter.close();
        },
      };
    },
    async requestDidStart(rc) {
      const state = ensureSecurityState(rc.contextValue as object, clock ? { clock } : undefined);
      if (!operational) {
        // Only per-field rules: one hook, to turn the per-field tallies into decisions.
        return {
          async willSendResponse() {
            limiter.flushFieldDecisions(state);
          },
        };
      }
      let decision: OperationDecision | undefined;
      return {
        async didResolveOperation() {
          decision = await limiter.decideOperation(state);
          if (decision.error) throw decision.error;
        },
        async willSendResponse(ctx) {
          limiter.flushFieldDecisions(state);
          if (!decision) return;
          const body = ctx.response.body;
          let available = decision.currentlyAvailable;
          const charge = decision.charge;
          if (charge) {
            // Execution ran when the result has a `data` entry (even null); else refund the charge.
            const executed = body.kind === 'single' ? 'data' in body.singleResult : true;
            available = await limiter.settleOperation(state, charge, executed);
            for (const k in charge.headers) ctx.response.http.headers.set(k, charge.headers[k]!);
          }
          const cost = limiter.costExtension(state, decision.requestedCost, available);
          if (cost && body.kind === 'single') {
            // merged with the limits package's `cost { estimated, actual, max }` when both are on
            const previous = body.singleResult.extensions?.cost as Record<string, unknown> | undefined;
            body.singleResult.extensions = { ...body.singleResult.extensions, cost: { ...previous, ...cost } };
          }
        },
      };
    },
  };
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
