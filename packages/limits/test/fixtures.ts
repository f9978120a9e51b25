import { buildSchema, type GraphQLSchema } from 'graphql';
import { costDirectivesTypeDefs } from '../src/index.js';

/** A shop-like schema with connections, lists, interfaces, unions and cost directives. */
export const shopTypeDefs = /* GraphQL */ `
  interface Node { id: ID! }
  type Money { amount: Int!, currency: String! }
  type Product implements Node {
    id: ID!
    name: String!
    price: Money!
    reviews(first: Int, last: Int): ReviewConnection! @listSize(slicingArguments: ["first", "last"], sizedFields: ["edges"])
    related: [Product!]! @listSize(assumedSize: 5)
    tags: [String!]!
    inventory: Int @cost(weight: 3)
  }
  type Review implements Node { id: ID!, rating: Int!, body: String, author: Customer! }
  type ReviewEdge { cursor: String!, node: Review! }
  type PageInfo { hasNextPage: Boolean! }
  type ReviewConnection { edges: [ReviewEdge!]!, pageInfo: PageInfo!, totalCount: Int! }
  type Customer implements Node { id: ID!, name: String!, orders(first: Int = 10): [Order!]! @listSize(slicingArguments: ["first"]) }
  type Order implements Node { id: ID!, total: Money!, lines: [OrderLine!]!, customer: Customer! }
  type OrderLine { product: Product!, quantity: Int! }
  union SearchResult = Product | Customer
  input PageInput { first: Int, after: String }
  input SearchInput { text: String!, page: PageInput }
  type Query {
    product(id: ID!): Product
    products(first: Int, after: String): [Product!]! @listSize(slicingArguments: ["first"])
    search(input: SearchInput!): [SearchResult!]! @listSize(slicingArguments: ["input.page.first"], requireOneSlicingArgument: false)
    byIds(ids: [ID!]!): [Product]! @listSize(slicingArguments: ["ids"])
    node(id: ID!): Node
    me: Customer
    catalog: Catalog
  }
  type Catalog { categories: [Category!]! }
  type Category { name: String!, children: [Category!]!, products: [Product!]! }
  type Mutation { login(email: String!, password: String!): String, addToCart(productId: ID!, quantity: Int!): Order! }
`;

export function shopSchema(): GraphQLSchema {
  return buildSchema(`${costDirectivesTypeDefs}\n${shopTypeDefs}`);
}
