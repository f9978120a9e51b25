// Rampart with everything on, on the benchmark's schema: authentication verifying the same token
// (local `keys`, see token.ts), the same shield rules as the peer stack, the limits, scopes (`@requiresScopes`
// on Query.orders), `@rateLimit` on two fields (memory store) and one synchronous audit record per
// operation written to a file.

import { dirname } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { type RampartOptions, rampart } from '@rampart/apollo';
import { loadOrCreateAuditKeys } from '@rampart/audit';
import { allow, or, rule, shield } from '@rampart/auth';
import { getSecurityState, type Principal } from '@rampart/core';
import type { BenchData, Customer, Order } from './data.js';
import { benchResolvers, benchTypeDefs } from './schema.js';
import { TOKEN_ALG, TOKEN_AUDIENCE, TOKEN_ISSUER, verificationJwk } from './token.js';

const principal = (ctx: unknown): Principal | undefined => getSecurityState(ctx)?.principal;

const isAuthenticated = rule('isAuthenticated', { cache: 'contextual' })(
  (_p, _a, ctx) => (principal(ctx)?.kind ?? 'anonymous') !== 'anonymous',
);
const isAdmin = rule('isAdmin', { cache: 'contextual' })((_p, _a, ctx) => principal(ctx)?.roles.has('admin') === true);
const isOrderOwner = rule('isOrderOwner', { cache: 'strict' })(
  (o: Order, _a, ctx) => o.customerId === principal(ctx)?.id,
);
const isCustomerThemself = rule('isCustomerThemself', { cache: 'strict' })(
  (c: Customer, _a, ctx) => c.id === principal(ctx)?.id,
);

/** The options of Rampart with everything on; `variant` turns one part off to see what it costs. */
export function everythingOn(auditPath: string, variant = ''): RampartOptions {
  return {
    ...(variant === 'noauth'
      ? // no verification: the bearer token is a custom authenticator's business, which takes nobody
        { authentication: { custom: async () => undefined } }
      : {
          authentication: {
            jwt: {
              issuer: TOKEN_ISSUER,
              audience: TOKEN_AUDIENCE,
              algorithms: [TOKEN_ALG],
              keys: [verificationJwk()],
              rolesClaim: 'roles',
            },
          },
        }),
    // the preset's limits spelt out, as on the peer side; the cost ceiling lets the 1,000-order list
    // through (Rampart counts list sizes, graphql-armor's cost does not)
    limits: { depth: 10, aliases: 30, directives: 50, cost: { max: 100_000 }, slicing: { max: 1000 } },
    rules: shield(
      {
        Query: { orders: isAuthenticated },
        Order: or(isOrderOwner, isAdmin),
        Customer: { email: or(isCustomerThemself, isAdmin) },
      },
      { fallbackRule: allow },
    ),
    ...(variant === 'noaudit' || variant === 'nodeadline' ? {} : { audit: auditOptions(auditPath, variant) }),
    ...(variant === 'nodeadline' ? { hardening: { executionTimeoutMs: false as const } } : {}),
  };
}

/**
 * The audit log: one record per operation; `chained`: HMAC-chained and checkpointed, as the shop runs it;
 * `nowrite` and `sync`: see below.
 */
function auditOptions(auditPath: string, variant: string): NonNullable<RampartOptions['audit']> {
  // nowrite: every record built and serialised, then dropped (what the file write costs, by difference)
  if (variant === 'nowrite') return { destination: { stream: { write: () => true } }, level: 'metadata' };
  // sync: one write system call per record instead of one per event-loop turn
  if (variant === 'sync') return { destination: auditPath, level: 'metadata', durability: 'sync' };
  if (variant !== 'chained') return { destination: auditPath, level: 'metadata' };
  const keys = loadOrCreateAuditKeys(dirname(auditPath));
  return {
    destination: auditPath,
    level: 'metadata',
    chain: {
      key: keys.hmacKey,
      checkpoints: { path: `${auditPath}.checkpoints`, privateKey: keys.privateKeyPem, every: 1000 },
    },
  };
}

/** Builds Rampart's server and context function; `variant`: '' (everything on), noauth, noaudit, chained, nowrite, sync, nodeadline. */
export function buildRampart(data: BenchData, auditPath: string, variant = '') {
  const security = rampart(everythingOn(auditPath, variant));
  const schema = security.transformSchema(
    makeExecutableSchema({ typeDefs: [security.typeDefs, benchTypeDefs], resolvers: benchResolvers }),
  );
  const server = new ApolloServer({ schema, ...security.serverOptions, plugins: security.plugins });
  return { server, context: security.context(async () => ({ data })) };
}
