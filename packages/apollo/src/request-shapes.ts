/**
 * What Apollo's integrations pass to a context function, normalised into core's {@link RequestInfo}
 * (headers, socket peer) plus what the nesting door can read of the GraphQL documents before Apollo
 * parses them. Each integration calls the context function its own way; an argument list of no shape
 * known here is refused (never served as an anonymous caller by accident).
 */
import { IncomingMessage } from 'node:http';
import { RampartConfigError, RequestHeaders, type RequestInfo, requestInfoFrom } from '@rampart/core';
import type { RequestWithDocument } from './nesting.js';

/** The request shapes Rampart recognises, as named in errors and the README. */
export type RequestShapeName = 'node' | 'fastify' | 'fetch' | 'lambda';

/** A Fetch API `Headers` (or anything with the same `get` and iteration). */
export interface FetchHeadersLike {
  get(name: string): string | null;
  [Symbol.iterator](): Iterator<[string, string]>;
}

/** A Fetch API `Request` (Next.js, edge and serverless adapters): its headers, method and URL are read. */
export interface FetchRequestLike {
  readonly headers: FetchHeadersLike;
  readonly method?: string;
  readonly url?: string;
}

/** Node's `IncomingMessage` as standalone and Express pass it (`{ req, res }`); `body` as Express's `express.json()` parsed it. */
export type NodeRequestArg = Pick<IncomingMessage, 'headers'> & {
  readonly socket?: { readonly remoteAddress?: string | undefined } | undefined;
} & RequestWithDocument;

/** The API Gateway (REST v1, HTTP v2) or ALB event `@as-integrations/aws-lambda` passes as `{ event, context }`. */
export interface LambdaEventLike {
  readonly version?: string;
  readonly httpMethod?: string;
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly multiValueHeaders?: Readonly<Record<string, readonly string[] | undefined>> | null;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly rawQueryString?: string;
  /** REST (v1): the resource path. */
  readonly path?: string;
  /** HTTP API (v2): the path as requested, with the stage. */
  readonly rawPath?: string;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: {
    readonly http?: { readonly method?: string; readonly sourceIp?: string };
    /** REST (v1): the path as requested, with the stage. */
    readonly path?: string;
    readonly identity?: { readonly sourceIp?: string | null };
  } | null;
}

/**
 * The first argument of a context call in every shape Rampart knows (Fastify's `reply`, its second
 * argument, is not read). A Fetch shape may carry `remoteAddress`, the peer your adapter knows.
 */
export type ContextArgs =
  | { readonly req: NodeRequestArg | FetchRequestLike; readonly remoteAddress?: string }
  | { readonly request: FetchRequestLike; readonly remoteAddress?: string }
  | { readonly event: LambdaEventLike }
  | FetchRequestLike
  | { readonly raw: IncomingMessage; readonly headers: IncomingMessage['headers'] };

/** A context call's arguments, normalised. */
export interface NormalisedRequest {
  readonly shape: RequestShapeName;
  readonly info: RequestInfo;
  /** What the nesting door can read of the documents (`undefined`: nothing, the plugin checks them). */
  readonly door: RequestWithDocument | undefined;
}

const KNOWN_SHAPES =
  "{ req } with Node's IncomingMessage (startStandaloneServer, Express 4/5), (request, reply) (Fastify), " +
  '{ request } or { req } with a Fetch Request/Headers, or a Fetch Request itself (Next.js, edge and ' +
  'serverless adapters), { event, context } (AWS Lambda: API Gateway REST v1, HTTP API v2, ALB)';

/**
 * Normalises the arguments an integration passed to the context function.
 *
 * @throws RampartConfigError when neither headers nor a peer address can be found in them: the
 *   integration calls the context function in a shape Rampart does not know.
 */
export function normaliseRequest(args: readonly unknown[]): NormalisedRequest {
  const first = args[0];
  const found = first !== null && typeof first === 'object' ? fromObject(first as Record<string, unknown>) : undefined;
  if (found !== undefined) return found;
  throw new RampartConfigError(
    'rampart.context',
    `cannot find the request's headers or peer address in what the integration passed to the context ` +
      `function (${describeArgs(args)}), so the caller cannot be authenticated. Known shapes: ${KNOWN_SHAPES}. ` +
      'Call the function security.context() returns with one of them.',
  );
}

function fromObject(arg: Record<string, unknown>): NormalisedRequest | undefined {
  if (arg instanceof IncomingMessage) return fromNode(arg);
  const req = arg.req;
  if (isObject(req)) return isFetchRequest(req) ? fromFetch(req, arg.remoteAddress) : fromNode(req);
  const request = arg.request;
  if (isFetchRequest(request)) return fromFetch(request, arg.remoteAddress);
  const event = arg.event;
  if (isObject(event)) return fromLambda(event as LambdaEventLike);
  // Fastify's request: its `raw` is Node's request; `body` (parsed), `method` and `url` are read through it
  if (arg.raw instanceof IncomingMessage) return fromFastify(arg, arg.raw);
  if (isFetchRequest(arg)) return fromFetch(arg, undefined);
  return undefined;
}

function fromNode(req: object): NormalisedRequest | undefined {
  const node = req as NodeRequestArg;
  const info = requestInfoFrom(isObject(node.headers) ? node : { headers: {}, socket: node.socket });
  if (!isObject(node.headers) && info.remoteAddress === undefined) return undefined;
  return { shape: 'node', info, door: node };
}

function fromFastify(request: Record<string, unknown>, raw: IncomingMessage): NormalisedRequest {
  return { shape: 'fastify', info: requestInfoFrom(raw), door: request as RequestWithDocument };
}

function fromFetch(request: FetchRequestLike, remoteAddress: unknown): NormalisedRequest {
  // Fetch's Headers already lower-cases names and joins repeated values with `, `
  const headers = new Map<string, string>(request.headers);
  const info: RequestInfo = {
    headers,
    remoteAddress: typeof remoteAddress === 'string' ? remoteAddress : undefined,
    method: typeof request.method === 'string' ? request.method : undefined,
    url: typeof request.url === 'string' ? request.url : undefined,
  };
  // the body is a stream the integration reads once: the plugin checks the documents' nesting instead
  return { shape: 'fetch', info, door: undefined };
}

function fromLambda(event: LambdaEventLike): NormalisedRequest | undefined {
  const raw = isObject(event.headers)
    ? event.headers
    : isObject(event.multiValueHeaders)
      ? event.multiValueHeaders
      : undefined;
  const context = isObject(event.requestContext) ? event.requestContext : undefined;
  // HTTP API (v2) and REST (v1): the address API Gateway received the connection from
  const sourceIp = context?.http?.sourceIp ?? context?.identity?.sourceIp ?? undefined;
  const remoteAddress = typeof sourceIp === 'string' ? sourceIp : undefined;
  if (raw === undefined && remoteAddress === undefined) return undefined;
  // header names keep the client's case in v1 events: the view looks them up case-insensitively
  const info: RequestInfo = {
    headers: new RequestHeaders(raw),
    remoteAddress,
    method: context?.http?.method ?? event.httpMethod,
    url: lambdaUrl(event),
  };
  return { shape: 'lambda', info, door: lambdaDocuments(event, info.headers) };
}

/** The path and query a Lambda event was requested at (with the API Gateway stage). */
function lambdaUrl(event: LambdaEventLike): string | undefined {
  const path = event.rawPath ?? event.requestContext?.path ?? event.path;
  if (typeof path !== 'string') return undefined;
  const query =
    typeof event.rawQueryString === 'string' && event.rawQueryString.length > 0 ? `?${event.rawQueryString}` : '';
  return `${path}${query}`;
}

/** The documents of a Lambda event: its JSON body (base64 when `isBase64Encoded`) and a GET's `query`. */
function lambdaDocuments(event: LambdaEventLike, headers: ReadonlyMap<string, string>): RequestWithDocument {
  const method = event.requestContext?.http?.method ?? event.httpMethod;
  const search = typeof event.rawQueryString === 'string' ? event.rawQueryString : undefined;
  const query = search === undefined ? event.queryStringParameters?.query : undefined;
  return {
    method,
    ...(search !== undefined && search.length > 0 ? { url: `?${search}` } : {}),
    ...(typeof query === 'string' ? { queryParameter: query } : {}),
    get body(): unknown {
      return lambdaBody(event, headers);
    },
  };
}

function lambdaBody(event: LambdaEventLike, headers: ReadonlyMap<string, string>): unknown {
  const body = event.body;
  if (typeof body !== 'string' || body.length === 0) return undefined;
  if (!headers.get('content-type')?.startsWith('application/json')) return undefined;
  try {
    return JSON.parse(event.isBase64Encoded === true ? Buffer.from(body, 'base64').toString('utf8') : body);
  } catch {
    return undefined; // not JSON: the integration answers 400 itself
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

function isFetchRequest(value: unknown): value is FetchRequestLike {
  return isObject(value) && isObject(value.headers) && typeof (value.headers as { get?: unknown }).get === 'function';
}

/** What was passed, for the error: argument types and the first argument's keys (never values). */
function describeArgs(args: readonly unknown[]): string {
  if (args.length === 0) return 'no arguments';
  const first = args[0];
  const kind = first === null ? 'null' : typeof first;
  const keys = isObject(first) ? Object.keys(first).slice(0, 8) : [];
  const what = keys.length > 0 ? `an object with keys ${keys.join(', ')}` : `${kind}`;
  return `${args.length} argument${args.length === 1 ? '' : 's'}, the first ${what}`;
}
