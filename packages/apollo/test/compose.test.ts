import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { composePlugins } from '@rampart/apollo';
import { ErrorCode, HOOK_DONE, rampartError, type SynchronousStartPlugin } from '@rampart/core';
import { postGraphQL, startTestServer } from '@rampart/testing';

const schema = () =>
  makeExecutableSchema({
    typeDefs: 'type Query { a: Int b: String }',
    resolvers: { Query: { a: () => 1, b: () => 'x' } },
  });

/** A plugin that writes every hook it sees, with its name, to `log`. */
function recorder(name: string, log: string[], extra: Partial<Record<string, unknown>> = {}) {
  return {
    async requestDidStart() {
      log.push(`${name}.requestDidStart`);
      return {
        async didResolveSource() {
          log.push(`${name}.didResolveSource`);
        },
        async parsingDidStart() {
          log.push(`${name}.parsingDidStart`);
          return async () => {
            log.push(`${name}.parsingDidEnd`);
          };
        },
        async didResolveOperation() {
          log.push(`${name}.didResolveOperation`);
        },
        async executionDidStart() {
          log.push(`${name}.executionDidStart`);
          return {
            async executionDidEnd() {
              log.push(`${name}.executionDidEnd`);
            },
          };
        },
        async willSendResponse() {
          log.push(`${name}.willSendResponse`);
        },
        ...extra,
      };
    },
  } as ApolloServerPlugin<BaseContext>;
}

describe('composePlugins', () => {
  it('runs every part in order, end hooks and executionDidEnd in reverse, like separate plugins', async () => {
    const composedLog: string[] = [];
    const separateLog: string[] = [];
    for (const [plugins, log] of [
      [[composePlugins([recorder('p1', composedLog), recorder('p2', composedLog)])], composedLog],
      [[recorder('p1', separateLog), recorder('p2', separateLog)], separateLog],
    ] as const) {
      const server = await startTestServer({ schema: schema(), plugins: [...plugins] });
      try {
        const res = await postGraphQL(server.url, { query: '{ a }' });
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, { data: { a: 1 } });
      } finally {
        await server.stop();
      }
      assert.ok(log.length > 0);
    }
    assert.deepEqual(composedLog, separateLog);
    assert.deepEqual(composedLog, [
      'p1.requestDidStart',
      'p2.requestDidStart',
      'p1.didResolveSource',
      'p2.didResolveSource',
      'p1.parsingDidStart',
      'p2.parsingDidStart',
      'p2.parsingDidEnd',
      'p1.parsingDidEnd',
      'p1.didResolveOperation',
      'p2.didResolveOperation',
      'p1.executionDidStart',
      'p2.executionDidStart',
      'p2.executionDidEnd',
      'p1.executionDidEnd',
      'p1.willSendResponse',
      'p2.willSendResponse',
    ]);
  });

  it('a rejection in one part refuses the operation with that error; no resolver runs', async () => {
    let resolved = 0;
    const refusing: ApolloServerPlugin<BaseContext> = {
      async requestDidStart() {
        return {
          async didResolveOperation() {
            throw rampartError(ErrorCode.FORBIDDEN, 'no');
          },
        };
      },
    };
    const server = await startTestServer({
      schema: makeExecutableSchema({
        typeDefs: 'type Query { a: Int }',
        resolvers: { Query: { a: () => ++resolved } },
      }),
      plugins: [composePlugins([recorder('p1', []), refusing, recorder('p3', [])])],
    });
    try {
      const res = await postGraphQL(server.url, { query: '{ a }' });
      assert.equal(res.status, 403);
      assert.equal(res.body.errors[0].extensions.code, 'FORBIDDEN');
      assert.equal(resolved, 0);
    } finally {
      await server.stop();
    }
  });

  it('responseForOperation: the first part that answers wins, later parts are not asked', async () => {
    const asked: string[] = [];
    const answering = (name: string, answer: boolean): ApolloServerPlugin<BaseContext> => ({
      async requestDidStart() {
        return {
          async responseForOperation() {
            asked.push(name);
            return answer
              ? {
                  http: { status: undefined, headers: new Map() as never },
                  body: { kind: 'single', singleResult: { data: { a: 42 } } },
                }
              : null;
          },
        };
      },
    });
    const server = await startTestServer({
      schema: schema(),
      plugins: [composePlugins([answering('first', false), answering('second', true), answering('third', true)])],
    });
    try {
      const res = await postGraphQL(server.url, { query: '{ a }' });
      assert.deepEqual(res.body, { data: { a: 42 } });
      assert.deepEqual(asked, ['first', 'second']);
    } finally {
      await server.stop();
    }
  });

  it('composes willResolveField only when a part has it, and calls field end hooks in reverse', async () => {
    const log: string[] = [];
    const fieldTracer = (name: string): ApolloServerPlugin<BaseContext> => ({
      async requestDidStart() {
        return {
          async executionDidStart() {
            return {
              willResolveField({ info }) {
                log.push(`${name}>${info.fieldName}`);
                return () => log.push(`${name}<${info.fieldName}`);
              },
            };
          },
        };
      },
    });
    const server = await startTestServer({
      schema: schema(),
      plugins: [composePlugins([fieldTracer('t1'), recorder('plain', []), fieldTracer('t2')])],
    });
    try {
      const res = await postGraphQL(server.url, { query: '{ a }' });
      assert.deepEqual(res.body, { data: { a: 1 } });
      assert.deepEqual(log, ['t2>a', 't1>a', 't1<a', 't2<a']);
    } finally {
      await server.stop();
    }
  });

  it('forwards server hooks: serverWillStart listeners, serverWillStop, contextCreationDidFail', async () => {
    const events: string[] = [];
    const serverPlugin = (name: string): ApolloServerPlugin<BaseContext> => ({
      async serverWillStart() {
        events.push(`${name}.serverWillStart`);
        return {
          async serverWillStop() {
            events.push(`${name}.serverWillStop`);
          },
        };
      },
      async contextCreationDidFail() {
        events.push(`${name}.contextCreationDidFail`);
      },
    });
    const server = await startTestServer(
      { schema: schema(), plugins: [composePlugins([serverPlugin('s1'), serverPlugin('s2')])] },
      {
        context: async () => {
          throw rampartError(ErrorCode.UNAUTHENTICATED, 'who?');
        },
      },
    );
    const res = await postGraphQL(server.url, { query: '{ a }' });
    assert.equal(res.status, 401);
    await server.stop();
    assert.deepEqual(events, [
      's1.serverWillStart',
      's2.serverWillStart',
      's1.contextCreationDidFail',
      's2.contextCreationDidFail',
      's1.serverWillStop',
      's2.serverWillStop',
    ]);
  });

  it('calls the hooks of class-based plugins with their instance as `this`', async () => {
    class Counting {
      started = 0;
      failed = 0;
      async requestDidStart() {
        this.started++;
      }
      async contextCreationDidFail() {
        this.failed++;
      }
    }
    const counting = new Counting();
    const server = await startTestServer(
      { schema: schema(), plugins: [composePlugins([counting as ApolloServerPlugin<BaseContext>])] },
      {
        context: async ({ req }: { req: { headers: Record<string, unknown> } }) => {
          if (req.headers['x-fail']) throw rampartError(ErrorCode.UNAUTHENTICATED, 'who?');
          return {};
        },
      },
    );
    try {
      assert.equal((await postGraphQL(server.url, { query: '{ a }' })).status, 200);
      assert.equal((await postGraphQL(server.url, { query: '{ a }' }, { headers: { 'x-fail': '1' } })).status, 401);
      assert.equal(counting.started, 1);
      assert.equal(counting.failed, 1);
    } finally {
      await server.stop();
    }
  });

  it('a part without requestDidStart or with no listener for this request costs no listener', async () => {
    const composite = composePlugins([{}, { async requestDidStart() {} }]);
    assert.equal(composite.requestDidStart !== undefined, true);
    assert.equal(await composite.requestDidStart!({} as never), undefined);
    assert.equal(composePlugins([{}]).requestDidStart, undefined);
  });

  it('starts a part through startRequest when it has one (requestDidStart is not called), and waits for a start that returns a promise', async () => {
    const log: string[] = [];
    const direct: SynchronousStartPlugin = {
      startRequest: () => {
        log.push('direct.startRequest');
        return { didResolveOperation: async () => void log.push('direct.didResolveOperation') };
      },
      async requestDidStart() {
        log.push('direct.requestDidStart');
        return undefined;
      },
    };
    const waiting: SynchronousStartPlugin = {
      startRequest: () =>
        new Promise((resolve) =>
          setImmediate(() => {
            log.push('waiting.started');
            resolve({ didResolveOperation: async () => void log.push('waiting.didResolveOperation') });
          }),
        ),
      async requestDidStart() {
        throw new Error('not called');
      },
    };
    const server = await startTestServer({
      schema: schema(),
      plugins: [composePlugins([direct, recorder('plain', log), waiting])],
    });
    try {
      const res = await postGraphQL(server.url, { query: '{ a }' });
      assert.deepEqual(res.body, { data: { a: 1 } });
    } finally {
      await server.stop();
    }
    assert.deepEqual(log.slice(0, 4), [
      'direct.startRequest',
      'plain.requestDidStart',
      'waiting.started',
      'plain.didResolveSource',
    ]);
    assert.equal(log.includes('direct.requestDidStart'), false);
    assert.deepEqual(
      log.filter((l) => l.endsWith('didResolveOperation')),
      ['direct.didResolveOperation', 'plain.didResolveOperation', 'waiting.didResolveOperation'],
    );
  });

  it('a start that throws fails the request with that error (no crash), like a rejecting requestDidStart', async () => {
    const throwing: SynchronousStartPlugin = {
      startRequest: () => {
        throw rampartError(ErrorCode.FORBIDDEN, 'not here');
      },
      async requestDidStart() {
        throw rampartError(ErrorCode.FORBIDDEN, 'not here');
      },
    };
    const server = await startTestServer({
      schema: schema(),
      plugins: [composePlugins([recorder('p', []), throwing])],
    });
    try {
      const res = await postGraphQL(server.url, { query: '{ a }' });
      assert.equal(res.status, 500);
      assert.equal(res.body.errors.length, 1);
    } finally {
      await server.stop();
    }
  });

  it('a hook every part finished synchronously (HOOK_DONE) gives HOOK_DONE; one pending part is waited for', async () => {
    let release!: () => void;
    const done = { didResolveOperation: () => HOOK_DONE, willSendResponse: () => HOOK_DONE };
    const pending = {
      didResolveOperation: () => HOOK_DONE,
      willSendResponse: () => new Promise<void>((resolve) => (release = resolve)),
    };
    const composite = composePlugins([
      { requestDidStart: async () => done },
      { requestDidStart: async () => ({ ...done }) },
      { requestDidStart: async () => pending },
    ]);
    const listener = (await composite.requestDidStart!({} as never))!;
    assert.equal(listener.didResolveOperation!({} as never), HOOK_DONE);
    let sent = false;
    const sending = listener.willSendResponse!({} as never).then(() => {
      sent = true;
    });
    assert.notEqual(sending, HOOK_DONE);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(sent, false);
    release();
    await sending;
    assert.equal(sent, true);
  });

  it('refuses two landing pages, as Apollo does', async () => {
    const page: ApolloServerPlugin<BaseContext> = {
      async serverWillStart() {
        return { renderLandingPage: async () => ({ html: '<p>' }) };
      },
    };
    await assert.rejects(composePlugins([page, page]).serverWillStart!({} as never), /renderLandingPage/);
  });
});
