// The benchmark's schema (one SDL for every server), its resolvers and the three queries.
// Every server gets this SDL; each declares the directives it uses its own way (Rampart's typeDefs,
// graphql-rate-limit-directive's, or declarations that enforce nothing for bare Apollo).
import type { BenchData, Order, OrderLine, Product } from './data.js';

/**
 * The SDL. `@rateLimit` on two fields (`Query.product`, `Query.orders`) with a limit no benchmark reaches,
 * `@requiresScopes` on `Query.orders`, `@listSize` so that Rampart's cost analysis knows the list sizes.
 */
export const benchTypeDefs = /* GraphQL */ `
  type Money {
    amount: Int!
    currency: String!
  }
  type Category {
    id: ID!
    name: String!
  }
  type Product {
    id: ID!
    sku: String!
    name: String!
    price: Money!
    stock: Int!
    category: Category
  }
  type Customer {
    id: ID!
    name: String!
    email: String!
  }
  type OrderItem {
    product: Product!
    quantity: Int!
    unitPrice: Money!
  }
  enum OrderStatus {
    PENDING
    PAID
    SHIPPED
    CANCELLED
  }
  type Order {
    id: ID!
    status: OrderStatus!
    customer: Customer!
    items: [OrderItem!]! @listSize(assumedSize: 3)
    total: Money!
  }
  type Query {
    product(id: ID!): Product @rateLimit(limit: 1000000000, duration: 60)
    products(first: Int = 20): [Product!]! @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false)
    orders(first: Int = 20): [Order!]!
      @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false)
      @requiresScopes(scopes: [["orders:read"]])
      @rateLimit(limit: 1000000000, duration: 60)
  }
`;

/** Declarations of the directives the SDL uses that a server does not implement (they enforce nothing). */
export const declarationsOnly = {
  listSize:
    'directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION',
  requiresScopes: 'directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION',
  rateLimit: 'directive @rateLimit(limit: Int, duration: Int) on FIELD_DEFINITION',
};

/** The context every server's resolvers read their data from. */
export interface BenchContext {
  data: BenchData;
}

const money = (amount: number) => ({ amount, currency: 'USD' });
const first = (n: number | null | undefined) => Math.max(0, Math.min(n ?? 20, 1000));

/** Plain synchronous resolvers over the in-memory store (no loaders: the data is a map lookup away). */
export const benchResolvers = {
  Query: {
    product: (_: unknown, { id }: { id: string }, { data }: BenchContext) => data.products.get(id) ?? null,
    products: (_: unknown, a: { first?: number }, { data }: BenchContext) =>
      [...data.products.values()].slice(0, first(a.first)),
    orders: (_: unknown, a: { first?: number }, { data }: BenchContext) => data.orders.slice(0, first(a.first)),
  },
  Product: {
    price: (p: Product) => money(p.priceCents),
    category: (p: Product, _: unknown, { data }: BenchContext) => data.categories.get(p.categoryId) ?? null,
  },
  Order: {
    customer: (o: Order, _: unknown, { data }: BenchContext) => data.customers.get(o.customerId),
    items: (o: Order) => o.lines,
    total: (o: Order) => money(o.lines.reduce((s, l) => s + l.quantity * l.unitPriceCents, 0)),
  },
  OrderItem: {
    product: (l: OrderLine, _: unknown, { data }: BenchContext) => data.products.get(l.productId),
    unitPrice: (l: OrderLine) => money(l.unitPriceCents),
  },
};

/** The three queries. */
export const benchQueries: Record<string, string> = {
  // one product, 5 fields
  small: '{ product(id: "prod-7") { id sku name price { amount currency } stock } }',
  // 100 products with their category
  list100: '{ products(first: 100) { id sku name price { amount currency } category { id name } } }',
  // 1,000 orders with their customer and 3 line items each
  orders1000:
    '{ orders(first: 1000) { id status total { amount currency } customer { id name email } items { quantity unitPrice { amount currency } product { id name } } } }',
};
