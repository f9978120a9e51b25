/**
 * Errors as graphql-ws sends them: Rampart's codes and details, never `extensions.http` (an HTTP status
 * and headers mean nothing on a socket), unexpected errors masked like on HTTP when `maskErrors` is on.
 */
import { ErrorCode, errorCodeOf, type SecurityState } from '@rampart/core';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { MASKED_MESSAGE } from '../plugin.js';

/** Where the formatter logs the errors it masks. */
export interface WsErrorLogger {
  error(message: string): void;
}

/** One error as sent over the socket. */
export function formatWsError(
  error: GraphQLError,
  state: SecurityState | undefined,
  maskErrors: boolean,
  logger: WsErrorLogger,
): GraphQLFormattedError {
  const code = errorCodeOf(error);
  if (maskErrors && (code === undefined || code === ErrorCode.INTERNAL_SERVER_ERROR)) {
    const requestId = state?.requestId;
    logger.error(
      `[rampart] graphql-ws request ${requestId}: ${error.originalError?.stack ?? error.stack ?? error.message}`,
    );
    return {
      message: MASKED_MESSAGE,
      ...(error.locations ? { locations: error.locations } : {}),
      ...(error.path ? { path: error.path } : {}),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, ...(requestId ? { requestId } : {}) },
    };
  }
  // a module's shapeResult may hand back plain, already formatted errors
  const json = (typeof error.toJSON === 'function' ? error.toJSON() : { ...error }) as {
    extensions?: Record<string, unknown>;
  } & GraphQLFormattedError;
  const extensions = json.extensions;
  if (extensions !== undefined && Object.hasOwn(extensions, 'http')) {
    const { http: _http, ...rest } = extensions;
    return { ...json, extensions: rest };
  }
  return json;
}

/** Every error of a list as sent over the socket. */
export function formatWsErrors(
  errors: readonly GraphQLError[],
  state: SecurityState | undefined,
  maskErrors: boolean,
  logger: WsErrorLogger,
): GraphQLFormattedError[] {
  return errors.map((e) => formatWsError(e, state, maskErrors, logger));
}
