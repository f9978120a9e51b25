// What production tells a client, over real HTTP: no schema suggestions in variable coercion errors, no
// JavaScript engine message from the parser (documents nested too deep are refused before parsing), and
// persisted-query protocol errors with a client-error code and no server-side stack trace.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { rampart } from '@rampart/apollo';
import { getSecurityState } from '@rampart/core';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { exceedsNesting } from '../src/nesting.js';

const typeDefs = /* GraphQL */ `
  enum Color {
    RED
    GREEN
  }
  input LoginInput {
    email: String!
    password: String!
  }
  input Filter {
    and: [Filter!]
    name: String
  }
  type Query {
    hello: String
    login(input: LoginInput!): Boolean
    paint(color: Color): String
    find(filter: Filter): Int
    list(a: [[[[[[Int]]]]]]): Int
    me: String
  }
`;
const schema = () =>
  makeExecutableSchema({
    typeDefs,
    resolvers: {
      Query: {
        hello: () => 'world',
        login: () => true,
        paint: (_: unknown, { color }: { color: string }) => color,
        find: () => 1,
        list: () => 1,
        me: (_: unknown, __: unknown, ctx: unknown) => getSecurityState(ctx)?.principal.ip ?? null,
      },
    },
  });

/** Apollo's logger, every line kept. */
function collectingLogger() {
  const lines: string[] = [];
  const keep = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, logger: { debug: () => {}, info: () => {}, warn: keep('warn'), error: keep('error') } };
}

/** Counts the documents Apollo starts to parse. */
function parseCounter(): { count: { n: number }; plugin: ApolloServerPlugin<BaseContext> } {
  const count = { n: 0 };
  return {
    count,
    plugin: {
      async requestDidStart() {
        return {
          async parsingDidStart() {
            count.n++;
          },
        };
      },
    },
  };
}

async function serve(
  options: Parameters<typeof rampart>[0] = {},
  extra: { plugins?: ApolloServerPlugin<BaseContext>[]; persistedQueries?: false; door?: boolean } = {},
) {
  const security = rampart(options);
  const { lines, logger } = collectingLogger();
  const server = await startTestServer(
    {
      schema: security.transformSchema(schema()),
      ...security.serverOptions,
      plugins: [...security.plugins, ...(extra.plugins ?? [])],
      logger,
      ...(extra.persistedQueries === false ? { persistedQueries: false as const } : {}),
    },
    // door: false serves the plugins with a context function of the user's own (no check before parsing)
    { context: extra.door === false ? async () => ({}) : security.context() },
  );
  return { server, lines };
}

function withEnv<T>(value: string, run: () => Promise<T>): Promise<T> {
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = value;
  return run().finally(() => {
    process.env.NODE_ENV = previous;
  });
}

describe('variable coercion errors carry no schema suggestions', () => {
  let server: TestServer<any>;
  before(async () => {
    server = await withEnv('production', async () => (await serve()).server);
  });
  after(() => server.stop());

  it('a misspelt input field: BAD_USER_INPUT, HTTP 400, no "Did you mean"', async () => {
    const res = await postGraphQL(server.graphqlUrl, {
      query: 'query($input: LoginInput!) { login(input: $input) }',
      variables: { input: { email: 'a@b.c', pasword: 'x' } },
    });
    assert.equal(res.status, 400);
    assert.deepEqual(
      res.body.errors.map((e: any) => [e.extensions.code, e.message]),
      [
        [
          'BAD_USER_INPUT',
          'Variable "$input" got invalid value { email: "a@b.c", pasword: "x" }; Field "password" of required type "String!" was not provided.',
        ],
        [
          'BAD_USER_INPUT',
          'Variable "$input" got invalid value { email: "a@b.c", pasword: "x" }; Field "pasword" is not defined by type "LoginInput".',
        ],
      ],
    );
    assert.doesNotMatch(res.text, /Did you mean/);
  });

  it('a misspelt enum value: the enum values are not listed', async () => {
    const res = await postGraphQL(server.graphqlUrl, {
      query: 'query($c: Color) { paint(color: $c) }',
      variables: { c: 'REDD' },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.errors.length, 1);
    assert.equal(res.body.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.equal(
      res.body.errors[0].message,
      'Variable "$c" got invalid value "REDD"; Value "REDD" does not exist in "Color" enum.',
    );
  });

  it('hideSchemaDetailsFromClientErrors: false keeps them', async () => {
    const { server: open } = await serve({ hardening: { hideSchemaDetailsFromClientErrors: false } });
    try {
      const res = await postGraphQL(open.graphqlUrl, {
        query: 'query($c: Color) { paint(color: $c) }',
        variables: { c: 'REDD' },
      });
      assert.equal(res.status, 400);
      assert.match(res.body.errors[0].message, /Did you mean the enum value "RED"\?$/);
    } finally {
      await open.stop();
    }
  });
});

/**
 * The worst nesting shapes: `make(n)` nests `{ [ (` n levels deep; `worst` is the deepest that stays
 * under the 4,000-token cap.
 */
const shapes: Record<string, { make: (n: number) => string; worst: number }> = {
  'nested list values': { make: (n) => `{ list(a: ${'['.repeat(n)}1${']'.repeat(n)}) }`, worst: 1990 },
  'nested list values, never closed': { make: (n) => `{ list(a: ${'['.repeat(n)}`, worst: 3990 },
  'nested object values': {
    make: (n) => `{ find(filter: ${'{and:'.repeat(n)}{name:"x"}${'}'.repeat(n)}) }`,
    worst: 990,
  },
  'nested selection sets': { make: (n) => `{ ${'a{'.repeat(n)}b${'}'.repeat(n)} }`, worst: 1320 },
  'nested selection sets, never closed': { make: (n) => `{ ${'a{'.repeat(n)}`, worst: 1990 },
  'nested variable-definition types': {
    make: (n) => `query($v: ${'['.repeat(n)}Int${']'.repeat(n)}) { hello }`,
    worst: 1990,
  },
  'lists and objects mixed': {
    make: (n) => `{ find(filter: ${'{and:['.repeat(n / 2)}{name:"x"}${']}'.repeat(n / 2)}) }`,
    worst: 1320,
  },
  'a variable default value, never closed': {
    make: (n) => `query($v: Filter = ${'{and:['.repeat(n / 2)}`,
    worst: 1990,
  },
};

describe('documents nested too deep are refused before parsing', () => {
  let server: TestServer<any>;
  const parses = parseCounter();
  before(async () => {
    server = await withEnv('production', async () => (await serve({}, { plugins: [parses.plugin] })).server);
  });
  after(() => server.stop());

  for (const [name, { make, worst }] of Object.entries(shapes)) {
    for (const depth of [202, worst]) {
      it(`${name}, ${depth} levels: HTTP 400 MAX_DEPTH_LIMIT, never parsed`, async () => {
        const before = parses.count.n;
        const res = await postGraphQL(server.graphqlUrl, { query: make(depth) });
        assert.equal(res.status, 400, res.text.slice(0, 300));
        assert.equal(res.body.errors.length, 1);
        assert.equal(res.body.errors[0].extensions.code, 'MAX_DEPTH_LIMIT');
        assert.deepEqual(res.body.errors[0].extensions.nesting, { max: 200 });
        assert.doesNotMatch(res.text, /call stack/i);
        assert.equal(parses.count.n, before, 'the document reached the parser');
      });
    }
  }

  it('at the limit (200 levels) a document is parsed as usual', async () => {
    const res = await postGraphQL(server.graphqlUrl, {
      query: `query($v: ${'['.repeat(199)}Int${']'.repeat(199)}) { hello }`,
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED'); // $v is never used
    const ok = await postGraphQL(server.graphqlUrl, { query: `{ list(a: ${'['.repeat(6)}1${']'.repeat(6)}) }` });
    assert.deepEqual(ok.body, { data: { list: 1 } });
  });

  it('brackets in strings, block strings and comments do not count', async () => {
    const many = '[{('.repeat(400);
    const query = `# ${many}\n{ a: find(filter: { name: "${many}" }) b: find(filter: { name: """${many} \\""" ${many}""" }) }`;
    const res = await postGraphQL(server.graphqlUrl, { query });
    assert.deepEqual(res.body, { data: { a: 1, b: 1 } });
  });

  it('every operation of a batch and GET requests are checked too', async () => {
    const { server: batching } = await serve({ hardening: { batching: 2 } });
    try {
      const batch = await postGraphQL(batching.graphqlUrl, [
        { query: '{ hello }' },
        { query: shapes['nested list values']!.make(500) },
      ]);
      assert.equal(batch.status, 400);
      assert.equal(batch.body.errors[0].extensions.code, 'MAX_DEPTH_LIMIT');
    } finally {
      await batching.stop();
    }
    const url = `${server.graphqlUrl}?query=${encodeURIComponent(shapes['nested selection sets']!.make(500))}`;
    const get = await fetch(url, { headers: { 'apollo-require-preflight': '1' } });
    assert.equal(get.status, 400);
    const body = (await get.json()) as any;
    assert.equal(body.errors[0].extensions.code, 'MAX_DEPTH_LIMIT');
  });

  it('maxNesting is an option', async () => {
    const { server: strict } = await serve({ hardening: { maxNesting: 5 } });
    try {
      const res = await postGraphQL(strict.graphqlUrl, { query: `{ list(a: ${'['.repeat(6)}1${']'.repeat(6)}) }` });
      assert.equal(res.status, 400);
      assert.equal(res.body.errors[0].message, 'Document nesting is too deep: at most 5 levels of { [ ( are allowed.');
    } finally {
      await strict.stop();
    }
  });
});

describe('documents that reach Apollo without the door (a context function of your own)', () => {
  let server: TestServer<any>;
  let lines: string[];
  before(async () => {
    ({ server, lines } = await withEnv('production', () => serve({}, { door: false })));
  });
  after(() => server.stop());

  for (const [name, { make, worst }] of Object.entries(shapes)) {
    it(`${name}, ${worst} levels: HTTP 400 MAX_DEPTH_LIMIT, no engine message`, async () => {
      const res = await postGraphQL(server.graphqlUrl, { query: make(worst) });
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assert.equal(res.body.errors.length, 1);
      assert.doesNotMatch(res.text, /call stack|RangeError/i);
      // refused by the plugin: before execution, or the parser's overflow rewritten
      assert.equal(res.body.errors[0].extensions.code, 'MAX_DEPTH_LIMIT', res.text.slice(0, 300));
    });
  }

  it('an engine error from the parser is never shown (the stack overflows under a maxNesting set too high)', async () => {
    const { server: high } = await withEnv('production', () =>
      serve({ hardening: { maxNesting: 100_000 } }, { door: false }),
    );
    try {
      const res = await postGraphQL(high.graphqlUrl, { query: shapes['nested list values, never closed']!.make(3990) });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.errors, [
        {
          message: 'Document nesting is too deep: at most 100000 levels of { [ ( are allowed.',
          extensions: { nesting: { max: 100_000 }, code: 'MAX_DEPTH_LIMIT' },
        },
      ]);
    } finally {
      await high.stop();
    }
  });

  it('a valid document nested too deep is refused every time (Apollo caches it after the first)', async () => {
    const query = `{ find(filter: ${'{and:['.repeat(150)}{name:"x"}${']}'.repeat(150)}) }`;
    for (let i = 0; i < 3; i++) {
      const res = await postGraphQL(server.graphqlUrl, { query });
      assert.equal(res.status, 400);
      assert.equal(res.body.errors[0].extensions.code, 'MAX_DEPTH_LIMIT');
    }
    assert.deepEqual(
      lines.filter((l) => l.startsWith('error')),
      [],
    );
  });
});

describe('persisted-query protocol errors', () => {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const pq = (hash: string, version = 1) => ({ persistedQuery: { version, sha256Hash: hash } });

  it('each has a client-error code; nothing is logged', async () => {
    const { server, lines } = await withEnv('production', () => serve());
    try {
      const notFound = await postGraphQL(server.graphqlUrl, { extensions: pq(sha('{ hello }')) });
      assert.equal(notFound.status, 200); // Apollo's status: clients then send the query with its hash
      assert.deepEqual(notFound.body.errors, [
        { message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } },
      ]);
      const mismatch = await postGraphQL(server.graphqlUrl, { query: '{ hello }', extensions: pq(sha('{ other }')) });
      assert.equal(mismatch.status, 400);
      assert.deepEqual(mismatch.body.errors, [
        { message: 'provided sha does not match query', extensions: { code: 'PERSISTED_QUERY_HASH_MISMATCH' } },
      ]);
      const version = await postGraphQL(server.graphqlUrl, { query: '{ hello }', extensions: pq(sha('{ hello }'), 2) });
      assert.equal(version.status, 400);
      assert.deepEqual(version.body.errors, [
        { message: 'Unsupported persisted query version', extensions: { code: 'BAD_REQUEST' } },
      ]);
      // registering and then using the hash still works
      const registered = await postGraphQL(server.graphqlUrl, { query: '{ hello }', extensions: pq(sha('{ hello }')) });
      assert.deepEqual(registered.body, { data: { hello: 'world' } });
      const hit = await postGraphQL(server.graphqlUrl, { extensions: pq(sha('{ hello }')) });
      assert.deepEqual(hit.body, { data: { hello: 'world' } });
      assert.deepEqual(lines, []);
    } finally {
      await server.stop();
    }
  });

  it('with persisted queries off: PERSISTED_QUERY_NOT_SUPPORTED, nothing logged', async () => {
    const { server, lines } = await withEnv('production', () => serve({}, { persistedQueries: false }));
    try {
      const res = await postGraphQL(server.graphqlUrl, { query: '{ hello }', extensions: pq(sha('{ hello }')) });
      assert.equal(res.body.errors[0].extensions.code, 'PERSISTED_QUERY_NOT_SUPPORTED');
      assert.deepEqual(lines, []);
    } finally {
      await server.stop();
    }
  });
});

describe('the anonymous principal', () => {
  it("has the canonical address: an IPv4 client of a dual-stack server is '127.0.0.1', not '::ffff:127.0.0.1'", async () => {
    const security = rampart();
    const server = new ApolloServer({
      schema: security.transformSchema(schema()),
      ...security.serverOptions,
      plugins: security.plugins,
    });
    const { url } = await startStandaloneServer(server, {
      listen: { port: 0, host: '::' },
      context: security.context(),
    });
    try {
      const port = new URL(url).port;
      const v4 = await postGraphQL(`http://127.0.0.1:${port}/graphql`, { query: '{ me }' });
      assert.deepEqual(v4.body, { data: { me: '127.0.0.1' } });
      const v6 = await postGraphQL(`http://[::1]:${port}/graphql`, { query: '{ me }' });
      assert.deepEqual(v6.body, { data: { me: '::1' } });
    } finally {
      await server.stop();
    }
  });
});

describe('exceedsNesting', () => {
  it('counts { [ ( outside strings and comments, stops where the lexer would', () => {
    assert.equal(exceedsNesting('{ a { b } }', 1), true);
    assert.equal(exceedsNesting('{ a { b } }', 2), false);
    assert.equal(exceedsNesting('{ a } { b } { c }', 1), false);
    assert.equal(exceedsNesting('[[[', 2), true);
    assert.equal(exceedsNesting('] ] ] [[[', 2), true); // closing brackets never go below zero
    assert.equal(exceedsNesting('{ a(b: "[[[[") }', 2), false);
    assert.equal(exceedsNesting('{ a(b: "\\"[[[[") }', 2), false);
    assert.equal(exceedsNesting('{ a(b: """ \\""" [[[[ """) }', 2), false);
    assert.equal(exceedsNesting('# [[[[\n{ }', 2), false);
    assert.equal(exceedsNesting('# "\n[[[[', 2), true); // a quote in a comment opens no string
    assert.equal(exceedsNesting('{ a(b: "unterminated\n[[[[', 2), false); // the lexer stops at the line end
  });
});
