/**
 * Rampart behind AWS Lambda (`@as-integrations/aws-lambda`): the handler is invoked directly with real
 * API Gateway events, REST (v1: header names in the client's case, the peer in
 * `requestContext.identity.sourceIp`, a base64 body) and HTTP API (v2: the peer in
 * `requestContext.http.sourceIp`). The same checks as the HTTP integrations.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { handlers, startServerAndCreateLambdaHandler } from '@as-integrations/aws-lambda';
import type { SecurityState } from '@rampart/core';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import {
  type Answer,
  checkAudit,
  checkDepth,
  checkDpop,
  checkJunkToken,
  checkMissingScope,
  checkRateLimit,
  checkValidToken,
  type GuardedApi,
  guardedApi,
  type Issuer,
  type Send,
  startIssuer,
  userContext,
} from './transports/harness.js';

let issuer: Issuer;
before(async () => {
  issuer = await startIssuer();
});
after(async () => {
  await issuer.close();
});

/** The Lambda context object the runtime passes (nothing in it is read). */
const lambdaContext = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'graphql',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:graphql',
  memoryLimitInMB: '512',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  logGroupName: '/aws/lambda/graphql',
  logStreamName: '2026/01/01/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
} satisfies Context;

/** An API Gateway REST (v1) proxy event: header names as the client sent them, a base64 body. */
function restEvent(body: string, headers: Record<string, string>, sourceIp: string): APIGatewayProxyEvent {
  const all: Record<string, string> = { 'Content-Type': 'application/json', Host: 'api.example.com', ...headers };
  // the client's own spelling of the names: Authorization, X-Request-Id
  const cased = Object.fromEntries(
    Object.entries(all).map(([k, v]) => [k.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()), v]),
  );
  return {
    resource: '/graphql',
    path: '/graphql',
    httpMethod: 'POST',
    headers: cased,
    multiValueHeaders: Object.fromEntries(Object.entries(cased).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: 'POST',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: 'test',
        userArn: null,
      },
      path: '/prod/graphql',
      stage: 'prod',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: 1_700_000_000_000,
      resourceId: 'abc',
      resourcePath: '/graphql',
    },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  };
}

/** An API Gateway HTTP API (v2) event: lower-cased header names, a plain body. */
function httpApiEvent(body: string, headers: Record<string, string>, sourceIp: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /graphql',
    rawPath: '/graphql',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: 'api.example.com', ...headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: 'POST', path: '/graphql', protocol: 'HTTP/1.1', sourceIp, userAgent: 'test' },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: 'POST /graphql',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1_767_225_600_000,
    },
    body,
    isBase64Encoded: false,
  };
}

type LambdaResult = APIGatewayProxyResult | APIGatewayProxyStructuredResultV2;

function answerOf(result: LambdaResult): Answer {
  const headers = new Map(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  let body: unknown = result.body;
  try {
    body = JSON.parse(result.body ?? '');
  } catch {}
  return { status: result.statusCode ?? 200, header: (name) => headers.get(name), body };
}

function describeLambda(name: string, version: 'v1' | 'v2') {
  describe(`AWS Lambda, ${name}: Rampart guards the transport`, () => {
    let api: GuardedApi;
    let server: ApolloServer<BaseContext>;
    let send: Send;
    const seen: string[] = [];
    before(() => {
      api = guardedApi(issuer);
      server = new ApolloServer<BaseContext>(api.apolloConfig);
      // not in a typed position (two handler types share it): the arguments are annotated
      type LambdaArgs = { event: APIGatewayProxyEvent | APIGatewayProxyEventV2; context: Context };
      const context = api.security.context(async ({ event }: LambdaArgs, state: SecurityState) => {
        seen.push(state.principal.ip ?? 'none');
        void event.headers; // the event, typed by the integration
        return userContext(`lambda-${version}`)(state);
      });
      // the integration's types are CommonJS and name CommonJS `@apollo/server`'s class: an ES module's
      // ApolloServer is the same class at run time, only TypeScript tells them apart
      const apollo = server as unknown as Parameters<typeof startServerAndCreateLambdaHandler>[0];
      const lambda =
        version === 'v1'
          ? startServerAndCreateLambdaHandler(apollo, handlers.createAPIGatewayProxyEventRequestHandler(), { context })
          : startServerAndCreateLambdaHandler(apollo, handlers.createAPIGatewayProxyEventV2RequestHandler(), {
              context,
            });
      send = async (body, headers = {}) => {
        const json = JSON.stringify(body);
        const event =
          version === 'v1' ? restEvent(json, headers, '198.51.100.7') : httpApiEvent(json, headers, '198.51.100.7');
        const invoke = lambda as (e: typeof event, c: Context, cb: () => void) => Promise<LambdaResult>;
        return answerOf(await invoke(event, lambdaContext, () => {}));
      };
    });
    after(async () => {
      await server.stop();
      await api.close();
    });
    it('valid token: the principal reaches resolvers and the user context function', () =>
      checkValidToken(api, send, name));
    it("the peer is the event's sourceIp", () => {
      assert.ok(seen.length > 0);
      assert.deepEqual(new Set(seen), new Set(['198.51.100.7']));
    });
    it('junk token: 401 with WWW-Authenticate', () => checkJunkToken(send));
    it("DPoP: the proof names the event's method and URL (with the stage); replay and another URL refused", () =>
      checkDpop(
        api,
        send,
        version === 'v1' ? 'http://api.example.com/prod/graphql' : 'http://api.example.com/graphql',
      ));
    it('@requiresScopes without the scope: error at the path, the rest of the data', () =>
      checkMissingScope(api, send));
    it('depth over the limit: 400 MAX_DEPTH_LIMIT', () => checkDepth(api, send));
    it('operation rate limit: 429 RATE_LIMITED', () => checkRateLimit(api, send));
    it('one audit record per operation in the audit file', () => checkAudit(api, send));
  });
}

describeLambda('API Gateway REST (v1) event', 'v1');
describeLambda('API Gateway HTTP API (v2) event', 'v2');
