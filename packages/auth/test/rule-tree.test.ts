import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import {
  allow,
  and,
  authModule,
  chain,
  deny,
  inputRule,
  LogicRule,
  not,
  or,
  race,
  rule,
  type ShieldRule,
  shield,
} from '@rampart/auth';
import { attachSecurityState, RampartConfigError, requestInfoFrom, SecurityState } from '@rampart/core';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import * as gs from 'graphql-shield';
import { z } from 'zod';
import { baseSchema, isAdmin, isAuthenticated, run } from './rules-fixtures.js';

/** Asserts that building the shield fails at startup with a RampartConfigError at `option`. */
function refused(build: () => unknown, option: string, message?: RegExp): void {
  assert.throws(build, (e: unknown) => {
    assert.ok(e instanceof RampartConfigError, `not a RampartConfigError: ${String(e)}`);
    assert.equal(e.option, option);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('shield: the whole rule tree is checked at startup', () => {
  it('refuses what is not a rule at any depth, naming its place in the tree', () => {
    refused(() => shield({ Query: { public: or(deny, true as never) } }), 'rules.Query.public.or[1]', /boolean true/);
    refused(() => shield({ Query: { public: not('deny' as never) } }), 'rules.Query.public.not', /the string "deny"/);
    refused(
      () => shield({ Query: { order: and(isAuthenticated, not(null as never)) } }),
      'rules.Query.order.and[1].not',
      /not a rule: null/,
    );
    refused(
      () => shield({ Order: chain(allow, race(isAdmin, (() => true) as never)) }),
      'rules.Order.chain[1].race[1]',
      /a function/,
    );
    refused(() => shield({ Query: { me: gs.and(gs.allow, 42 as never) as never } }), 'rules.Query.me.and[1]');
    refused(() => shield(or(allow, undefined as never)), 'rules.or[1]');
    refused(() => shield({}, { fallbackRule: and(allow, {} as never) }), 'rules.fallbackRule.and[1]', /not a rule/);
    refused(() => shield({ Query: { me: new LogicRule('xor' as never, []) } }), 'rules.Query.me', /unknown logic/);
    refused(() => shield({ Query: { me: new LogicRule('not', [allow, deny]) } }), 'rules.Query.me', /exactly one/);
    const loop = and(allow);
    (loop.rules as ShieldRule[]).push(loop);
    refused(() => shield({ Query: { me: loop } }), 'rules.Query.me.and[1]', /contains itself/);
  });

  it('converts graphql-shield rule objects at any depth, also inside Rampart logic rules', async () => {
    const gsFirst = gs.rule('gsFirst')((_p, args: { id: string }) => args.id === 'o1') as never;
    const tree = {
      Query: {
        order: and(isAuthenticated, or(deny, gsFirst), not(gs.deny as never)),
        public: race(gs.not(gs.allow, 'refused by gs.not') as never, gs.and(gs.allow, isAdmin as never) as never),
      },
    };
    const out = shield(tree).transformSchema(baseSchema());
    const first = await run(out, '{ order(id: "o1") { id } }');
    assert.deepEqual([first.data, first.errors], [{ order: { id: 'o1' } }, undefined]);
    const other = await run(out, '{ order(id: "o2") { id } public }');
    assert.deepEqual(other.data, { order: null, public: null });
    assert.deepEqual(
      other.errors?.map((e) => [e.path?.join('.'), e.message, e.extensions.code]),
      [
        ['order', 'Not Authorised!', 'FORBIDDEN'],
        ['public', 'refused by gs.not', 'FORBIDDEN'],
      ],
    );
  });

  it('refuses two different rules with one name; one rule used in many places is fine (graphql-shield agrees)', () => {
    const a = rule('isStaff')(() => true);
    const b = rule('isStaff')(() => false);
    refused(
      () => shield({ Query: { me: a }, Order: and(allow, or(deny, b)) }),
      'rules.Order.and[1].or[1]',
      /another rule is already named "isStaff" \(at rules\.Query\.me\)/,
    );
    refused(() => shield({ Query: { me: a } }, { fallbackRule: b }), 'rules.fallbackRule', /"isStaff"/);
    const schema = z.object({ id: z.string() });
    refused(
      () => shield({ Query: { order: inputRule('v')(schema), echo: inputRule('v')(schema) } }),
      'rules.Query.echo',
    );
    const ga = gs.rule('isStaff')(() => true);
    refused(() => shield({ Query: { me: a, public: ga as never } }), 'rules.Query.public', /"isStaff"/);
    assert.throws(
      () => gs.shield({ Query: { me: ga, public: gs.rule('isStaff')(() => false) } }),
      /multiple definitions of these rules: isStaff/,
    );

    shield({ Query: { me: a, public: and(a, not(a)) }, Order: a }, { fallbackRule: or(a, deny) });
    // the same graphql-shield function written twice is one rule, as graphql-shield sees it
    const fn = () => true;
    shield({ Query: { me: gs.rule('same')(fn) as never, public: gs.rule('same')(fn) as never } });
    gs.shield({ Query: { me: gs.rule('same')(fn), public: gs.rule('same')(fn) } });
  });

  it('refuses rules on introspection types and fields', () => {
    refused(() => shield({ __Type: deny }), 'rules.__Type', /introspection type/);
    refused(() => shield({ __Schema: { types: isAdmin } }), 'rules.__Schema', /introspection type/);
    refused(() => shield({ __Directive: { '*': deny } }), 'rules.__Directive');
    refused(() => shield({ Query: { __typename: deny } }), 'rules.Query.__typename', /introspection field/);
  });

  it('a shield that fails never reaches the module or the server', () => {
    assert.throws(() => authModule({ rules: shield({ Query: { me: or(deny, 'x' as never) } }) }), RampartConfigError);
  });
});

describe('rules over HTTP: nested graphql-shield rules and rules that throw', () => {
  const typeDefs = /* GraphQL */ `
    type Query {
      public: String
      secret(n: Int!): String
      crash: String
      crashAsync: String
      crashNested: String
    }
  `;
  const resolvers = {
    Query: {
      public: () => 'hello',
      secret: (_: unknown, { n }: { n: number }) => `secret ${n}`,
      crash: () => 'never shown',
      crashAsync: () => 'never shown',
      crashNested: () => 'never shown',
    },
  };
  const crashes = rule('crashes')(() => {
    throw new TypeError('rule bug: cannot read the tenant');
  });
  const rejects = rule('rejects')(async () => {
    throw new Error('rule bug: lookup rejected');
  });
  const throwsString = rule('throwsString')(() => {
    throw 'not an Error';
  });
  const gsEven = gs.rule('gsEven', { cache: 'strict' })((_p, args: { n: number }) => args.n % 2 === 0);
  const logged: string[] = [];
  const logger = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (message: string) => void logged.push(message),
  };
  let server: TestServer<any>;
  before(async () => {
    const m = authModule({
      rules: shield({
        Query: {
          secret: and(allow, or(deny, gsEven as never), not(gs.deny as never)),
          crash: or(deny, crashes),
          crashAsync: and(allow, rejects),
          crashNested: not(or(throwsString, crashes)),
        },
      }),
    });
    assert.equal(m.plugins?.length, 2, 'the shield plugin (logger for the rules) and the authentication log plugin');
    server = await startTestServer(
      { schema: m.transformSchema!(makeExecutableSchema({ typeDefs, resolvers })), plugins: [...m.plugins!], logger },
      {
        context: async ({ req }: { req: IncomingMessage }) => {
          const request = requestInfoFrom(req);
          const state = new SecurityState({ headers: request.headers });
          await m.onRequest!(state, request);
          const ctx = {};
          attachSecurityState(ctx, state);
          return ctx;
        },
      },
    );
  });
  after(async () => {
    await server.stop();
  });

  it('a graphql-shield rule inside Rampart logic rules allows and denies with FORBIDDEN', async () => {
    const ok = await postGraphQL(server.graphqlUrl, { query: '{ secret(n: 2) }' });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { data: { secret: 'secret 2' } });
    const no = await postGraphQL(server.graphqlUrl, { query: '{ secret(n: 3) }' });
    assert.equal(no.status, 403);
    assert.deepEqual(no.body.data, { secret: null });
    assert.deepEqual(
      no.body.errors.map((e: any) => [e.message, e.extensions.code]),
      [['Not Authorised!', 'FORBIDDEN']],
    );
  });

  it('a rule that throws denies its field with FORBIDDEN and is logged once per rule, not per request', async () => {
    const query = { query: '{ public crash crashAsync crashNested }' };
    for (let i = 0; i < 3; i++) {
      const res = await postGraphQL(server.graphqlUrl, query);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.data, { public: 'hello', crash: null, crashAsync: null, crashNested: null });
      assert.deepEqual(res.body.errors.map((e: any) => [e.path.join('.'), e.message, e.extensions.code]).sort(), [
        ['crash', 'Not Authorised!', 'FORBIDDEN'],
        ['crashAsync', 'Not Authorised!', 'FORBIDDEN'],
        ['crashNested', 'Not Authorised!', 'FORBIDDEN'],
      ]);
    }
    const rampartLines = logged.filter((l) => l.startsWith('[rampart] rule '));
    assert.equal(rampartLines.length, 3, rampartLines.join('\n'));
    const byRule = (name: string) => rampartLines.filter((l) => l.startsWith(`[rampart] rule "${name}" threw`));
    assert.match(byRule('crashes')[0] ?? '', /TypeError: rule bug: cannot read the tenant\n\s+at /);
    assert.match(byRule('rejects')[0] ?? '', /Error: rule bug: lookup rejected/);
    assert.match(byRule('throwsString')[0] ?? '', /non-Error thrown: not an Error/);
  });
});

describe('shield: the logger option', () => {
  it('takes any logger with error(); refuses anything else at startup', async () => {
    const lines: string[] = [];
    const boom = rule('boom')(() => {
      throw new Error('kaput');
    });
    const out = shield({ Query: { public: boom, me: boom } }, { logger: { error: (m) => lines.push(m) } });
    const schema = out.transformSchema(baseSchema());
    for (let i = 0; i < 2; i++) {
      const r = await run(schema, '{ public me { id } }');
      assert.deepEqual(r.data, { public: null, me: null });
    }
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /^\[rampart\] rule "boom" threw, so it denies \(logged once per rule\): Error: kaput/);
    refused(() => shield({}, { logger: console.error as never }), 'rules.logger', /error\(message\)/);
  });
});
