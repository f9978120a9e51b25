import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import {
  allow,
  and,
  authModule,
  chain,
  deny,
  inputRule,
  not,
  or,
  race,
  rule,
  type ShieldOptions,
  shield,
} from '@rampart/auth';
import {
  attachSecurityState,
  createPrincipal,
  getSecurityState,
  RampartConfigError,
  SecurityState,
} from '@rampart/core';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { type ExecutionResult, execute, type GraphQLSchema, graphql, parse } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import * as gs from 'graphql-shield';
import { z } from 'zod';

const typeDefs = /* GraphQL */ `
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

const alice = { id: 'u1', name: 'Alice', email: 'alice@example.test' };
const bob = { id: 'u2', name: 'Bob', email: 'bob@example.test' };
const orders = [
  { id: 'o1', total: 10, owner: alice },
  { id: 'o2', total: 20, owner: bob },
];
const resolvers = {
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

const baseSchema = () => makeExecutableSchema({ typeDefs, resolvers });

function ctxFor(roles: string[] = [], id = 'u1'): Record<string, unknown> {
  const ctx = {};
  attachSecurityState(
    ctx,
    new SecurityState({
      principal: createPrincipal({ id, kind: roles.includes('anon') ? 'anonymous' : 'user', roles, authMethod: 'jwt' }),
    }),
  );
  return ctx;
}

const principal = (ctx: unknown) => getSecurityState(ctx)!.principal;
const isAuthenticated = rule('isAuthenticated', { cache: 'contextual' })(
  (_p, _a, ctx) => principal(ctx).kind !== 'anonymous',
);
const isAdmin = rule('isAdmin', { cache: 'contextual' })((_p, _a, ctx) => principal(ctx).roles.has('admin'));
const isOwner = rule('isOwner', { cache: 'strict' })(
  (order: { owner: { id: string } }, _a, ctx) => order.owner.id === principal(ctx).id,
);

async function run(schema: GraphQLSchema, query: string, ctx = ctxFor(), variableValues?: Record<string, unknown>) {
  const r = (await graphql({ schema, source: query, contextValue: ctx, variableValues })) as ExecutionResult<any>;
  return { ...r, data: r.data === undefined ? undefined : JSON.parse(JSON.stringify(r.data)) } as ExecutionResult<any>;
}

const messages = (r: ExecutionResult) => (r.errors ?? []).map((e) => `${e.path?.join('.')}: ${e.message}`).sort();

describe('shield: schema transform', () => {
  it('wraps only the covered fields; every other resolver is untouched', () => {
    const schema = baseSchema();
    const s = shield({ Query: { orders: isAuthenticated }, Order: { total: isOwner } });
    const out = s.transformSchema(schema);
    assert.deepEqual([...s.covered.keys()].sort(), ['Order.total', 'Query.orders']);
    const q = out.getQueryType()!.getFields();
    assert.equal(q.me!.resolve, schema.getQueryType()!.getFields().me!.resolve);
    assert.equal(q.public!.resolve, schema.getQueryType()!.getFields().public!.resolve);
    assert.notEqual(q.orders!.resolve, schema.getQueryType()!.getFields().orders!.resolve);
    assert.equal((out.getType('Item') as any).getFields().a.resolve, undefined);
  });

  it('a synchronous rule keeps execution synchronous (no Promise introduced)', () => {
    const sync = rule('sync')(() => true);
    const out = shield({ Query: { items: sync }, Item: sync }).transformSchema(baseSchema());
    const result = execute({ schema: out, document: parse('{ items(n: 3) { a b } }'), contextValue: ctxFor() });
    assert.ok(!(result instanceof Promise), 'execute returned a Promise');
    assert.deepEqual(JSON.parse(JSON.stringify((result as ExecutionResult<any>).data.items)), [
      { a: 0, b: 0 },
      { a: 1, b: 2 },
      { a: 2, b: 4 },
    ]);
    const wrapped = (out.getType('Item') as any)
      .getFields()
      .a.resolve({ a: 1 }, {}, ctxFor(), { fieldName: 'a', path: { key: 'a' } });
    assert.equal(wrapped, 1);
  });

  it('fails at startup on unknown types and fields, and on field rules for a union', () => {
    const schema = baseSchema();
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ Qurey: { me: allow } }, 'rules.Qurey', /did you mean "Query"/],
      [{ Query: { mee: allow } }, 'rules.Query.mee', /not in the schema/],
      [{ SearchResult: { id: allow } }, 'rules.SearchResult.id', /is a union/],
      [{ String: allow }, 'rules.String', /not an object, interface or union/],
    ];
    for (const [tree, option, message] of cases) {
      assert.throws(
        () => shield(tree as never).transformSchema(schema),
        (e: unknown) => e instanceof RampartConfigError && e.option === option && message.test(e.message),
      );
    }
    assert.throws(() => shield({ Query: { me: (() => true) as never } }), /must be a rule/);
    assert.throws(
      () => shield({}, { fallbackRule: allow, fallbakError: 'x' } as ShieldOptions),
      /did you mean "fallbackError"/,
    );
  });
});

describe('shield: decisions and errors', () => {
  it('denies with FORBIDDEN, keeps partial data with no HTTP status on a field, records each decision', async () => {
    const out = shield({ Query: { orders: isAuthenticated }, Order: { total: isOwner } }).transformSchema(baseSchema());
    const ctx = ctxFor();
    const r = await run(out, '{ orders { id total } }', ctx);
    assert.deepEqual(r.data, {
      orders: [
        { id: 'o1', total: 10 },
        { id: 'o2', total: null },
      ],
    });
    assert.equal(r.errors?.length, 1);
    assert.equal(r.errors?.[0]?.message, 'Not Authorised!');
    assert.equal(r.errors?.[0]?.extensions.code, 'FORBIDDEN');
    assert.equal(r.errors?.[0]?.extensions.http, undefined);
    const events = getSecurityState(ctx)!.events.map((e) => [e.source, e.outcome, e.coordinate, e.rule, e.path]);
    assert.deepEqual(events, [
      ['rules', 'allowed', 'Query.orders', 'isAuthenticated', 'orders'],
      ['rules', 'allowed', 'Order.total', 'isOwner', 'orders.0.total'],
      ['rules', 'denied', 'Order.total', 'isOwner', 'orders.1.total'],
    ]);
  });

  it('custom errors: returned Error, returned string, fallbackError string/Error/function', async () => {
    const withError = rule('e')(() => new Error('custom reason'));
    const withString = rule('s')(() => 'string reason');
    const out = shield({ Query: { me: withError, public: withString } }).transformSchema(baseSchema());
    assert.deepEqual(messages(await run(out, '{ me { id } public }')), ['me: custom reason', 'public: string reason']);
    for (const [fallbackError, expected] of [
      ['nope', 'public: nope'],
      [new Error('nope error'), 'public: nope error'],
      [
        (_thrown: unknown, _p: unknown, _a: unknown, _c: unknown, info: any) => new Error(`no ${info.fieldName}`),
        'public: no public',
      ],
      [async () => new Error('async nope'), 'public: async nope'],
    ] as const) {
      const s = shield({ Query: { public: deny } }, { fallbackError: fallbackError as never }).transformSchema(
        baseSchema(),
      );
      const r = await run(s, '{ public me { id } }');
      assert.deepEqual(messages(r), [expected]);
      assert.equal(r.errors?.[0]?.extensions.code, 'FORBIDDEN');
    }
  });

  it('errors thrown by resolvers are never relabelled (graphql-shield masks them as "Not Authorised!")', async () => {
    const ours = shield({ Query: { boom: allow, '*': isAuthenticated } }).transformSchema(baseSchema());
    const r = await run(ours, '{ boom }');
    assert.deepEqual(messages(r), ['boom: database unavailable']);
    const theirs = applyMiddleware(baseSchema(), gs.shield({ Query: { boom: gs.rule()(() => true) } }));
    assert.deepEqual(messages(await run(theirs, '{ boom }')), ['boom: Not Authorised!']);
  });

  it('a rule that throws denies; allowExternalErrors/debug expose its error (still denied)', async () => {
    const throws = rule('throws')(() => {
      throw new Error('rule crashed');
    });
    const rejects = rule('rejects')(async () => {
      throw new Error('rule rejected');
    });
    const closed = shield({ Query: { me: throws, public: rejects } }).transformSchema(baseSchema());
    assert.deepEqual(messages(await run(closed, '{ me { id } public }')), [
      'me: Not Authorised!',
      'public: Not Authorised!',
    ]);
    for (const options of [{ allowExternalErrors: true }, { debug: true }]) {
      const open = shield({ Query: { me: throws, public: rejects } }, options).transformSchema(baseSchema());
      const r = await run(open, '{ me { id } public }');
      assert.deepEqual(messages(r), ['me: rule crashed', 'public: rule rejected']);
      assert.deepEqual(r.data, { me: null, public: null });
    }
  });

  it('fails closed inside not(), or() and race(); graphql-shield grants not(throwing)', async () => {
    const throws = rule('throws')(() => {
      throw new Error('x');
    });
    const asyncThrows = rule('asyncThrows')(async () => {
      throw new Error('x');
    });
    const no = rule('no')(() => false);
    for (const r of [
      not(throws),
      not(asyncThrows),
      or(throws, no),
      or(no, asyncThrows),
      race(throws, no),
      race(asyncThrows),
    ]) {
      const out = shield({ Query: { public: r } }).transformSchema(baseSchema());
      const res = await run(out, '{ public }');
      assert.deepEqual(res.data, { public: null }, r.name);
    }
    const theirs = applyMiddleware(
      baseSchema(),
      gs.shield({
        Query: {
          public: gs.not(
            gs.rule()(() => {
              throw new Error('x');
            }),
          ),
        },
      }),
    );
    assert.deepEqual((await run(theirs, '{ public }')).data, { public: 'hello' });
  });

  it('HTTP 403 when the denied field is the only root field; 200 with partial data otherwise; by option', async () => {
    const servers: TestServer<any>[] = [];
    try {
      const start = async (options?: ShieldOptions) => {
        const s = await startTestServer(
          {
            schema: shield(
              { Query: { order: isOwner as never, me: isAdmin }, Mutation: { '*': isAdmin } },
              options,
            ).transformSchema(baseSchema()),
          },
          { context: async () => ctxFor(['user']) },
        );
        servers.push(s);
        return s;
      };
      const s = await start();
      const only = await postGraphQL(s.graphqlUrl, { query: 'mutation { deleteOrder(id: "o1") }' });
      assert.equal(only.status, 403);
      assert.equal(only.body.errors[0].extensions.code, 'FORBIDDEN');
      assert.deepEqual(only.body.data, { deleteOrder: null });
      const viaFragment = await postGraphQL(s.graphqlUrl, { query: '{ ...F } fragment F on Query { me { id } }' });
      assert.equal(viaFragment.status, 403);
      const partial = await postGraphQL(s.graphqlUrl, { query: '{ me { id } public }' });
      assert.equal(partial.status, 200);
      assert.deepEqual(partial.body.data, { me: null, public: 'hello' });
      const nested = await postGraphQL(s.graphqlUrl, { query: '{ order(id: "o2") { id } }' });
      assert.equal(nested.status, 403);
      const never = await start({ forbiddenStatus: 'never' });
      assert.equal((await postGraphQL(never.graphqlUrl, { query: 'mutation { deleteOrder(id: "o1") }' })).status, 200);
      const always = await start({ forbiddenStatus: 'always' });
      assert.equal((await postGraphQL(always.graphqlUrl, { query: '{ me { id } public }' })).status, 403);
    } finally {
      for (const s of servers) await s.stop();
    }
  });
});

describe('shield: interfaces and unions', () => {
  it('a rule on an interface field applies to that field on every implementing type', async () => {
    const out = shield({ Node: { id: isAdmin } }).transformSchema(baseSchema());
    const r = await run(out, '{ me { id name } orders { id total } }');
    assert.deepEqual(r.data, {
      me: { id: null, name: 'Alice' },
      orders: [
        { id: null, total: 10 },
        { id: null, total: 20 },
      ],
    });
    assert.deepEqual((await run(out, '{ nodes { id } }', ctxFor(['admin']))).data, {
      nodes: [{ id: 'u2' }, { id: 'o2' }],
    });
    // graphql-shield silently ignores it
    const theirs = applyMiddleware(baseSchema(), gs.shield({ Node: { id: gs.deny } } as never));
    assert.deepEqual((await run(theirs, '{ me { id } }')).data, { me: { id: 'u1' } });
  });

  it('a rule on an interface or union type applies to every member type', async () => {
    const viaInterface = shield({ Node: isAdmin }).transformSchema(baseSchema());
    assert.deepEqual((await run(viaInterface, '{ me { name } }')).data, { me: { name: null } });
    const viaUnion = shield({ SearchResult: isAdmin }).transformSchema(baseSchema());
    const r = await run(viaUnion, '{ search { ... on User { name } ... on Order { total } } }');
    assert.deepEqual(r.data, { search: [{ name: null }, { total: null }] });
    assert.deepEqual((await run(viaUnion, '{ search { ... on User { name } } }', ctxFor(['admin']))).data, {
      search: [{ name: 'Alice' }, {}],
    });
  });

  it('the most restrictive wins when type-level and field-level rules meet', async () => {
    const out = shield({
      User: { email: allow, '*': allow },
      Node: { id: isAdmin },
      SearchResult: isAuthenticated,
    }).transformSchema(baseSchema());
    const anon = ctxFor(['anon']);
    const r = await run(out, '{ search { ... on User { email id } } me { email id } }', anon);
    assert.deepEqual(r.data, { search: [{ email: null, id: null }, {}], me: { email: null, id: null } });
    const admin = await run(out, '{ me { email id } }', ctxFor(['admin']));
    assert.deepEqual(admin.data, { me: { email: 'alice@example.test', id: 'u1' } });
  });
});

describe('shield: semantics match graphql-shield', () => {
  const t = rule('t')(() => true);
  const f = rule('f')(() => false);
  const e = rule('e')(() => new Error('custom'));
  const at = rule('at')(async () => true);
  const af = rule('af')(async () => false);
  const ae = rule('ae')(async () => 'async custom');
  const G = {
    t: gs.rule('t')(() => true),
    f: gs.rule('f')(() => false),
    e: gs.rule('e')(() => new Error('custom')),
    at: gs.rule('at')(async () => true),
    af: gs.rule('af')(async () => false),
    ae: gs.rule('ae')(async () => 'async custom'),
  };
  const cases: Array<[string, any, any]> = [
    ['and(t,at)', and(t, at), gs.and(G.t, G.at)],
    ['and(t,af)', and(t, af), gs.and(G.t, G.af)],
    ['and(at,e)', and(at, e), gs.and(G.at, G.e)],
    ['or(f,at)', or(f, at), gs.or(G.f, G.at)],
    ['or(af,e)', or(af, e), gs.or(G.af, G.e)],
    ['or(f,af)', or(f, af), gs.or(G.f, G.af)],
    ['not(f)', not(f), gs.not(G.f)],
    ['not(at)', not(at), gs.not(G.at)],
    ['not(t,msg)', not(t, 'negated'), gs.not(G.t, 'negated')],
    ['not(e)', not(e), gs.not(G.e)],
    ['chain(t,at)', chain(t, at), gs.chain(G.t, G.at)],
    ['chain(at,ae,f)', chain(at, ae, f), gs.chain(G.at, G.ae, G.f)],
    ['race(f,at)', race(f, at), gs.race(G.f, G.at)],
    ['race(af,ae)', race(af, ae), gs.race(G.af, G.ae)],
    ['allow', allow, gs.allow],
    ['deny', deny, gs.deny],
    ['and(or(f,t),not(af))', and(or(f, t), not(af)), gs.and(gs.or(G.f, G.t), gs.not(G.af))],
  ];
  for (const [name, ours, theirs] of cases) {
    it(`${name} gives the same data and error messages`, async () => {
      const a = await run(shield({ Query: { public: ours } }).transformSchema(baseSchema()), '{ public }');
      const b = await run(applyMiddleware(baseSchema(), gs.shield({ Query: { public: theirs } })), '{ public }');
      assert.deepEqual(a.data, b.data);
      assert.deepEqual(messages(a), messages(b));
    });
  }

  it('fallbackRule and the "*" wildcard behave like graphql-shield', async () => {
    const query = '{ me { id name } public orders { id } }';
    const a = await run(
      shield(
        { Query: { public: allow, '*': isAuthenticated }, User: { name: allow } },
        { fallbackRule: deny },
      ).transformSchema(baseSchema()),
      query,
    );
    const b = await run(
      applyMiddleware(
        baseSchema(),
        gs.shield(
          { Query: { public: gs.allow, '*': gs.rule()(() => true) }, User: { name: gs.allow } },
          { fallbackRule: gs.deny },
        ),
      ),
      query,
    );
    assert.deepEqual(a.data, b.data);
    assert.deepEqual(messages(a), messages(b));
  });

  it('rule trees built with graphql-shield constructors are accepted as is', async () => {
    const tree = {
      Query: {
        me: gs.and(
          gs.rule('auth', { cache: 'contextual' })(() => true),
          gs.allow,
        ),
        public: gs.not(gs.allow, 'blocked'),
      },
      Order: gs.or(
        gs.deny,
        gs.rule({ cache: 'strict' })((o: { id: string }) => o.id === 'o1'),
      ),
    };
    const r = await run(shield(tree as never).transformSchema(baseSchema()), '{ me { id } public orders { id } }');
    assert.deepEqual(r.data, { me: { id: 'u1' }, public: null, orders: [{ id: 'o1' }, { id: null }] });
    assert.deepEqual(messages(r), ['orders.1.id: Not Authorised!', 'public: blocked']);
  });

  it('caching: no_cache per field, contextual once per request, strict once per parent and arguments', async () => {
    const counts = { none: 0, contextual: 0, strict: 0 };
    const gcounts = { none: 0, contextual: 0, strict: 0 };
    const mk = (c: typeof counts, make: typeof rule | typeof gs.rule) => ({
      none: (make as typeof rule)('n')(() => ++c.none > 0),
      contextual: (make as typeof rule)('c', { cache: 'contextual' })(() => ++c.contextual > 0),
      strict: (make as typeof rule)('s', { cache: 'strict' })(() => ++c.strict > 0),
    });
    const ours = mk(counts, rule);
    const theirs = mk(gcounts, gs.rule as never);
    const tree = (r: any) => ({ Item: { a: r.none, b: r.contextual }, Order: { id: r.strict, total: r.strict } });
    const q = '{ items(n: 5) { a b } orders { id total } again: orders { id } }';
    await run(shield(tree(ours)).transformSchema(baseSchema()), q);
    await run(applyMiddleware(baseSchema(), gs.shield(tree(theirs))), q);
    assert.deepEqual(counts, { none: 5, contextual: 1, strict: 2 });
    assert.deepEqual(gcounts, counts);
  });

  it('inputRule validates arguments with a Standard Schema (zod)', async () => {
    const shortText = inputRule('shortText')(z.object({ text: z.string().max(5) }));
    const out = shield({ Query: { echo: shortText } }).transformSchema(baseSchema());
    assert.deepEqual((await run(out, '{ echo(text: "hi") }')).data, { echo: 'hi' });
    const r = await run(out, '{ echo(text: "far too long") }');
    assert.deepEqual(r.data, { echo: null });
    assert.equal(r.errors?.[0]?.extensions.code, 'FORBIDDEN');
    assert.match(r.errors?.[0]?.message ?? '', /^Invalid arguments: text: /);
    assert.throws(() => inputRule('bad')({} as never), /Standard Schema/);
  });
});

describe('authModule with rules', () => {
  const servers: TestServer<any>[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });
  it('exposes the shield transform and refuses a rules value that is not a shield', () => {
    const m = authModule({ rules: shield({ Query: { public: deny } }) });
    assert.equal(typeof m.transformSchema, 'function');
    assert.equal(m.name, 'auth');
    assert.throws(() => authModule({ rules: { Query: {} } as never }), /result of shield/);
  });
});
