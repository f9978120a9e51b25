/**
 * One graphql-ws connection: authenticated once, in `onConnect`, by the modules' `onRequest` (the same
 * verifiers and errors as HTTP) from the `connection_init` payload merged over the upgrade request's
 * headers; then a message budget per second and a timer that closes it when its token expires.
 */
import { type Clock, ErrorCode, errorCodeOf, ownProperty, type Principal, type RequestInfo } from '@rampart/core';
import { newRequestState, type RequestStep, runRequestSteps } from '../request-state.js';
import type { WsContext } from './options.js';

/** The close codes Rampart uses (graphql-ws's own meanings). */
export const WsCloseCode = Object.freeze({
  /** Authentication failed, or the token expired. */
  UNAUTHORIZED: 4401,
  /** The IP filter denied the peer. */
  FORBIDDEN: 4403,
  /** Too many messages. */
  TOO_MANY_MESSAGES: 4429,
  /** Anything else. */
  INTERNAL: 4500,
});

/** What Rampart keeps per connection. */
export interface Connection {
  /** Headers every subscription's state carries (the payload's credentials merged over the upgrade's). */
  readonly headers: ReadonlyMap<string, string>;
  /** Who authenticated the connection. */
  readonly principal: Principal;
  /** When the principal's token expires (ms since the epoch), if it does. */
  readonly expiresAt: number | undefined;
  /** Subscriptions admitted (or being checked) and not yet ended. */
  active: number;
  /** Start of the current one-second message window, and the messages counted in it. */
  windowStart: number;
  windowCount: number;
  expiryTimer: NodeJS.Timeout | undefined;
  closed: boolean;
}

/** What a connection needs of `rampart()`. */
export interface ConnectionSettings {
  /** The modules' `onRequest` steps, in module order. */
  readonly requestModules: readonly RequestStep[];
  readonly clock: Clock;
  /** The API-key header name, lower-cased (read from the payload as well). */
  readonly apiKeyHeader: string;
  /** The request-id header name, lower-cased. */
  readonly requestIdHeader: string;
}

/** Longest delay Node's timers take. */
const MAX_TIMER = 2 ** 31 - 1;

/**
 * Closes the socket with `code`. Without a socket Rampart can close (an adapter other than
 * `graphql-ws/use/ws`), false: the caller then refuses by other means.
 */
export function closeConnection(ctx: WsContext, code: number, reason: string): boolean {
  const socket = ctx.extra?.socket;
  if (socket === undefined || typeof socket.close !== 'function') return false;
  socket.close(code, reason);
  return true;
}

/**
 * Authenticates a connection (`onConnect`). On a refusal the socket is closed (4401 for
 * `UNAUTHENTICATED`, 4403 for `FORBIDDEN`, 4429 for rate limits, 4500 otherwise; the reason is one
 * short word) and `undefined` comes back.
 */
export async function openConnection(settings: ConnectionSettings, ctx: WsContext): Promise<Connection | undefined> {
  const { clock } = settings;
  const info = connectionRequest(ctx, settings.apiKeyHeader);
  const state = newRequestState(info, clock, settings.requestIdHeader);
  try {
    await runRequestSteps(settings.requestModules, state, info);
  } catch (error) {
    const [code, reason] = closeFor(errorCodeOf(error));
    // without a socket to close: graphql-ws closes 4403 on `false`, 4500 on a throw
    if (!closeConnection(ctx, code, reason) && code !== WsCloseCode.FORBIDDEN) throw new Error(reason);
    return undefined;
  }
  const exp = state.principal.claims?.exp;
  return {
    headers: info.headers,
    principal: state.principal,
    expiresAt: typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined,
    active: 0,
    windowStart: clock.now(),
    windowCount: 0,
    expiryTimer: undefined,
    closed: false,
  };
}

function closeFor(code: string | undefined): [number, string] {
  switch (code) {
    case ErrorCode.UNAUTHENTICATED:
      return [WsCloseCode.UNAUTHORIZED, 'Unauthorized'];
    case ErrorCode.FORBIDDEN:
      return [WsCloseCode.FORBIDDEN, 'Forbidden'];
    case ErrorCode.RATE_LIMITED:
    case ErrorCode.THROTTLED:
    case ErrorCode.QUOTA_EXCEEDED:
      return [WsCloseCode.TOO_MANY_MESSAGES, 'Too many requests'];
    default:
      return [WsCloseCode.INTERNAL, 'Internal server error'];
  }
}

/**
 * The connection's request as authentication reads it: the upgrade request's headers, with the
 * `connection_init` payload's `authorization` (or `Authorization`), `dpop` and API-key entries over them (only
 * those, only strings: a payload cannot forge `x-forwarded-for`), and the socket peer.
 */
export function connectionRequest(ctx: WsContext, apiKeyHeader: string): RequestInfo {
  const headers = new Map<string, string>();
  const request = ctx.extra?.request;
  const raw = request?.headers;
  if (raw !== undefined && raw !== null) {
    for (const name of Object.keys(raw)) {
      const value = raw[name];
      const joined = typeof value === 'string' ? value : Array.isArray(value) ? value.join(', ') : undefined;
      if (joined !== undefined) headers.set(name.toLowerCase(), joined);
    }
  }
  const params = ctx.connectionParams;
  if (params !== null && typeof params === 'object') {
    for (const name of credentialNames(apiKeyHeader)) {
      const value = ownProperty(params, name);
      if (typeof value === 'string') headers.set(name.toLowerCase(), value);
    }
  }
  // a DPoP proof names the upgrade request: GET and its URL
  const url = (request as { url?: unknown } | undefined)?.url;
  return {
    headers,
    remoteAddress: request?.socket?.remoteAddress,
    method: 'GET',
    url: typeof url === 'string' ? url : undefined,
  };
}

const credentialNamesCache = new Map<string, readonly string[]>();

/**
 * The payload keys read as credentials: `authorization` and `dpop` (a DPoP proof of the upgrade
 * request) in two spellings each, the API-key header in three.
 */
function credentialNames(apiKeyHeader: string): readonly string[] {
  let names = credentialNamesCache.get(apiKeyHeader);
  if (names === undefined) {
    const titled = apiKeyHeader.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
    names = [...new Set(['authorization', 'Authorization', 'dpop', 'DPoP', apiKeyHeader, titled])];
    credentialNamesCache.set(apiKeyHeader, names);
  }
  return names;
}

/** True when the connection's token has expired by `clock`. */
export function expired(conn: Connection, clock: Clock): boolean {
  return conn.expiresAt !== undefined && clock.now() >= conn.expiresAt;
}

/**
 * Arms the timer that closes the connection (4401 `Token expired`) when its token expires, read on
 * `clock` when it fires (it re-arms while the clock says the token is still valid). Unref'd: it keeps
 * no process alive.
 */
export function armExpiry(ctx: WsContext, conn: Connection, clock: Clock, onExpired: () => void): void {
  const expiresAt = conn.expiresAt;
  if (expiresAt === undefined || conn.closed) return;
  const wait = expiresAt - clock.now();
  if (wait <= 0) {
    onExpired();
    return;
  }
  conn.expiryTimer = setTimeout(
    () => {
      conn.expiryTimer = undefined;
      armExpiry(ctx, conn, clock, onExpired);
    },
    Math.min(wait, MAX_TIMER),
  );
  conn.expiryTimer.unref();
}

/** Stops the expiry timer (the connection closed). */
export function disarmExpiry(conn: Connection): void {
  conn.closed = true;
  if (conn.expiryTimer !== undefined) clearTimeout(conn.expiryTimer);
  conn.expiryTimer = undefined;
}

/**
 * Counts one message against the connection's budget of `max` per second (a window of one second on
 * `clock`): 0 when it may be handled now, the milliseconds to wait (until the window ends) when it is
 * over `max`, -1 when it is over twice `max` (close the connection).
 */
export function admitMessage(conn: Connection, clock: Clock, max: number): number {
  const now = clock.now();
  if (now - conn.windowStart >= 1000 || now < conn.windowStart) {
    conn.windowStart = now;
    conn.windowCount = 0;
  }
  const n = ++conn.windowCount;
  if (n <= max) return 0;
  if (n <= 2 * max) return Math.max(1, conn.windowStart + 1000 - now);
  return -1;
}
