import type { ApolloServerOptions, BaseContext } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { attachSecurityState, createPrincipal, getSecurityState, SecurityState } from '@rampart/core';
import { startTestServer, type TestServer } from '@rampart/testing';
import type { GraphQLSchema } from 'graphql';
import { type ScopesOptions, scopesModule, scopesTypeDefs } from '../src/index.js';

/** A small store schema using every directive placement. */
export const typeDefs = /* GraphQL */ `
  type Query {
    me: User @authenticated
    user(id: ID!): User
    users: [User!]!
    node(id: ID!): Node
    nodes: [Node]!
    search: [SearchResult!]!
    products(first: Int, includeHidden: Boolean @requiresScopes(scopes: [["catalog:admin"]])): [Product!]
    orders(filter: OrderFilter): [Order!] @requiresScopes(scopes: [["orders:read"]])
    report: Report @policy(policies: [["businessHours"]])
    stats: Int @policy(policies: [["businessHours", "isStaff"], ["isAdmin"]])
    broken: Int @policy(policies: [["throws"]])
    version: String
  }
  type Mutation {
    updatePrice(id: ID!, price: Int!): Product @requiresScopes(scopes: [["catalog:write"]])
    placeOrder(productId: ID!): Order
  }
  interface Node {
    id: ID!
    secret: String
  }
  type User implements Node {
    id: ID!
    name: String
    email: String @requiresScopes(scopes: [["pii:read"]])
    secret: String @requiresScopes(scopes: [["secret:read"]])
    orders: [Order!]!
  }
  type Product implements Node {
    id: ID!
    name: String!
    price: Int!
    cost: Int @requiresScopes(scopes: [["catalog:admin"], ["finance:read"]])
    secret: String
  }
  type Vault implements Node @requiresScopes(scopes: [["vault:read"]]) {
    id: ID!
    secret: String
  }
  union SearchResult = User | Product
  input OrderFilter {
    status: String
    customerEmail: String @requiresScopes(scopes: [["pii:read"]])
    nested: OrderFilter
  }
  type Order {
    id: ID!
    total: Int!
    customer: User!
  }
  type Report {
    title: String
  }
`;

export const users = [
  { __typename: 'User', id: 'u1', name: 'Ada', email: 'ada@example.com', secret: 'u1-secret', orders: [] },
  { __typename: 'User', id: 'u2', name: 'Bob', email: 'bob@example.com', secret: 'u2-secret', orders: [] },
  { __typename: 'User', id: 'u3', name: 'Cy', email: 'cy@example.com', secret: 'u3-secret', orders: [] },
];
export const products = [
  { __typename: 'Product', id: 'p1', name: 'Lamp', price: 30, cost: 12, secret: 'p1-public' },
  { __typename: 'Product', id: 'p2', name: 'Desk', price: 300, cost: 120, secret: 'p2-public' },
];
export const vaults = [{ __typename: 'Vault', id: 'v1', secret: 'vault-secret' }];
const all = [...users, ...products, ...vaults];

/** How many times each resolver ran (to prove removed fields never execute). */
export const calls = new Map<string, number>();
function count(name: string) {
  calls.set(name, (calls.get(name) ?? 0) + 1);
}

export function buildSchema(extraTypeDefs: string[] = []): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: [scopesTypeDefs, typeDefs, ...extraTypeDefs],
    resolvers: {
      Query: {
        me: () => users[0],
        user: (_: unknown, { id }: { id: string }) => users.find((u) => u.id === id) ?? null,
        users: () => users,
        node: (_: unknown, { id }: { id: string }) => all.find((x) => x.id === id) ?? null,
        nodes: () => [users[0], products[0], vaults[0]],
        search: () => [products[0], users[1], products[1]],
        products: () => products,
        orders: () => [{ id: 'o1', total: 42, customer: users[0] }],
        report: () => ({ title: 'Q3' }),
        stats: () => 7,
        broken: () => 1,
        version: () => '1.0',
      },
      Mutation: {
        updatePrice: (_: unknown, { id }: { id: string }) => {
          count('updatePrice');
          return products.find((p) => p.id === id) ?? null;
        },
        placeOrder: () => {
          count('placeOrder');
          return { id: 'o2', total: 1, customer: users[0] };
        },
      },
      User: {
        email: (u: { email: string }) => {
          count('User.email');
          return u.email;
        },
      },
      Node: { __resolveType: (x: { __typename: string }) => x.__typename },
      SearchResult: { __resolveType: (x: { __typename: string }) => x.__typename },
    },
  });
}

/** Principal from test headers: `x-user` (absent: anonymous), `x-scopes` (space-separated). */
export async function startScopesServer(
  options?: Partial<ScopesOptions>,
  schema: GraphQLSchema = buildSchema(),
  logger?: ApolloServerOptions<BaseContext>['logger'],
): Promise<TestServer<BaseContext> & { states: SecurityState[] }> {
  const states: SecurityState[] = [];
  const module = scopesModule(options);
  const server = await startTestServer(
    {
      schema,
      ...(logger ? { logger } : {}),
      plugins: [
        ...(module.plugins ?? []),
        {
          async requestDidStart() {
            return {
              async willSendResponse(rc) {
                const state = getSecurityState(rc.contextValue);
                if (state) states.push(state);
              },
            };
          },
        },
      ],
    },
    {
      context: async ({ req }: { req: { headers: Record<string, string | string[] | undefined> } }) => {
        const ctx = {};
        const user = req.headers['x-user'];
        const scopes = req.headers['x-scopes'];
        if (typeof user === 'string') {
          const principal = createPrincipal({
            id: user,
            kind: 'user',
            authMethod: 'jwt',
            scopes: typeof scopes === 'string' ? scopes.split(' ').filter(Boolean) : [],
          });
          attachSecurityState(ctx, new SecurityState({ principal }));
        }
        return ctx;
      },
    },
  );
  return Object.assign(server, { states });
}

export function as(user: string | undefined, scopes = ''): Record<string, string> {
  return user ? { 'x-user': user, 'x-scopes': scopes } : {};
}
