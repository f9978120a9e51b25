import { GraphQLError, type GraphQLErrorOptions } from 'graphql';

/**
 * Every error code a Rampart package may put in `extensions.code`.
 * The table in the repository's ARCHITECTURE.md gives the HTTP status of each.
 */
export enum ErrorCode {
  /** Bad, expired or missing credentials where they are required. HTTP 401 + `WWW-Authenticate`. */
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  /** A rule or an IP filter denied the request or a field. HTTP 403 when the whole operation is refused. */
  FORBIDDEN = 'FORBIDDEN',
  /** A scope or policy removed a field (Apollo Router's code). No HTTP status: partial data. */
  UNAUTHORIZED_FIELD_OR_TYPE = 'UNAUTHORIZED_FIELD_OR_TYPE',
  /** Operation deeper than allowed. HTTP 400. */
  MAX_DEPTH_LIMIT = 'MAX_DEPTH_LIMIT',
  /** More distinct response keys than allowed. HTTP 400. */
  MAX_HEIGHT_LIMIT = 'MAX_HEIGHT_LIMIT',
  /** More aliases than allowed. HTTP 400. */
  MAX_ALIASES_LIMIT = 'MAX_ALIASES_LIMIT',
  /** More root fields than allowed. HTTP 400. */
  MAX_ROOT_FIELDS_LIMIT = 'MAX_ROOT_FIELDS_LIMIT',
  /** More directives than allowed. HTTP 400. */
  MAX_DIRECTIVES_LIMIT = 'MAX_DIRECTIVES_LIMIT',
  /** More operations in one batched HTTP request than allowed. HTTP 400. */
  MAX_BATCH_SIZE_LIMIT = 'MAX_BATCH_SIZE_LIMIT',
  /** Estimated cost above the maximum. HTTP 400 with `extensions.cost { estimated, max }`. */
  COST_ESTIMATED_TOO_EXPENSIVE = 'COST_ESTIMATED_TOO_EXPENSIVE',
  /** A rate limit was exceeded. HTTP 429 + `Retry-After` + `RateLimit` headers. */
  RATE_LIMITED = 'RATE_LIMITED',
  /** A calendar quota was used up. HTTP 429. */
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  /** A cost budget was used up. HTTP 429. */
  THROTTLED = 'THROTTLED',
  /** The execution deadline passed. HTTP 503. */
  EXECUTION_TIMEOUT = 'EXECUTION_TIMEOUT',
  /** A document id (persisted-query hash or `documentId`) that is not in the trusted documents. HTTP 400 (Apollo's code). */
  PERSISTED_QUERY_NOT_FOUND = 'PERSISTED_QUERY_NOT_FOUND',
  /** A document id sent with a document text that is not the id's document. HTTP 400. */
  PERSISTED_QUERY_HASH_MISMATCH = 'PERSISTED_QUERY_HASH_MISMATCH',
  /** A document text that is not one of the trusted documents, from a caller who may not send others. HTTP 400 (Apollo Router's code). */
  QUERY_NOT_IN_SAFELIST = 'QUERY_NOT_IN_SAFELIST',
  /** Anything unexpected; the message is masked in production, the request id kept. HTTP 500. */
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

/** The HTTP status each code carries when the whole request is refused (`undefined`: field-level only). */
export const defaultStatus: Readonly<Record<ErrorCode, number | undefined>> = Object.freeze({
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE]: undefined,
  [ErrorCode.MAX_DEPTH_LIMIT]: 400,
  [ErrorCode.MAX_HEIGHT_LIMIT]: 400,
  [ErrorCode.MAX_ALIASES_LIMIT]: 400,
  [ErrorCode.MAX_ROOT_FIELDS_LIMIT]: 400,
  [ErrorCode.MAX_DIRECTIVES_LIMIT]: 400,
  [ErrorCode.MAX_BATCH_SIZE_LIMIT]: 400,
  [ErrorCode.COST_ESTIMATED_TOO_EXPENSIVE]: 400,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.QUOTA_EXCEEDED]: 429,
  [ErrorCode.THROTTLED]: 429,
  [ErrorCode.EXECUTION_TIMEOUT]: 503,
  [ErrorCode.PERSISTED_QUERY_NOT_FOUND]: 400,
  [ErrorCode.PERSISTED_QUERY_HASH_MISMATCH]: 400,
  [ErrorCode.QUERY_NOT_IN_SAFELIST]: 400,
  [ErrorCode.INTERNAL_SERVER_ERROR]: 500,
});

/** Options of {@link rampartError}. */
export interface RampartErrorOptions {
  /**
   * `'request'`: the whole request is refused and `extensions.http` carries the status of the code
   * (or {@link RampartErrorOptions.status}). `'field'`: a field-level error with no HTTP status,
   * so a partly successful response keeps its 200.
   * @default 'request'
   */
  scope?: 'request' | 'field';
  /** HTTP status overriding the code's default (request scope only). */
  status?: number;
  /** Response headers to set (request scope only), e.g. `Retry-After`. */
  headers?: Record<string, string> | ReadonlyMap<string, string>;
  /** Extra `extensions` entries (e.g. `cost`, `retryAfter`). Never overrides `code` or `http`. */
  details?: Record<string, unknown>;
  /** Passed through to `GraphQLError` (nodes, path, originalError). */
  graphql?: GraphQLErrorOptions;
}

const knownCodes = new Set<string>(Object.values(ErrorCode));

/** True when `code` is one of Rampart's {@link ErrorCode}s. */
export function isRampartCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && knownCodes.has(code);
}

/**
 * The one error factory of Rampart: builds a `GraphQLError` with `extensions.code` and, for
 * request-scoped errors, `extensions.http = { status, headers }` as Apollo Server expects (`headers` a
 * {@link HttpHeaders}: Apollo accepts any `Map`).
 */
export function rampartError(code: ErrorCode, message: string, options: RampartErrorOptions = {}): GraphQLError {
  const extensions: Record<string, unknown> = { ...options.details, code };
  const status = options.status ?? defaultStatus[code];
  if ((options.scope ?? 'request') === 'request' && status !== undefined) {
    const headers = new HttpHeaders();
    if (options.headers instanceof Map) {
      for (const [k, v] of options.headers) headers.set(k, v);
    } else if (options.headers) {
      for (const [k, v] of Object.entries(options.headers)) headers.set(k, v);
    }
    extensions.http = { status, headers };
  }
  return new GraphQLError(message, {
    ...options.graphql,
    extensions: { ...options.graphql?.extensions, ...extensions },
  });
}

/**
 * Response headers of a refused request: a `Map` whose names are lower-cased on every access, as
 * Apollo Server's `HeaderMap` does (Apollo copies any `Map` found in `extensions.http.headers`).
 */
export class HttpHeaders extends Map<string, string> {
  override set(name: string, value: string): this {
    return super.set(name.toLowerCase(), value);
  }

  override get(name: string): string | undefined {
    return super.get(name.toLowerCase());
  }

  override has(name: string): boolean {
    return super.has(name.toLowerCase());
  }

  override delete(name: string): boolean {
    return super.delete(name.toLowerCase());
  }
}

/** The `extensions.code` of any thrown value, if it has one. */
export function errorCodeOf(error: unknown): string | undefined {
  const ext = (error as { extensions?: { code?: unknown } } | null)?.extensions;
  return typeof ext?.code === 'string' ? ext.code : undefined;
}
