import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { allow, and, authModule, deny, not, or, race, rule, type ShieldOptions, shield } from '@rampart/auth';
import { getSecurityState, RampartConfigError } from '@rampart/core';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { type ExecutionResult, execute, parse } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import * as gs from 'graphql-shield';
import { baseSchema, ctxFor, isAdmin, isAuthenticated, isOwner, messages, run } from './rules-fixtures.js';

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

  it('rules that always allow wrap nothing (allow, or(x, allow), and(allow, allow), not(deny), race(allow, x)); deny and real rules still do', () => {
    const schema = baseSchema();
    const s = shield(
      {
        Query: { orders: or(isAuthenticated, allow), me: not(deny), public: race(allow, isAdmin) },
        Item: allow,
        Order: { total: and(allow, allow), '*': not(allow) },
      },
      { fallbackRule: allow },
    );
    const out = s.transformSchema(schema);
    const q = out.getQueryType()!.getFields();
    assert.equal(q.orders!.resolve, schema.getQueryType()!.getFields().orders!.resolve);
    assert.equal(q.me!.resolve, schema.getQueryType()!.getFields().me!.resolve);
    assert.equal((out.getType('Item') as any).getFields().a.resolve, undefined);
    // not(allow) denies: every other Order field is wrapped; total (always allowed) is not
    assert.ok(s.covered.has('Order.id'));
    assert.ok(!s.covered.has('Order.total'));
    assert.deepEqual(
      [...s.covered.keys()].filter((c) => !c.startsWith('Order.')),
      [],
    );
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
    assert.throws(() => shield({ Query: { me: (() => true) as never } }), /rules.Query.me: not a rule: a function/);
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
