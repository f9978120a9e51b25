import { check, RampartConfigError, renameDeprecatedOptions, resolveOptions } from '@rampart/core';

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
   * Failures allowed per (identifier, IP) within `windowSeconds`, then blocked.
   * @default 5
   */
  maxFailures?: number;
  /**
   * Failures allowed per IP (any identifier) within `windowSeconds`, then blocked.
   * @default 100
   */
  maxFailuresPerIp?: number;
  /**
   * Attempts at one identifier, from all addresses together, that run without pacing. Past them the
   * identifier is paced, never locked: the wait between attempts grows from `identifierDelaySeconds`,
   * doubling as attempts pile up, to at most `identifierMaxDelaySeconds`; an attempt that comes earlier is
   * refused (429, `Retry-After`) without running the resolver. A success resets the pacing.
   * Needs `identifierArgument`.
   * @default 5
   */
  identifierBurst?: number;
  /**
   * Seconds between attempts at one identifier once its burst is used (the first step of the pacing).
   * @default 1
   */
  identifierDelaySeconds?: number;
  /**
   * The longest wait (seconds) between attempts at one identifier: the most its owner ever waits.
   * @default 60
   */
  identifierMaxDelaySeconds?: number;
  /**
   * Seconds over which failures are counted (from the first failure).
   * @default 900
   */
  windowSeconds?: number;
  /**
   * Seconds an (identifier, IP) pair or an IP stays blocked once over its limit.
   * @default 900
   */
  blockSeconds?: number;
  /**
   * Whether a resolver result is a failure (a thrown error always is).
   * @default result is null/undefined/false, or has `success === false` or `ok === false`
   */
  isFailure?: (result: unknown) => boolean;
  /** @deprecated use `identifierDelaySeconds` (the same value). */
  identifierDelay?: number;
  /** @deprecated use `identifierMaxDelaySeconds` (the same value). */
  identifierMaxDelay?: number;
  /** @deprecated use `windowSeconds` (the same value). */
  window?: number;
  /** @deprecated use `blockSeconds` (the same value). */
  block?: number;
}

/** The deprecated names of {@link BruteForceOptions} and the names that replace them (every duration names its unit). */
const RENAMED_BRUTE_FORCE_OPTIONS = [
  ['identifierDelay', 'identifierDelaySeconds'],
  ['identifierMaxDelay', 'identifierMaxDelaySeconds'],
  ['window', 'windowSeconds'],
  ['block', 'blockSeconds'],
] as const;

type DeprecatedBruteForceOption = (typeof RENAMED_BRUTE_FORCE_OPTIONS)[number][0];
type CurrentBruteForceOptions = Omit<BruteForceOptions, DeprecatedBruteForceOption>;

/** Brute-force options after resolution (`identifierArgument` stays optional). */
export type ResolvedBruteForceOptions = Required<Omit<CurrentBruteForceOptions, 'identifierArgument'>> &
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
  const current = renameDeprecatedOptions(path, guard, RENAMED_BRUTE_FORCE_OPTIONS) as CurrentBruteForceOptions;
  const resolved = resolveOptions<CurrentBruteForceOptions>(
    path,
    {
      field: '',
      identifierArgument: undefined,
      maxFailures: 5,
      maxFailuresPerIp: 100,
      identifierBurst: 5,
      identifierDelaySeconds: 1,
      identifierMaxDelaySeconds: 60,
      windowSeconds: 900,
      blockSeconds: 900,
      isFailure: defaultIsFailure,
    },
    {
      field: (v) =>
        typeof v === 'string' && /^\w+\.\w+$/.test(v) ? undefined : 'must be a coordinate like "Mutation.login"',
      identifierArgument: (v) => (v === undefined ? undefined : check.string()(v, `${path}.identifierArgument`)),
      maxFailures: positiveInt,
      maxFailuresPerIp: positiveInt,
      identifierBurst: positiveInt,
      identifierDelaySeconds: positive,
      identifierMaxDelaySeconds: positive,
      windowSeconds: positiveInt,
      blockSeconds: positiveInt,
      isFailure: check.function(),
    },
    current,
  ) as ResolvedBruteForceOptions;
  if (resolved.identifierMaxDelaySeconds < resolved.identifierDelaySeconds)
    throw new RampartConfigError(`${path}.identifierMaxDelaySeconds`, 'must be ≥ identifierDelaySeconds');
  return resolved;
}
