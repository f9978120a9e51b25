// A shop schema close to examples/shop: storefront (read scopes) and back-office (write scopes)
// clients, customer PII behind scopes, an argument that needs an extra scope.
import { makeExecutableSchema } from '@graphql-tools/schema';
import { scopesTypeDefs } from '@rampart/scopes';

export const shopTypeDefs = /* GraphQL */ `
  type Query {
    products(first: Int = 20, after: String, category: ID, includeArchived: Boolean @requiresScopes(scopes: [["catalog:admin"]])): ProductConnection!
    product(id: ID!): Product
    search(text: String!): [SearchResult!]!
    me: Customer @authenticated
    customer(id: ID!): Customer @requiresScopes(scopes: [["customers:read"]])
    order(id: ID!): Order @requiresScopes(scopes: [["orders:read"]])
    node(id: ID!): Node
  }
  type Mutation {
    addToCart(productId: ID!, quantity: Int!): Cart! @requiresScopes(scopes: [["cart:write"]])
    checkout(input: CheckoutInput!): Order! @requiresScopes(scopes: [["orders:write"]])
    updatePrice(productId: ID!, price: Int!): Product! @requiresScopes(scopes: [["catalog:write"]])
  }
  interface Node { id: ID! }
  type ProductConnection { edges: [ProductEdge!]! pageInfo: PageInfo! }
  type ProductEdge { cursor: String! node: Product! }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type Product implements Node {
    id: ID!
    name: String!
    description: String
    price: Money!
    cost: Money @requiresScopes(scopes: [["catalog:admin"], ["finance:read"]])
    stock: Int @requiresScopes(scopes: [["inventory:read"]])
    category: Category
    reviews(first: Int = 5): [Review!]!
  }
  type Money { amount: Int! currency: String! }
  type Category implements Node { id: ID! name: String! }
  type Review { id: ID! rating: Int! text: String author: Customer }
  type Customer implements Node {
    id: ID!
    displayName: String!
    email: String @requiresScopes(scopes: [["customers:pii"]])
    phone: String @requiresScopes(scopes: [["customers:pii"]])
    addresses: [Address!]! @requiresScopes(scopes: [["customers:pii"]])
    orders(first: Int = 10): [Order!]! @requiresScopes(scopes: [["orders:read"]])
  }
  type Address { line1: String! city: String! country: String! }
  type Order implements Node { id: ID! total: Money! status: String! lines: [OrderLine!]! customer: Customer! }
  type OrderLine { product: Product! quantity: Int! }
  type Cart { id: ID! lines: [OrderLine!]! }
  union SearchResult = Product | Category
  input CheckoutInput {
    cartId: ID!
    shippingAddress: AddressInput!
    discountOverride: Int @requiresScopes(scopes: [["orders:admin"]])
  }
  input AddressInput { line1: String! city: String! country: String! }
`;

export function shopSchema() {
  return makeExecutableSchema({ typeDefs: [scopesTypeDefs, shopTypeDefs] });
}

/** The shop's typical operations. */
export const shopOperations: Record<string, { query: string; variables?: Record<string, unknown> }> = {
  'storefront: product list': {
    query: /* GraphQL */ `
      query Products($first: Int, $after: String) {
        products(first: $first, after: $after) {
          edges { cursor node { ...ProductCard } }
          pageInfo { hasNextPage endCursor }
        }
      }
      fragment ProductCard on Product { id name price { amount currency } category { id name } }`,
    variables: { first: 20 },
  },
  'storefront: product page': {
    query: /* GraphQL */ `
      query Product($id: ID!) {
        product(id: $id) {
          id name description price { amount currency }
          reviews(first: 5) { id rating text author { displayName } }
        }
      }`,
    variables: { id: 'p1' },
  },
  'storefront: search': {
    query: /* GraphQL */ `
      query Search($text: String!) {
        search(text: $text) { __typename ... on Product { id name price { amount } } ... on Category { id name } }
      }`,
    variables: { text: 'lamp' },
  },
  'storefront: my account': {
    query: /* GraphQL */ `
      query Me { me { id displayName email addresses { line1 city country } orders(first: 5) { id status total { amount } } } }`,
  },
  'storefront: checkout': {
    query: /* GraphQL */ `
      mutation Checkout($input: CheckoutInput!) { checkout(input: $input) { id status total { amount currency } } }`,
    variables: { input: { cartId: 'c1', shippingAddress: { line1: '1 Main St', city: 'Paris', country: 'FR' } } },
  },
  'back office: customer with orders': {
    query: /* GraphQL */ `
      query Customer($id: ID!) {
        customer(id: $id) {
          id displayName email phone
          orders(first: 10) { id status total { amount currency } lines { quantity product { id name cost { amount } stock } } }
        }
      }`,
    variables: { id: 'c1' },
  },
};

export const storefrontScopes = ['cart:write', 'orders:write', 'orders:read'];
export const backOfficeScopes = [
  'customers:read',
  'customers:pii',
  'orders:read',
  'orders:write',
  'orders:admin',
  'catalog:write',
  'catalog:admin',
  'inventory:read',
];
