import { type Check, type Clock, check, describe, type OptionSchema, resolveOptions, systemClock } from '@rampart/core';
import { type AuditChainOptions, chainCheck } from './chain-options.js';

export {
  type AuditChainOptions,
  type AuditCheckpointAnchor,
  type AuditCheckpointOptions,
  type AuditCheckpointRecord,
  checkpointSchedule,
  DEFAULT_CHECKPOINT_EVERY,
  DEFAULT_CHECKPOINT_EVERY_MS,
} from './chain-options.js';

/**
 * Kubernetes-style audit levels. `none`: no record; `metadata`: who, what, outcome, never a value;
 * `request`: also the (redacted) variables and field arguments; `response`: also a result summary.
 */
export type AuditLevel = 'none' | 'metadata' | 'request' | 'response';

/** The outcome written to `event.outcome`. */
export type AuditOutcome = 'success' | 'failure' | 'denied';

/** Which kind of record a policy rule applies to. */
export type AuditRecordKind = 'operation' | 'field';

/**
 * One first-match policy rule: the first rule whose every given condition matches decides the level.
 * A condition that lists several values matches when any of them matches.
 */
export interface AuditRule {
  /** The level to use when the rule matches. */
  level: AuditLevel;
  /** Record kinds the rule applies to. Default: both. */
  records?: readonly AuditRecordKind[];
  /** `query`, `mutation`, `subscription`. */
  operationTypes?: readonly ('query' | 'mutation' | 'subscription')[];
  /** Operation names. */
  operationNames?: readonly string[];
  /**
   * Schema coordinates (`Mutation.login`, or `Type.*`). An operation record matches when any of its
   * root fields matches; a field record when its own field matches.
   */
  coordinates?: readonly string[];
  /** Principal kinds: `user`, `service`, `anonymous`. */
  principalKinds?: readonly ('user' | 'service' | 'anonymous')[];
  /** Roles: matches when the principal has any of them. */
  roles?: readonly string[];
  /** Outcomes: `success`, `failure`, `denied`. */
  outcomes?: readonly AuditOutcome[];
}

/** Something with a `write(string)` method (a stream, pino destination, `LogSink`…). */
export interface WritableLike {
  write(chunk: string): unknown;
  flushSync?(): void;
  flush?(cb?: (error?: Error | null) => void): void;
  end?(): void;
  on?(event: string, listener: (...args: any[]) => void): unknown;
}

/**
 * Where audit lines go.
 * - `'stdout'`: standard output (synchronous writes).
 * - a path string: that file, appended to, synchronous writes (nothing buffered, nothing lost on a crash).
 * - `{ path, sync: false, minLength }`: buffered asynchronous file writes (pino's SonicBoom, buffering up to
 *   `minLength` bytes, default 4096, at most 16383); buffered
 *   lines are flushed in `serverWillStop` and on process exit, and are lost on SIGKILL or a crash.
 * - `{ transport }`: any pino transport (`pino.transport()` options): a worker thread; lines still
 *   queued there are lost on SIGKILL.
 * - `{ stream }`: any object with `write(string)`.
 */
export type AuditDestination =
  | 'stdout'
  | string
  | { path: string; sync?: boolean; minLength?: number }
  | { transport: Record<string, unknown> }
  | { stream: WritableLike };

/** Options of `auditPlugin()` / `auditModule()` (`rampart({ audit })`). */
export interface AuditOptions {
  /**
   * Turns the audit trail off entirely (no records, no wrapped fields).
   * @default true
   */
  enabled: boolean;
  /**
   * Where lines go. See {@link AuditDestination}.
   * @default 'stdout'
   */
  destination: AuditDestination;
  /**
   * How lines reach a synchronous destination (`'stdout'`, a path, `{ path }`, `{ path, sync: true }`;
   * buffered files, transports and streams are not affected):
   * - `'group'`: group commit. The lines of one event-loop turn are written together in one `write` at
   *   the end of the turn (`setImmediate`), in order, before the next turn's. `serverWillStop`,
   *   checkpoints, SIGTERM (through Apollo's stop) and process exit write them at once; a SIGKILL loses at
   *   most the lines of the turn it interrupts (records of responses being sent in that turn). With
   *   `failClosed`, a request waits for its turn's write and is refused (503) if that write failed;
   *   every request of the turn sees the failure.
   * - `'sync'`: one `write` per line, done before the request goes on: nothing answered is ever lost.
   * The chained lines and checkpoints are the same either way (the verifier cannot tell them apart).
   * @default 'group'
   */
  durability: 'group' | 'sync';
  /**
   * Level of operation records (and of audited fields whose `@audit` gives none) when no rule matches.
   * @default 'metadata'
   */
  level: AuditLevel;
  /**
   * When a record carries `rampart.cost.actual` (the cost counted from the response's data):
   * - `'computed'`: only when another part of Rampart already counted it (the rate limiter refunding a
   *   cost budget, the limits' `exposeCost`, telemetry with `actualCost: 'always'`), so the audit never
   *   pays for a walk of the response. The estimate (`rampart.cost.estimated`) is always recorded.
   * - `'always'`: every operation record carries it, walking the response when nobody else did. The walk
   *   costs ~0.1–0.25 µs of CPU per object in the response (in-process: ~20–35 µs on a 100-product list,
   *   ~1.2 ms on a 1,000-order list).
   * @default 'computed'
   */
  actualCost: 'computed' | 'always';
  /**
   * First-match policy rules (see {@link AuditRule}).
   * @default []
   */
  rules: readonly AuditRule[];
  /**
   * Write a field record for every mutation root field, even without `@audit`.
   * @default true
   */
  auditMutationFields: boolean;
  /**
   * The name backstop: argument, input field, variable and object keys whose normalised name matches
   * one of these are redacted at any depth, whatever the schema says.
   * @default ['password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'authorization', 'cookie', 'credential', 'privatekey', 'sessionid', 'cardnumber', 'creditcard', 'iban', 'cvv', 'cvc', 'pin', 'ssn', 'otp']
   */
  sensitiveNames: readonly string[];
  /**
   * HMAC chain and signed checkpoints. Without it, lines carry `seq` and `chain` but no MAC.
   * @default undefined
   */
  chain: AuditChainOptions | undefined;
  /**
   * Refuse requests (HTTP 503, `INTERNAL_SERVER_ERROR`) when the audit trail cannot be written: a start
   * record is written before execution and the request is refused if that fails; if the final record
   * cannot be written, the response is replaced by the 503 error. Off: a failing destination never
   * fails or delays a request (records are dropped and counted).
   * @default false
   */
  failClosed: boolean;
  /**
   * Longest string kept in a record (longer ones are cut, the cut length noted).
   * @default 1024
   */
  maxStringLength: number;
  /**
   * Most array items / object keys kept per level of a logged value.
   * @default 50
   */
  maxItems: number;
  /**
   * Deepest nesting kept in a logged value.
   * @default 8
   */
  maxDepth: number;
  /**
   * Called when a write fails (not in the request path's way). Default: one process warning for the
   * first failure.
   * @default undefined
   */
  onWriteError: ((error: Error) => void) | undefined;
  /**
   * The clock for `@timestamp`.
   * @default systemClock
   */
  clock: Clock;
}

/** Every option's default. */
export const defaultAuditOptions: Readonly<AuditOptions> = Object.freeze({
  enabled: true,
  destination: 'stdout',
  durability: 'group',
  level: 'metadata',
  actualCost: 'computed',
  rules: Object.freeze([]) as readonly AuditRule[],
  auditMutationFields: true,
  sensitiveNames: Object.freeze([
    'password',
    'passwd',
    'passphrase',
    'secret',
    'token',
    'apikey',
    'authorization',
    'cookie',
    'credential',
    'privatekey',
    'sessionid',
    'cardnumber',
    'creditcard',
    'iban',
    'cvv',
    'cvc',
    'pin',
    'ssn',
    'otp',
  ]),
  chain: undefined,
  failClosed: false,
  maxStringLength: 1024,
  maxItems: 50,
  maxDepth: 8,
  onWriteError: undefined,
  clock: systemClock,
});

const LEVELS = ['none', 'metadata', 'request', 'response'] as const;

const levelCheck: Check = check.oneOf(...LEVELS);

const ruleKeys = new Set([
  'level',
  'records',
  'operationTypes',
  'operationNames',
  'coordinates',
  'principalKinds',
  'roles',
  'outcomes',
]);

function listOf(values: readonly string[] | undefined): Check {
  return check.arrayOf(values ? check.oneOf(...values) : check.string());
}

const ruleCheck: Check = (v, path) => {
  const base = check.object()(v, path);
  if (base) return base;
  const rule = v as Record<string, unknown>;
  for (const key of Object.keys(rule)) if (!ruleKeys.has(key)) return `has an unknown key "${key}"`;
  const m = levelCheck(rule.level, `${path}.level`);
  if (m) return `.level ${m}`;
  const lists: Record<string, readonly string[] | undefined> = {
    records: ['operation', 'field'],
    operationTypes: ['query', 'mutation', 'subscription'],
    operationNames: undefined,
    coordinates: undefined,
    principalKinds: ['user', 'service', 'anonymous'],
    roles: undefined,
    outcomes: ['success', 'failure', 'denied'],
  };
  for (const [key, allowed] of Object.entries(lists)) {
    if (rule[key] === undefined) continue;
    const e = listOf(allowed)(rule[key], `${path}.${key}`);
    if (e) return `.${key} ${e}`;
  }
  return undefined;
};

const destinationCheck: Check = (v) => {
  if (typeof v === 'string') return v.length > 0 ? undefined : 'must be "stdout", a file path or an object';
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    return `must be "stdout", a file path, { path }, { transport } or { stream }, got ${describe(v)}`;
  }
  const d = v as Record<string, unknown>;
  if ('stream' in d) {
    return typeof (d.stream as WritableLike | undefined)?.write === 'function'
      ? undefined
      : '.stream must have a write() method';
  }
  if ('transport' in d)
    return check.object()(d.transport, '') ? '.transport must be pino.transport() options' : undefined;
  if ('path' in d) {
    if (typeof d.path !== 'string' || d.path.length === 0) return '.path must be a non-empty string';
    if (d.sync !== undefined && typeof d.sync !== 'boolean') return '.sync must be true or false';
    if (d.minLength !== undefined && check.integer(0, 1 << 20)(d.minLength, ''))
      return '.minLength must be an integer from 0';
    for (const key of Object.keys(d))
      if (!['path', 'sync', 'minLength'].includes(key)) return `has an unknown key "${key}"`;
    return undefined;
  }
  return 'must have one of the keys path, transport or stream';
};

const schema: OptionSchema<AuditOptions> = {
  enabled: check.boolean(),
  destination: destinationCheck,
  durability: check.oneOf('group', 'sync'),
  level: levelCheck,
  actualCost: check.oneOf('computed', 'always'),
  rules: check.arrayOf(ruleCheck),
  auditMutationFields: check.boolean(),
  sensitiveNames: check.arrayOf(check.string()),
  chain: chainCheck,
  failClosed: check.boolean(),
  maxStringLength: check.integer(16, 1 << 20),
  maxItems: check.integer(1, 10_000),
  maxDepth: check.integer(1, 64),
  onWriteError: check.anyOf(check.function(), (v) => (v === undefined ? undefined : 'must be a function')),
  clock: (v) => (typeof (v as Clock | null)?.now === 'function' ? undefined : 'must have a now() method'),
};

/**
 * Checks the user's audit options and merges them over {@link defaultAuditOptions}.
 * @throws RampartConfigError naming the bad option (e.g. `audit.chain`).
 */
export function resolveAuditOptions(user: Partial<AuditOptions> | undefined): Readonly<AuditOptions> {
  return resolveOptions('audit', defaultAuditOptions, schema, user);
}

/** Numeric rank of a level, for comparisons. */
export function levelRank(level: AuditLevel): number {
  return LEVELS.indexOf(level);
}
