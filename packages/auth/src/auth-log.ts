/**
 * Where authentication tells operators what they must know: a misconfiguration seen at startup, a JWKS
 * outage and its recovery, a custom authenticator that throws. Each message is logged once per cause,
 * through the server's logger (Apollo's, handed over at `serverWillStart`), never per request.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { KeySetMonitor } from './jwt-keys.js';

/** Where authentication logs. Apollo's `Logger` fits. */
export interface AuthLogger {
  /** Logs a warning. */
  warn(message: string): unknown;
  /** Logs an error. */
  error(message: string): unknown;
}

/** The log of one authenticator. */
export interface AuthLog {
  /** Logs a warning (never throws). */
  warn(message: string): void;
  /** Logs an error (never throws). */
  error(message: string): void;
  /** Hands the server's logger over at `serverWillStart`, then runs the startup checks. */
  readonly plugin: ApolloServerPlugin<BaseContext>;
}

/**
 * The log of one authenticator.
 *
 * @param configured - `authentication.logger`; without it the server's logger once the plugin has seen
 *   `serverWillStart`, and `console` before that (`authContext`, which has no plugin).
 * @param atStart - warnings to log once when the server starts.
 */
export function authLog(configured: AuthLogger | undefined, atStart: () => readonly string[] = () => []): AuthLog {
  let serverLogger: AuthLogger | undefined;
  const write = (level: 'warn' | 'error', message: string) => {
    try {
      (configured ?? serverLogger ?? console)[level](`[rampart] ${message}`);
    } catch {
      // a failing logger must not turn a request into a crash
    }
  };
  return {
    warn: (message) => write('warn', message),
    error: (message) => write('error', message),
    plugin: {
      async serverWillStart({ logger }) {
        serverLogger = logger;
        for (const message of atStart()) write('warn', message);
      },
    },
  };
}

/** Tells the log when a remote JWKS stops answering (once per outage, with its URL) and when it recovers. */
export function jwksMonitor(log: AuthLog): KeySetMonitor {
  return {
    unreachable: (url, reason) =>
      log.warn(
        `the JWKS ${url} is unreachable (${reason}): tokens whose key is not cached are refused until it answers`,
      ),
    recovered: (url) => log.warn(`the JWKS ${url} answers again`),
  };
}
