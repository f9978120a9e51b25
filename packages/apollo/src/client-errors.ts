/**
 * Errors Apollo answers before or around execution, rewritten so a client learns nothing it should not:
 * "Did you mean" suggestions in variable coercion errors, JavaScript engine messages from the parser,
 * and persisted-query protocol errors that carry no code (and so would be logged and masked as
 * unexpected). Each works on the `errors` array Apollo hands to `didEncounterErrors`, which is the
 * array it formats into the response afterwards.
 */
import { type BaseContext, type GraphQLRequestContext, HeaderMap } from '@apollo/server';
import { errorCodeOf } from '@rampart/core';
import { GraphQLError, Kind } from 'graphql';
import { nestingError } from './nesting.js';

/** graphql-js's "Did you mean …?" tail (names hold no `?`, so the tail is everything up to the last one). */
export const SUGGESTION = / ?Did you mean [^?]*\?$/;

/**
 * Codes given to Apollo's persisted-query protocol errors that have none of their own (Apollo's
 * `PERSISTED_QUERY_NOT_FOUND` and `PERSISTED_QUERY_NOT_SUPPORTED` are kept as they are).
 */
export const PersistedQueryCode = Object.freeze({
  /** The `sha256Hash` sent with a query is not the hash of that query. HTTP 400. */
  HASH_MISMATCH: 'PERSISTED_QUERY_HASH_MISMATCH',
  /** A `persistedQuery` extension of a version other than 1. HTTP 400. */
  BAD_REQUEST: 'BAD_REQUEST',
});

/** Apollo's messages for the persisted-query errors it raises without a code, and the code each gets. */
const PERSISTED_QUERY_MESSAGES: ReadonlyMap<string, string> = new Map([
  ['provided sha does not match query', PersistedQueryCode.HASH_MISMATCH],
  ['Unsupported persisted query version', PersistedQueryCode.BAD_REQUEST],
]);

type Errors = GraphQLError[];

/**
 * Removes the suggestions from graphql-js's variable coercion errors (`Variable "$input" got invalid
 * value …; Field "pasword" is not defined by type "LoginInput". Did you mean "password"?`): they name
 * input fields and enum values a client was not told about. Only errors raised for a variable
 * definition are touched, so a resolver's own message is never rewritten.
 */
export function stripCoercionSuggestions(errors: readonly GraphQLError[]): void {
  for (const error of errors) {
    if (error.nodes?.[0]?.kind !== Kind.VARIABLE_DEFINITION) continue;
    const message = error.message.replace(SUGGESTION, '');
    if (message !== error.message) error.message = message;
  }
}

/**
 * Gives Apollo's code-less persisted-query errors (hash mismatch, unsupported version) a client-error
 * code, so they are neither logged with a stack trace nor masked as unexpected. Only for requests that
 * carry a `persistedQuery` extension and had no document yet (the errors Apollo raises before parsing).
 */
export function labelPersistedQueryErrors(rc: GraphQLRequestContext<BaseContext>, errors: readonly GraphQLError[]) {
  if (rc.document !== undefined || rc.request.extensions?.persistedQuery === undefined) return;
  for (const error of errors) {
    if (errorCodeOf(error) !== undefined) continue;
    const code = PERSISTED_QUERY_MESSAGES.get(error.message);
    if (code !== undefined) (error.extensions as Record<string, unknown>).code = code;
  }
}

/**
 * Replaces a parse failure caused by the JavaScript engine (the parser's stack overflowing on deep
 * nesting: `RangeError: Maximum call stack size exceeded`) with Rampart's nesting refusal, so no engine
 * message reaches a client. Returns true when it replaced one.
 */
export function replaceEngineParseErrors(errors: readonly GraphQLError[], maxNesting: number): boolean {
  let replaced = false;
  for (let i = 0; i < errors.length; i++) {
    const error = errors[i]!;
    if (errorCodeOf(error) !== 'GRAPHQL_PARSE_FAILED') continue;
    const cause = engineCause(error);
    if (cause === undefined) continue;
    (errors as Errors)[i] =
      cause instanceof RangeError
        ? nestingError(maxNesting)
        : new GraphQLError('Syntax Error: the document could not be parsed.', {
            extensions: { code: 'GRAPHQL_PARSE_FAILED', http: { status: 400, headers: new HeaderMap() } },
          });
    replaced = true;
  }
  return replaced;
}

/** The first error in `error`'s chain of original errors that is not a GraphQLError (the engine's). */
function engineCause(error: GraphQLError): Error | undefined {
  let current: Error | undefined = error.originalError ?? undefined;
  for (let hops = 0; current !== undefined && hops < 8; hops++) {
    if (!(current instanceof GraphQLError)) return current;
    current = current.originalError ?? undefined;
  }
  return undefined;
}
