import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allow, and, chain, deny, inputRule, not, or, race, rule, shield } from '@rampart/auth';
import { applyMiddleware } from 'graphql-middleware';
import * as gs from 'graphql-shield';
import { z } from 'zod';
import { baseSchema, isAuthenticated, messages, run } from './rules-fixtures.js';

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

  it('strict caching keys on the arguments too: the same arguments once per parent, other arguments again', async () => {
    const counts = { strict: 0 };
    const gcounts = { strict: 0 };
    const ours = rule('s', { cache: 'strict' })(() => ++counts.strict > 0);
    const theirs = gs.rule('s', { cache: 'strict' })(() => ++gcounts.strict > 0);
    // Query.items three times on the same root value: (n: 2) twice, (n: 3) once; Order.id and Order.total
    // share their parent and their (empty) arguments
    const q = '{ items(n: 2) { a } same: items(n: 2) { b } other: items(n: 3) { a } orders { id total } }';
    const tree = (r: any) => ({ Query: { items: r }, Order: { id: r, total: r } });
    const a = await run(shield(tree(ours)).transformSchema(baseSchema()), q);
    const b = await run(applyMiddleware(baseSchema(), gs.shield(tree(theirs))), q);
    assert.deepEqual(a.data, b.data);
    assert.equal(gcounts.strict, 2 + 2);
    assert.deepEqual(counts, gcounts);
    // a second request evaluates again
    await run(shield(tree(ours)).transformSchema(baseSchema()), q);
    assert.equal(counts.strict, 2 * (2 + 2));
  });

  it("inputRule keeps the validator's own message, as graphql-shield does; reason and issues go to extensions", async () => {
    const schema = z.object({ text: z.string().max(5) });
    const shortText = inputRule('shortText')(schema);
    const out = shield({ Query: { echo: shortText } }).transformSchema(baseSchema());
    assert.deepEqual((await run(out, '{ echo(text: "hi") }')).data, { echo: 'hi' });
    const r = await run(out, '{ echo(text: "far too long") }');
    assert.deepEqual(r.data, { echo: null });
    const zodMessage = schema.safeParse({ text: 'far too long' }).error?.issues[0]?.message;
    assert.equal(r.errors?.[0]?.message, zodMessage);
    const { http, ...extensions } = r.errors?.[0]?.extensions ?? {};
    assert.equal((http as { status?: number }).status, 403); // the only root field
    assert.deepEqual(extensions, {
      code: 'FORBIDDEN',
      reason: 'Invalid arguments',
      issues: [{ path: 'text', message: zodMessage }],
    });
    const named = shield({ Query: { echo: inputRule('n')(schema, { message: 'Echo too long' }) } });
    const n = await run(named.transformSchema(baseSchema()), '{ echo(text: "far too long") }');
    assert.deepEqual([n.errors?.[0]?.message, n.errors?.[0]?.extensions.reason], [zodMessage, 'Echo too long']);
    // the oracle: graphql-shield's (yup) inputRule answers with yup's message, no prefix
    const theirs = gs.inputRule('shortText')((yup) => yup.object({ text: yup.string().max(5) }));
    const t = await run(
      applyMiddleware(baseSchema(), gs.shield({ Query: { echo: theirs } })),
      '{ echo(text: "far too long") }',
    );
    assert.deepEqual(messages(t), ['echo: text must be at most 5 characters']);
    assert.throws(() => inputRule('bad')({} as never), /Standard Schema/);
  });
});
