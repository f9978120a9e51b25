/**
 * Rules that throw: the field is denied like on any denial, and the error is logged once per rule
 * (not once per request) through the server's logger, so a broken rule is seen without flooding the log.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Rule } from './constructors.js';

/** Where errors thrown by rules are logged. Apollo's `Logger` fits (only `error` is used). */
export interface RuleLogger {
  /** Logs one error message. */
  error(message: string): unknown;
}

/** The error log of one shield. */
export interface RuleErrorLog {
  /** Reports a rule that threw or rejected; logs only the first error of each rule. */
  readonly ruleThrew: (rule: Rule, error: unknown) => void;
  /** Hands the server's logger to the log at `serverWillStart`. */
  readonly plugin: ApolloServerPlugin<BaseContext>;
}

function describeError(error: unknown): string {
  try {
    if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
    return `non-Error thrown: ${String(error)}`;
  } catch {
    return 'an unprintable value was thrown';
  }
}

/**
 * The error log of one shield.
 *
 * @param configured - the `logger` option; without it, the server's logger once the plugin has seen
 *   `serverWillStart`, and `console` before that (a schema executed without Apollo).
 */
export function ruleErrorLog(configured: RuleLogger | undefined): RuleErrorLog {
  let serverLogger: RuleLogger | undefined;
  const logged = new WeakSet<Rule>();
  return {
    ruleThrew(rule, error) {
      if (logged.has(rule)) return;
      logged.add(rule);
      const logger = configured ?? serverLogger ?? console;
      try {
        logger.error(
          `[rampart] rule "${rule.name}" threw, so it denies (logged once per rule): ${describeError(error)}`,
        );
      } catch {
        // a failing logger must not turn a denial into a crash
      }
    },
    plugin: {
      async serverWillStart({ logger }) {
        serverLogger = logger;
      },
    },
  };
}
