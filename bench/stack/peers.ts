// The stack a user assembles today from separate packages, on the benchmark's schema:
//   jose (the bearer token verified in the context function, every request), graphql-armor
//   (maxDepth, maxAliases, maxDirectives, costLimit, maxTokens, blockFieldSuggestion), graphql-depth-limit,
//   graphql-shield on graphql-middleware (the same rules as Rampart's side), graphql-rate-limit-directive
//   on rate-limiter-flexible's memory limiter (@rateLimit on two fields, per user), and a pino audit plugin
//   writing one synchronous record per operation to a file.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { ValidationRule } from 'graphql';
import depthLimit from 'graphql-depth-limit';
import { applyMiddleware } from 'graphql-middleware';
import { rateLimitDirective } from 'graphql-rate-limit-directive';
import { allow, and, or, rule, shield } from 'graphql-shield';
import { importJWK, type JWTPayload, jwtVerify } from 'jose';
import { pino } from 'pino';
import type { BenchData, Customer, Order } from './data.js';
import { type BenchContext, benchResolvers, benchTypeDefs, declarationsOnly } from './schema.js';
import { TOKEN_ALG, TOKEN_AUDIENCE, TOKEN_ISSUER, verificationJwk } from './token.js';

/** The peer stack's context: the data and the verified token's claims (undefined: anonymous). */
interface PeerContext extends BenchContext {
  user: JWTPayload | undefined;
  ip: string;
}

const roles = (ctx: PeerContext) => (Array.isArray(ctx.user?.roles) ? (ctx.user.roles as string[]) : []);
const scopes = (ctx: PeerContext) => (typeof ctx.user?.scope === 'string' ? ctx.user.scope.split(' ') : []);

const isAuthenticated = rule({ cache: 'contextual' })((_p, _a, ctx: PeerContext) => ctx.user !== undefined);
const isAdmin = rule({ cache: 'contextual' })((_p, _a, ctx: PeerContext) => roles(ctx).includes('admin'));
const readsOrders = rule({ cache: 'contextual' })((_p, _a, ctx: PeerContext) => scopes(ctx).includes('orders:read'));
const isOrderOwner = rule({ cache: 'strict' })((o: Order, _a, ctx: PeerContext) => o.customerId === ctx.user?.sub);
const isCustomerThemself = rule({ cache: 'strict' })((c: Customer, _a, ctx: PeerContext) => c.id === ctx.user?.sub);

/** The rules of rules.ts, in graphql-shield; `orders:read` (Rampart's `@requiresScopes`) as a rule here. */
const permissions = shield(
  {
    Query: { orders: and(isAuthenticated, readsOrders) },
    Order: or(isOrderOwner, isAdmin),
    Customer: { email: or(isCustomerThemself, isAdmin) },
  },
  { fallbackRule: allow },
);

/** An audit plugin on pino: one record per operation, written synchronously to `path`. */
function pinoAudit(path: string): ApolloServerPlugin<PeerContext> {
  const log = pino({ base: null }, pino.destination({ dest: path, sync: true }));
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ contextValue, operation, operationName, errors }) {
          log.info({
            event: 'graphql.operation',
            requestId: randomUUID(),
            operationType: operation?.operation,
            operationName: operationName ?? null,
            rootFields: operation?.selectionSet.selections.map((s) => (s.kind === 'Field' ? s.name.value : s.kind)),
            durationMs: Math.round(performance.now() - started),
            user: contextValue.user?.sub ?? 'anonymous',
            ip: contextValue.ip,
            outcome: errors?.length ? 'failure' : 'success',
          });
        },
      };
    },
  };
}

/** Builds the peer stack's server and context function; the audit log goes to `auditPath`. */
export async function buildPeerStack(data: BenchData, auditPath: string) {
  // the key imported once, the token verified on every request
  const key = await importJWK(verificationJwk(), TOKEN_ALG);
  const { rateLimitDirectiveTypeDefs, rateLimitDirectiveTransformer } = rateLimitDirective<PeerContext>({
    // per user (else per address), per field, like Rampart's @rateLimit
    keyGenerator: (_d, _s, _a, ctx, info) => `${ctx.user?.sub ?? ctx.ip}:${info.parentType}.${info.fieldName}`,
  });
  let schema = makeExecutableSchema({
    typeDefs: [rateLimitDirectiveTypeDefs, declarationsOnly.listSize, declarationsOnly.requiresScopes, benchTypeDefs],
    resolvers: benchResolvers,
  });
  schema = applyMiddleware(rateLimitDirectiveTransformer(schema), permissions);
  const armor = new ApolloArmor({
    maxDepth: { n: 10 },
    maxAliases: { n: 30 },
    maxDirectives: { n: 50 },
    // the same ceiling as Rampart's side, so the 1,000-order list passes (armor counts it 50,000)
    costLimit: { maxCost: 100_000 },
    maxTokens: { n: 4000 },
  }).protect();
  const server = new ApolloServer<PeerContext>({
    schema,
    ...armor,
    validationRules: [...(armor.validationRules as ValidationRule[]), depthLimit(10)],
    plugins: [...(armor.plugins as ApolloServerPlugin<PeerContext>[]), pinoAudit(auditPath)],
  });
  const context = async ({ req }: { req: IncomingMessage }): Promise<PeerContext> => {
    const ip = req.socket.remoteAddress ?? 'unknown';
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) return { data, user: undefined, ip };
    const { payload } = await jwtVerify(header.slice(7), key, {
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      algorithms: [TOKEN_ALG],
      requiredClaims: ['exp', 'sub'],
    });
    return { data, user: payload, ip };
  };
  return { server, context };
}
