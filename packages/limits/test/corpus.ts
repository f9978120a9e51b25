/**
 * The hostile corpus of issue 3 (and a realistic corpus) over the shop-like schema of fixtures.ts: the
 * one corpus of hostile documents, shared by the limits tests, the end-to-end test of `rampart()`
 * (test/hostile-corpus.test.ts) and bench/limits.
 */
import { getIntrospectionQuery } from 'graphql';

/** One hostile request. */
export interface HostileCase {
  readonly name: string;
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  /** The code our analyzer gives when it sees the document (graphql-js validation may refuse first). */
  readonly code: string | null;
  /**
   * The code of the 400 `rampart()` answers with its default options: the first layer that refuses the
   * document (the parser's token cap, graphql-js validation, then the limits).
   */
  readonly presetCode: string;
}

const repeat = (n: number, f: (i: number) => string, sep = ' ') => Array.from({ length: n }, (_, i) => f(i)).join(sep);

/** Every hostile case of the issue. */
export function hostileCorpus(): HostileCase[] {
  return [
    {
      name: 'cyclic fragments (direct)',
      query: '{ me { ...A } } fragment A on Customer { ...B } fragment B on Customer { ...A }',
      code: 'MAX_DEPTH_LIMIT',
      presetCode: 'GRAPHQL_VALIDATION_FAILED',
    },
    {
      name: 'cyclic fragments (fields between)',
      query:
        '{ me { ...A } } fragment A on Customer { orders(first: 1) { customer { ...B } } } fragment B on Customer { orders(first: 1) { customer { ...A } } }',
      code: 'MAX_DEPTH_LIMIT',
      presetCode: 'GRAPHQL_VALIDATION_FAILED',
    },
    { name: 'unknown fragment', query: '{ me { ...Missing } }', code: null, presetCode: 'GRAPHQL_VALIDATION_FAILED' },
    {
      name: '30-level fragment DAG, each spreading the next twice (fields between)',
      query: `{ catalog { categories { ...F0 } } } ${repeat(
        30,
        (i) => `fragment F${i} on Category { a: children { ...F${i + 1} } b: children { ...F${i + 1} } }`,
      )} fragment F30 on Category { name }`,
      code: 'MAX_DEPTH_LIMIT',
      presetCode: 'GRAPHQL_VALIDATION_FAILED',
    },
    {
      name: '30-level fragment DAG, each spreading the next twice (same set)',
      query: `{ catalog { categories { ...F0 } } } ${repeat(
        30,
        (i) => `fragment F${i} on Category { name ...F${i + 1} ...F${i + 1} }`,
      )} fragment F30 on Category { name }`,
      code: null,
      presetCode: 'GRAPHQL_VALIDATION_FAILED',
    },
    {
      name: '10,000-fragment linear chain',
      query: `{ catalog { categories { ...F0 } } } ${repeat(
        10_000,
        (i) => `fragment F${i} on Category { children { ...F${i + 1} } }`,
      )} fragment F10000 on Category { name }`,
      code: 'MAX_DEPTH_LIMIT',
      presetCode: 'GRAPHQL_PARSE_FAILED',
    },
    {
      name: '150,000 sibling fields (aliased)',
      query: `{ ${repeat(150_000, (i) => `a${i}: __typename`)} }`,
      code: 'MAX_ALIASES_LIMIT',
      presetCode: 'GRAPHQL_PARSE_FAILED',
    },
    {
      name: '150,000 sibling fields (same key)',
      query: `{ me { ${repeat(150_000, () => 'id')} } }`,
      code: null,
      presetCode: 'GRAPHQL_PARSE_FAILED',
    },
    {
      name: '100,000-item list literal argument',
      query: `{ byIds(ids: [${repeat(100_000, () => '"1"', ',')}]) { id } }`,
      code: 'COST_ESTIMATED_TOO_EXPENSIVE',
      presetCode: 'GRAPHQL_PARSE_FAILED',
    },
    {
      name: 'first: $n with n = 1,000,000',
      query: 'query($n: Int) { products(first: $n) { id name } }',
      variables: { n: 1_000_000 },
      code: 'COST_ESTIMATED_TOO_EXPENSIVE',
      presetCode: 'COST_ESTIMATED_TOO_EXPENSIVE',
    },
    {
      name: '10,000 aliases',
      query: `{ ${repeat(10_000, (i) => `p${i}: product(id: "${i}") { id }`)} }`,
      code: 'MAX_ALIASES_LIMIT',
      presetCode: 'GRAPHQL_PARSE_FAILED',
    },
    {
      name: '10,000 aliases of __typename',
      query: `{ ${repeat(10_000, (i) => `t${i}: __typename`)} }`,
      code: 'MAX_ALIASES_LIMIT',
      presetCode: 'GRAPHQL_PARSE_FAILED',
    },
    {
      name: '10,000 directives',
      query: `{ ${repeat(10_000, () => '__typename @include(if: true)')} }`,
      code: 'MAX_DIRECTIVES_LIMIT',
      presetCode: 'GRAPHQL_PARSE_FAILED',
    },
    {
      name: '__type ofType chain 200 deep',
      query: `{ __type(name: "Query") { ${'ofType { '.repeat(200)}name${' }'.repeat(200)} } }`,
      code: 'MAX_DEPTH_LIMIT',
      presetCode: 'MAX_DEPTH_LIMIT',
    },
    {
      name: '20 sibling inline fragments each with a 400-item list',
      query: `{ ${repeat(20, (i) => `... on Query { l${i}: products(first: 400) { id } }`)} }`,
      code: 'COST_ESTIMATED_TOO_EXPENSIVE',
      presetCode: 'COST_ESTIMATED_TOO_EXPENSIVE',
    },
  ];
}

/** Realistic operations of a shop front end, plus the full introspection query. */
export function realisticCorpus(): { name: string; query: string; variables?: Record<string, unknown> }[] {
  return [
    {
      name: 'product page',
      query: `query ProductPage($id: ID!) {
        product(id: $id) {
          id name tags inventory price { amount currency }
          reviews(first: 5) { totalCount pageInfo { hasNextPage } edges { cursor node { id rating body author { id name } } } }
          related { id name price { amount currency } }
        }
      }`,
      variables: { id: '1' },
    },
    {
      name: 'listing',
      query: `query Listing($first: Int!, $after: String) {
        products(first: $first, after: $after) { ...Card }
      }
      fragment Card on Product { id name price { ...Price } tags }
      fragment Price on Money { amount currency }`,
      variables: { first: 20 },
    },
    {
      name: 'account',
      query: `query Account {
        me { id name orders(first: 10) { id total { amount currency } lines { quantity product { id name } } } }
      }`,
    },
    {
      name: 'search',
      query: `query Search($text: String!) {
        search(input: { text: $text, page: { first: 10 } }) {
          __typename
          ... on Product { id name price { amount currency } }
          ... on Customer { id name }
        }
      }`,
      variables: { text: 'shoe' },
    },
    {
      name: 'catalog tree',
      query: `query Catalog {
        catalog { categories { name children { name children { name products { id name } } } } }
      }`,
    },
    {
      name: 'node',
      query: `query Node($id: ID!) { node(id: $id) { id ... on Product { name } ... on Order { total { amount } } } }`,
      variables: { id: '1' },
    },
    {
      name: 'add to cart',
      query: `mutation Add($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { id total { amount currency } lines { quantity } } }`,
      variables: { p: '1', q: 2 },
    },
    { name: 'introspection', query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }) },
  ];
}
