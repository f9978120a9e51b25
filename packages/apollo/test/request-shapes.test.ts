import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { RampartConfigError } from '@rampart/core';
import { type LambdaEventLike, rampart, requestInfo } from '../src/index.js';
import { normaliseRequest } from '../src/request-shapes.js';

function nodeRequest(headers: Record<string, string>, remoteAddress?: string): IncomingMessage {
  const socket = new Socket();
  if (remoteAddress) Object.defineProperty(socket, 'remoteAddress', { value: remoteAddress });
  const req = new IncomingMessage(socket);
  req.headers = headers;
  return req;
}

const v2 = (over: Partial<LambdaEventLike> = {}): LambdaEventLike => ({
  version: '2.0',
  rawQueryString: '',
  headers: { authorization: 'Bearer v2', 'content-type': 'application/json' },
  requestContext: { http: { method: 'POST', sourceIp: '198.51.100.2' } },
  body: '{"query":"{ a }"}',
  isBase64Encoded: false,
  ...over,
});

const v1 = (over: Partial<LambdaEventLike> = {}): LambdaEventLike => ({
  httpMethod: 'POST',
  headers: { Authorization: 'Bearer v1', 'Content-Type': 'application/json', 'X-Request-Id': 'abc' },
  multiValueHeaders: null,
  queryStringParameters: null,
  requestContext: { identity: { sourceIp: '203.0.113.9' } },
  body: Buffer.from('{"query":"{ b }"}').toString('base64'),
  isBase64Encoded: true,
  ...over,
});

describe('normaliseRequest: the shapes of every integration', () => {
  it("{ req } with Node's IncomingMessage (standalone, Express)", () => {
    const req = nodeRequest({ authorization: 'Bearer n' }, '10.0.0.1');
    const r = normaliseRequest([{ req, res: {} }]);
    assert.equal(r.shape, 'node');
    assert.equal(r.info.headers.get('authorization'), 'Bearer n');
    assert.equal(r.info.remoteAddress, '10.0.0.1');
    assert.equal(r.door, req);
  });

  it("Fastify's (request, reply): headers and peer from request.raw, the door reads the request", () => {
    const raw = nodeRequest({ authorization: 'Bearer f' }, '10.0.0.2');
    const request = { raw, headers: raw.headers, body: { query: '{ a }' }, method: 'POST', url: '/graphql' };
    const r = normaliseRequest([request, { statusCode: 200 }]);
    assert.equal(r.shape, 'fastify');
    assert.equal(r.info.headers.get('Authorization'), 'Bearer f');
    assert.equal(r.info.remoteAddress, '10.0.0.2');
    assert.equal(r.door, request);
  });

  it('a Fetch Request: as { request }, as { req }, or itself; a peer the adapter knows as remoteAddress', () => {
    const request = new Request('http://x.test/graphql', { headers: { Authorization: 'Bearer w', 'X-A': '1' } });
    for (const args of [[{ request }], [{ req: request }], [request]]) {
      const r = normaliseRequest(args);
      assert.equal(r.shape, 'fetch');
      assert.equal(r.info.headers.get('authorization'), 'Bearer w');
      assert.equal(r.info.remoteAddress, undefined);
      assert.equal(r.door, undefined);
    }
    assert.equal(normaliseRequest([{ request, remoteAddress: '192.0.2.1' }]).info.remoteAddress, '192.0.2.1');
    assert.equal(normaliseRequest([{ request: { headers: new Headers({ a: 'b' }) } }]).info.headers.get('a'), 'b');
  });

  it('AWS Lambda HTTP API (v2): lower-case headers, requestContext.http.sourceIp', () => {
    const r = normaliseRequest([{ event: v2(), context: {} }]);
    assert.equal(r.shape, 'lambda');
    assert.equal(r.info.headers.get('authorization'), 'Bearer v2');
    assert.equal(r.info.remoteAddress, '198.51.100.2');
    assert.deepEqual(r.door?.body, { query: '{ a }' });
    assert.equal(r.door?.method, 'POST');
  });

  it("AWS Lambda REST (v1): names in the client's case, identity.sourceIp, a base64 body", () => {
    const r = normaliseRequest([{ event: v1(), context: {} }]);
    assert.equal(r.info.headers.get('authorization'), 'Bearer v1');
    assert.equal(r.info.headers.get('x-request-id'), 'abc');
    assert.equal(r.info.remoteAddress, '203.0.113.9');
    assert.deepEqual(r.door?.body, { query: '{ b }' });
    // only multiValueHeaders (repeated values joined), and an ALB event (no sourceIp: headers only)
    const multi = normaliseRequest([{ event: v1({ headers: null, multiValueHeaders: { Accept: ['a', 'b'] } }) }]);
    assert.equal(multi.info.headers.get('accept'), 'a, b');
    const alb = normaliseRequest([{ event: { httpMethod: 'POST', headers: { 'x-forwarded-for': '1.2.3.4' } } }]);
    assert.equal(alb.info.headers.get('x-forwarded-for'), '1.2.3.4');
    assert.equal(alb.info.remoteAddress, undefined);
  });

  it('AWS Lambda documents: GET queries (v2 rawQueryString, v1 decoded), non-JSON and malformed bodies', () => {
    const get2 = normaliseRequest([{ event: v2({ rawQueryString: 'query=%7B%20a%20%7D', body: null }) }]);
    assert.equal(get2.door?.url, '?query=%7B%20a%20%7D');
    const get1 = normaliseRequest([{ event: v1({ httpMethod: 'GET', queryStringParameters: { query: '{ b }' } }) }]);
    assert.equal(get1.door?.queryParameter, '{ b }');
    const text = v2({ headers: { 'content-type': 'text/plain' } });
    assert.equal(normaliseRequest([{ event: text }]).door?.body, undefined);
    assert.equal(normaliseRequest([{ event: v2({ body: '{"query":' }) }]).door?.body, undefined);
  });

  it('refuses what it cannot read with a RampartConfigError naming the known shapes', () => {
    const shapes: unknown[][] = [[], [undefined], ['x'], [{}], [{ req: {} }], [{ event: {} }], [{ ctx: { req: 1 } }]];
    for (const args of shapes) {
      assert.throws(
        () => normaliseRequest(args),
        (e: unknown) =>
          e instanceof RampartConfigError &&
          e.option === 'rampart.context' &&
          /Known shapes: \{ req \} with Node's IncomingMessage/.test(e.message) &&
          /\{ event, context \} \(AWS Lambda/.test(e.message),
        JSON.stringify(args),
      );
    }
    assert.throws(() => requestInfo({ ctx: {} }), RampartConfigError);
  });
});

describe('security.context: the door reads each shape', () => {
  const deep = `{ a ${'{ a '.repeat(250)}${'}'.repeat(251)}`;

  it('refuses a Lambda event whose base64 body nests too deep before Apollo parses it', async () => {
    const context = rampart({}).context();
    const body = Buffer.from(JSON.stringify({ query: deep })).toString('base64');
    await assert.rejects(context({ event: v1({ body }) }), (e: any) => e.extensions?.code === 'MAX_DEPTH_LIMIT');
    const get = v1({ httpMethod: 'GET', body: null, queryStringParameters: { query: deep } });
    await assert.rejects(context({ event: get }), (e: any) => e.extensions?.code === 'MAX_DEPTH_LIMIT');
  });

  it('refuses a Fastify request whose parsed body nests too deep', async () => {
    const raw = nodeRequest({}, '10.0.0.3');
    const request = { raw, headers: raw.headers, body: { query: deep }, method: 'POST', url: '/graphql' };
    const context = rampart({}).context();
    await assert.rejects(context(request, {}), (e: any) => e.extensions?.code === 'MAX_DEPTH_LIMIT');
  });
});
