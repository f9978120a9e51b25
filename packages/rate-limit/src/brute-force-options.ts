import { check, RampartConfigError, resolveOptions } from '@rampart/core';

/**
 * A brute-force guard on a login-like field. Attempts are counted before the resolver runs; a failure
 * stays counted, a success resets the counts of its identifier.
 */
export interface BruteForceOptions {
  /** Schema coordinate of the guarded field, e.g. `'Mutation.login'`. */
  field: string;
  /** Argument path identifying the account (e.g. `'email'` or `'input.email'`); hashed in keys. */
  identifierArgument?: string;
  /**
   * Failures allowed per (identifier, IP) within `window`, then blocked.
   * @default 5
   */
  maxFailures?: number;
  /**
   * Failures allowed per IP (any identifier) within `window`, then blocked.
   * @default 100
   */
  maxFailuresPerIp?: number;
  /**
   * Attempts at one identifier, from all addresses together, that run without pacing. Past them the
   * identifier is paced, never locked: the wait between attempts grows from `identifierDelay`,
   * doubling as attempts pile up, to at most `identifierMaxDelay`; an attempt that comes earlier is
   * refused (429, `Retry-After`) without running the resolver. A success resets the pacing.
   * Needs `identifierArgument`.
   * @default 5
   */
  identifierBurst?: number;
  /**
   * Seconds between attempts at one identifier once its burst is used (the first step of the pacing).
   * @default 1
   */
  identifierDelay?: number;
  /**
   * The longest wait (seconds) between attempts at one identifier: the most its owner ever waits.
   * @default 60
   */
  identifierMaxDelay?: number;
  /**
   * Seconds over which failures are counted (from the first failure).
   * @default 900
   */
  window?: number;
  /**
   * Seconds an (identifier, IP) pair or an IP stays blocked once over its limit.
   * @default 900
   */
  block?: number;
  /**
   * Whether a resolver result is a failure (a thrown error always is).
   * @default result is null/undefined/false, or has `success === false` or `ok === false`
   */
  isFailure?: (result: unknown) => boolean;
}

/** Brute-force options after resolution (`identifierArgument` stays optional). */
export type ResolvedBruteForceOptions = Required<Omit<BruteForceOptions, 'identifierArgument'>> &
  Pick<BruteForceOptions, 'identifierArgument'>;

const defaultIsFailure = (result: unknown): boolean => {
  if (result === null || result === undefined || result === false) return true;
  if (typeof result === 'object') {
    const r = result as { success?: unknown; ok?: unknown };
    return r.success === false || r.ok === false;
  }
  return false;
};

const positiveInt = check.integer(1);
const positive = check.number(Number.MIN_VALUE);

/**
 * Checks and completes one brute-force guard's options (`path` names it in errors).
 * @throws RampartConfigError
 */
export function resolveBruteForceOptions(guard: BruteForceOptions, path: string): ResolvedBruteForceOptions {
  if (guard.field === undefined) throw new RampartConfigError(`${path}.field`, 'is required');
  const resolved = resolveOptions<BruteForceOptions>(
    path,
    {
      field: '',
      identifierArgument: undefined,
      maxFailures: 5,
      maxFailuresPerIp: 100,
      identifierBurst: 5,
      identifierDelay: 1,
      identifierMaxDelay: 60,
      window: 900,
      block: 900,
      isFailure: defaultIsFailure,
    },
    {
      field: (v) =>
        typeof v === 'string' && /^\w+\.\w+$/.test(v) ? undefined : 'must be a coordinate like "Mutation.login"',
      identifierArgument: (v) => (v === undefined ? undefined : check.string()(v, `${path}.identifierArgument`)),
      maxFailures: positiveInt,
      maxFailuresPerIp: positiveInt,
      identifierBurst: positiveInt,
      identifierDelay: positive,
      identifierMaxDelay: positive,
      window: positiveInt,
      block: positiveInt,
      isFailure: check.function(),
    },
    guard,
  ) as ResolvedBruteForceOptions;
  if (resolved.identifierMaxDelay < resolved.identifierDelay)
    throw new RampartConfigError(`${path}.identifierMaxDelay`, 'must be ≥ identifierDelay');
  return resolved;
}
