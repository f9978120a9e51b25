import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '@rampart/core';
import { buildSchema, getIntrospectionQuery, parse } from 'graphql';
import { analyzeLimits, costDirectivesTypeDefs } from '../src/index.js';
import { shopSchema } from './fixtures.js';

const shop = shopSchema();
const run = (q: string, o: Parameters<typeof analyzeLimits>[2] = {}) => analyzeLimits(shop, parse(q), o);

describe('Apollo demand-control examples', () => {
  const base = `
    type Query { book(id: ID): Book }
    type Book { title: String, author: Author, publisher: Publisher }
    type Author { name: String }
    type Publisher { name: String, address: Address }
  `;
  const book = 'title author { name } publisher { name address { zipCode } }';
  it('BookQuery costs 4', () => {
    const s = buildSchema(`${costDirectivesTypeDefs}${base} type Address { zipCode: Int! }`);
    assert.equal(analyzeLimits(s, parse(`query BookQuery { book(id: 1) { ${book} } }`)).cost, 4);
  });
  const s = buildSchema(
    `${costDirectivesTypeDefs}${base.replace(
      'type Query { book(id: ID): Book }',
      `type Query {
      book(id: ID): Book
      bestsellers: [Book] @listSize(assumedSize: 5)
      newestAdditions(after: ID, limit: Int!): [Book] @listSize(slicingArguments: ["limit"])
    }`,
    )} type Address @cost(weight: 5) { zipCode: Int! }`,
  );
  it('with Address @cost(weight: 5) it costs 8', () => {
    assert.equal(analyzeLimits(s, parse(`query BookQuery { book(id: 1) { ${book} } }`)).cost, 8);
  });
  it('bestsellers with assumedSize 5 costs 40', () => {
    assert.equal(analyzeLimits(s, parse(`{ bestsellers { ${book} } }`)).cost, 40);
  });
  it('newestAdditions costs 24 with limit 3 and 56 with limit 7 (literal and variable)', () => {
    assert.equal(analyzeLimits(s, parse(`{ newestAdditions(limit: 3) { ${book} } }`)).cost, 24);
    const q = parse(`query N($l: Int!) { newestAdditions(limit: $l) { ${book} } }`);
    const a = analyzeLimits(s, q, { variables: { l: 7 } });
    assert.equal(a.cost, 56);
    assert.equal(a.variableDependent, true);
  });
  it('mutations have a base cost of 10', () => {
    const a = run('mutation { login(email: "a", password: "b") }');
    assert.equal(a.cost, 10);
    assert.equal(a.operationType, 'mutation');
  });
});

describe('IBM GraphQL Cost Directives examples (field cost)', () => {
  const ibm = `directive @cost(weight: String!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
  enum Approximate { YES }
  type Product { name: String }
  `;
  it('example 2: static field cost 11', () => {
    const s = buildSchema(`${ibm}
      type User { name: String age: Int @cost(weight: "2.0") }
      type Query { users(max: Int): [User] @listSize(slicingArguments: ["max"]) }`);
    assert.equal(analyzeLimits(s, parse('query Example { users (max: 5) { age } }')).fieldCost, 11);
  });
  const ex10 = buildSchema(`${ibm}
    input Filter { approx: Approximate @cost(weight: "-12.0") }
    type Query {
      topProducts(filter: Filter @cost(weight: "15.0")): [String] @cost(weight: "5.0") @listSize(assumedSize: 10)
      mostPopularProduct(approx: Approximate @cost(weight: "-3.0")): Product @cost(weight: "5.0")
    }`);
  it('example 10: 5, and 20 with the filter', () => {
    assert.equal(analyzeLimits(ex10, parse('{ topProducts }')).fieldCost, 5);
    assert.equal(analyzeLimits(ex10, parse('{ topProducts(filter: {}) }')).fieldCost, 20);
  });
  it('example 11: 5, and 2 with approx (negative weights)', () => {
    assert.equal(analyzeLimits(ex10, parse('{ mostPopularProduct { name } }')).fieldCost, 5);
    assert.equal(analyzeLimits(ex10, parse('{ mostPopularProduct(approx: YES) { name } }')).fieldCost, 2);
  });
  it('example 12: 8 with an approximate filter (input field weights)', () => {
    assert.equal(analyzeLimits(ex10, parse('{ topProducts(filter: { approx: YES }) }')).fieldCost, 8);
  });
  it('model "ibm" enforces the field cost', () => {
    const a = analyzeLimits(ex10, parse('{ topProducts(filter: {}) }'), { cost: { model: 'ibm', max: 19 } });
    assert.deepEqual(
      a.violations.map((v) => [v.rule, v.measured, v.max]),
      [['cost', 20, 19]],
    );
  });
});

describe('cost', () => {
  it('slicing argument: literal, variable, schema default, nested input path, array length', () => {
    assert.equal(run('{ products(first: 3) { name } }').cost, 3);
    assert.equal(run('query($n: Int) { products(first: $n) { name } }', { variables: { n: 4 } }).cost, 4);
    assert.equal(run('{ me { orders { id } } }').cost, 1 + 10);
    assert.equal(run('{ me { orders(first: 2) { id } } }').cost, 1 + 2);
    assert.equal(run('{ search(input: { text: "x", page: { first: 7 } }) { __typename } }').cost, 2 + 7);
    assert.equal(
      run('query($i: SearchInput!) { search(input: $i) { __typename } }', {
        variables: { i: { text: 'x', page: { first: 12 } } },
      }).cost,
      2 + 12,
    );
    assert.equal(run('{ byIds(ids: ["1", "2", "3"]) { name } }').cost, 3);
  });
  it('sizedFields: the slice applies to the connection edges', () => {
    // product 1 + reviews 1 + 4 edges x (1 + node 1) + pageInfo 1
    assert.equal(
      run('{ product(id: 1) { reviews(first: 4) { edges { node { rating } } pageInfo { hasNextPage } } } }').cost,
      1 + 1 + 8 + 1,
    );
  });
  it('a fragment spread inside a sized connection uses the slice', () => {
    const q = `{ product(id: 1) { a: reviews(first: 4) { ...E } b: reviews(first: 2) { ...E } } }
      fragment E on ReviewConnection { edges { node { rating } } }`;
    assert.equal(run(q).cost, 1 + (1 + 8) + (1 + 4));
  });
  it('requireOneSlicingArgument: missing and repeated slicing arguments are reported', () => {
    const a = run('{ products { name } }');
    assert.equal(a.violations[0]?.rule, 'slicing');
    assert.equal(a.violations[0]?.code, ErrorCode.COST_ESTIMATED_TOO_EXPENSIVE);
    assert.match(a.violations[0]?.message ?? '', /requires exactly one slicing argument; none/);
    const b = run('{ product(id: 1) { reviews(first: 1, last: 2) { totalCount } } }');
    assert.equal(b.slicing[0]?.problem, 'multiple');
    assert.equal(run('{ products { name } }', { slicing: { requireOne: false } }).violations.length, 0);
  });
  it('slicing.max caps slicing arguments', () => {
    const a = run('{ products(first: 101) { name } }', { slicing: { max: 100 } });
    assert.deepEqual(
      a.violations.map((v) => [v.rule, v.coordinate, v.measured, v.max]),
      [['slicing', 'Query.products(first:)', 101, 100]],
    );
  });
  it('field @cost on a scalar and input objects costing 1 each', () => {
    assert.equal(run('{ product(id: 1) { inventory } }').cost, 1 + 3);
    assert.equal(
      run('{ search(input: { text: "x" }) { __typename } }', { slicing: { requireOne: false } }).cost,
      1 + 10,
    );
  });
  it('abstract types take the most expensive possible type; inline fragments are summed', () => {
    const s = buildSchema(`${costDirectivesTypeDefs}
      interface Publication { title: String }
      type Book implements Publication { title: String, pages: [Page] }
      type Page { n: Int }
      type Magazine implements Publication @cost(weight: 7) { title: String }
      type Query { publication: Publication }`);
    assert.equal(analyzeLimits(s, parse('{ publication { title } }')).cost, 7);
    const q =
      '{ publication { ... on Book { pages { n } } ... on Magazine { title } ... on Book { p2: pages { n } } } }';
    assert.equal(analyzeLimits(s, parse(q)).cost, 7 + 10 + 10);
  });
  it('@cost on enums, scalars, objects, fields, arguments and input fields', () => {
    const s = buildSchema(`${costDirectivesTypeDefs}
      enum AorB @cost(weight: 15) { A B }
      input InputTypeWithCost { somethingWithCost: Int @cost(weight: 20) }
      scalar ExpensiveInt @cost(weight: 30)
      type ExpensiveObject @cost(weight: 40) { id: ID }
      type Query {
        fieldWithCost: Int @cost(weight: 5)
        argWithCost(arg: Int @cost(weight: 10)): Int
        enumWithCost: AorB
        inputWithCost(someInput: InputTypeWithCost): Int
        scalarWithCost: ExpensiveInt
        objectWithCost: ExpensiveObject
        enumArg(e: AorB): Int
      }`);
    const cost = (q: string) => analyzeLimits(s, parse(q)).cost;
    assert.equal(cost('{ fieldWithCost }'), 5);
    assert.equal(cost('{ argWithCost(arg: 3) }'), 10);
    assert.equal(cost('{ enumWithCost }'), 15);
    assert.equal(cost('{ inputWithCost(someInput: { somethingWithCost: 1 }) }'), 1 + 20);
    assert.equal(cost('{ scalarWithCost }'), 30);
    assert.equal(cost('{ objectWithCost { id } }'), 40);
    assert.equal(cost('{ enumArg(e: A) }'), 15);
  });
  it('introspection fields cost nothing', () => {
    assert.equal(run(getIntrospectionQuery()).cost, 0);
  });
});

describe('static measures', () => {
  it('depth counts like graphql-depth-limit', () => {
    assert.equal(run('{ me { id } }').depth, 1);
    assert.equal(run('{ __typename }').depth, 0);
    assert.equal(run('{ me { orders(first: 1) { customer { name } } } }').depth, 3);
    assert.equal(run('{ me { ...C } } fragment C on Customer { orders(first: 1) { id } }').depth, 2);
  });
  it('height counts distinct response keys; aliases and root fields', () => {
    const a = run('{ me { id id name } x: me { id } product(id: 1) { name } }');
    assert.equal(a.height, 3 + 2 + 2);
    assert.equal(a.aliases, 1);
    assert.equal(a.rootFields, 3);
    assert.equal(
      run('{ ...Q ... on Query { me { id } } } fragment Q on Query { me { id } product(id: 1) { id } }').rootFields,
      2,
    );
  });
  it('directives, with @skip/@include honoured for literals and variables', () => {
    const q = 'query($s: Boolean!) { me @skip(if: $s) { id name } product(id: 1) @include(if: true) { id } }';
    const skipped = run(q, { variables: { s: true } });
    assert.equal(skipped.height, 2);
    assert.equal(skipped.directives, 1);
    assert.equal(skipped.variableDependent, true);
    const kept = run(q, { variables: { s: false } });
    assert.equal(kept.height, 5);
    assert.equal(kept.directives, 2);
  });
  it('the standard introspection query passes with every option on; an ofType chain over the cap fails', () => {
    const full = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    const a = run(full);
    assert.deepEqual(a.violations, []);
    assert.equal(a.introspectionDepth, 14);
    const chain = `{ __type(name: "Query") { ${'ofType { '.repeat(20)}name${' }'.repeat(20)} } }`;
    const b = run(chain);
    assert.equal(b.introspectionDepth, 21);
    assert.deepEqual(
      b.violations.map((v) => [v.rule, v.code]),
      [['introspectionDepth', ErrorCode.MAX_DEPTH_LIMIT]],
    );
    assert.equal(b.depth, 0);
  });
  it('per-coordinate overrides: deeper under Query.catalog, fewer aliases of Mutation.login', () => {
    const deep = '{ catalog { categories { children { children { children { name } } } } } me { id } }';
    assert.equal(run(deep, { depth: 3 }).violations[0]?.rule, 'depth');
    const ok = run(deep, { depth: 3, cost: { max: false }, overrides: { 'Query.catalog': { depth: 6 } } });
    assert.deepEqual(ok.violations, []);
    assert.deepEqual(ok.coordinates['Query.catalog'], { depth: 5, aliases: 0 });
    const tooDeep = run(deep, { depth: 3, cost: { max: false }, overrides: { 'Query.catalog': { depth: 4 } } });
    assert.deepEqual(
      tooDeep.violations.map((v) => [v.rule, v.coordinate, v.measured, v.max]),
      [['depth', 'Query.catalog', 5, 4]],
    );
    const logins = 'mutation { a: login(email: "a", password: "1") b: login(email: "a", password: "2") }';
    const l = run(logins, { overrides: { 'Mutation.login': { aliases: 1 } } });
    assert.deepEqual(
      l.violations.map((v) => [v.rule, v.code, v.coordinate, v.measured]),
      [['aliases', ErrorCode.MAX_ALIASES_LIMIT, 'Mutation.login', 2]],
    );
  });
  it('fragments memoized per use: a fragment reused deeper keeps the right depth', () => {
    const q = `{ me { ...C } catalog { categories { children { children { products { related { reviews(first: 1) { edges { node { author { ...C } } } } } } } } } } }
      fragment C on Customer { orders(first: 1) { lines { product { name } } } }`;
    const a = run(q);
    assert.equal(a.depth, 13);
  });
  it('unknown and cyclic fragments are reported, never followed', () => {
    const u = run('{ me { ...Nope } }');
    assert.deepEqual(
      u.problems.map((p) => p.kind),
      ['unknownFragment'],
    );
    const c = run('{ me { ...A } } fragment A on Customer { ...B } fragment B on Customer { ...A }');
    assert.deepEqual(
      c.problems.map((p) => p.kind),
      ['cyclicFragment'],
    );
    assert.equal(c.depth, Number.POSITIVE_INFINITY);
    assert.equal(c.violations[0]?.code, ErrorCode.MAX_DEPTH_LIMIT);
    const d = run('{ me { ...A } } fragment A on Customer { orders { ...A } }');
    assert.equal(d.problems[0]?.kind, 'cyclicFragment');
  });
  it('operation selection by name', () => {
    const doc = 'query A { me { id } } query B { product(id: 1) { name price { amount } } }';
    assert.equal(run(doc, { operationName: 'B' }).depth, 2);
    assert.equal(run(doc).problems[0]?.kind, 'unknownOperation');
    assert.equal(run(doc, { operationName: 'C' }).problems[0]?.kind, 'unknownOperation');
  });
  it('exposeLimits: false keeps numbers out of messages', () => {
    const a = run('{ me { orders(first: 1) { customer { orders(first: 1) { id } } } } }', {
      depth: 2,
      exposeLimits: false,
    });
    assert.equal(a.violations[0]?.message, 'Operation depth is over the maximum.');
  });
});
