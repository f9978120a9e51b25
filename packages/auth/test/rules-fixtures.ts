/** The schema, rules and helpers the shield tests share (executed with graphql-js directly). */
import { makeExecutableSchema } from '@graphql-tools/schema';
import { rule } from '@rampart/auth';
import { attachSecurityState, createPrincipal, getSecurityState, SecurityState } from '@rampart/core';
import { type ExecutionResult, type GraphQLSchema, graphql } from 'graphql';

export const typeDefs = /* GraphQL */ `
  interface Node { id: ID }
  type User implements Node { id: ID, name: String, email: String }
  type Order implements Node { id: ID, total: Int, owner: User }
  union SearchResult = User | Order
  type Item { a: Int, b: Int }
  type Query {
    me: User
    order(id: ID!): Order
    orders: [Order!]!
    search: [SearchResult!]!
    nodes: [Node!]!
    items(n: Int!): [Item!]!
    public: String
    boom: String
    echo(text: String!): String
  }
  type Mutation { deleteOrder(id: ID!): Boolean }
`;

export const alice = { id: 'u1', name: 'Alice', email: 'alice@example.test' };
export const bob = { id: 'u2', name: 'Bob', email: 'bob@example.test' };
export const orders = [
  { id: 'o1', total: 10, owner: alice },
  { id: 'o2', total: 20, owner: bob },
];
export const resolvers = {
  Node: { __resolveType: (x: { total?: number }) => (x.total === undefined ? 'User' : 'Order') },
  SearchResult: { __resolveType: (x: { total?: number }) => (x.total === undefined ? 'User' : 'Order') },
  Query: {
    me: () => alice,
    order: (_: unknown, { id }: { id: string }) => orders.find((o) => o.id === id),
    orders: () => orders,
    search: () => [alice, orders[0]],
    nodes: () => [bob, orders[1]],
    items: (_: unknown, { n }: { n: number }) => Array.from({ length: n }, (_x, i) => ({ a: i, b: i * 2 })),
    public: () => 'hello',
    boom: () => {
      throw new Error('database unavailable');
    },
    echo: (_: unknown, { text }: { text: string }) => text,
  },
  Mutation: { deleteOrder: () => true },
};

export const baseSchema = () => makeExecutableSchema({ typeDefs, resolvers });

export function ctxFor(roles: string[] = [], id = 'u1'): Record<string, unknown> {
  const ctx = {};
  attachSecurityState(
    ctx,
    new SecurityState({
      principal: createPrincipal({ id, kind: roles.includes('anon') ? 'anonymous' : 'user', roles, authMethod: 'jwt' }),
    }),
  );
  return ctx;
}

export const principal = (ctx: unknown) => getSecurityState(ctx)!.principal;
export const isAuthenticated = rule('isAuthenticated', { cache: 'contextual' })(
  (_p, _a, ctx) => principal(ctx).kind !== 'anonymous',
);
export const isAdmin = rule('isAdmin', { cache: 'contextual' })((_p, _a, ctx) => principal(ctx).roles.has('admin'));
export const isOwner = rule('isOwner', { cache: 'strict' })(
  (order: { owner: { id: string } }, _a, ctx) => order.owner.id === principal(ctx).id,
);

export async function run(
  schema: GraphQLSchema,
  query: string,
  ctx = ctxFor(),
  variableValues?: Record<string, unknown>,
) {
  const r = (await graphql({ schema, source: query, contextValue: ctx, variableValues })) as ExecutionResult<any>;
  return { ...r, data: r.data === undefined ? undefined : JSON.parse(JSON.stringify(r.data)) } as ExecutionResult<any>;
}

export const messages = (r: ExecutionResult) =>
  (r.errors ?? []).map((e) => `${e.path?.join('.')}: ${e.message}`).sort();
