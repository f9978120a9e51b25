/**
 * Policies that throw: the requirement is not granted, like any denial, and the error is logged once per
 * policy (not once per request) through the server's logger, so a broken policy is seen without
 * flooding the log.
 */

/** Where errors thrown by policies are logged. Apollo's `Logger` fits (only `error` is used). */
export interface PolicyLogger {
  /** Logs one error message. */
  error(message: string): unknown;
}

/** The error log of one scopes plugin. */
export interface PolicyErrorLog {
  /** Reports a policy that threw or rejected; logs only the first error of each policy name. */
  policyThrew(name: string, error: unknown): void;
  /** The server's logger, from `serverWillStart` (before it: `console`). */
  useLogger(logger: PolicyLogger): void;
}

function describeError(error: unknown): string {
  try {
    if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
    return `non-Error thrown: ${String(error)}`;
  } catch {
    return 'an unprintable value was thrown';
  }
}

/** A new, empty policy error log. */
export function policyErrorLog(): PolicyErrorLog {
  let logger: PolicyLogger = console;
  const logged = new Set<string>();
  return {
    policyThrew(name, error) {
      if (logged.has(name)) return;
      logged.add(name);
      try {
        logger.error(
          `[rampart] policy "${name}" threw, so it does not grant (logged once per policy): ${describeError(error)}`,
        );
      } catch {
        // a failing logger must not turn a denial into a crash
      }
    },
    useLogger(serverLogger) {
      logger = serverLogger;
    },
  };
}
