/** The options of the HMAC chain and its signed checkpoints (`audit.chain`), and their check. */
import { type Check, check } from '@rampart/core';
import { KEY_ID_PATTERN } from './keys.js';
import type { WritableLike } from './options.js';

/** Signed checkpoints of the chain head, written to a separate file. */
export interface AuditCheckpointOptions {
  /** File the checkpoints are appended to (one JSON line each). */
  path: string;
  /** Ed25519 private key: PEM text, a `KeyObject`, or `@/path/to/key.pem`. */
  privateKey: string | import('node:crypto').KeyObject;
  /**
   * A checkpoint every this many records (and one at start and on shutdown).
   * @default 1000
   */
  every?: number;
  /**
   * A checkpoint at least every this many milliseconds while records are being written: an unref'd
   * timer writes one when records were written since the last checkpoint (none when idle). After a
   * crash, at most the records of the last `everyMs` are unsealed (a cut there is not detected; the
   * verifier reports them as an unsealed tail). `0` turns the timer off (count-based and shutdown
   * checkpoints only).
   * @default 10000
   */
  everyMs?: number;
  /**
   * The former name of {@link everyMs} (it defaulted to `0`, off); used when `everyMs` is not given.
   * @deprecated Use `everyMs`.
   */
  intervalMs?: number;
  /**
   * Id of the signing key, written as `key_id` in each checkpoint (the verifier's key ring finds the
   * public key by it). 1 to 64 of `A-Z a-z 0-9 . _ -`.
   * @default the first 8 bytes of SHA-256 of the public key's SPKI DER, as 16 hex digits
   */
  keyId?: string;
  /**
   * A second destination for every checkpoint, off this host: a file path (e.g. on another mount;
   * appended asynchronously), `{ path }`, `{ stream }` (anything with `write(line)`), `{ transport }`
   * (`pino.transport()` options: a syslog or HTTP collector), or a function called with each
   * checkpoint. A failing anchor is reported (`onWriteError`, else one process warning) and never
   * blocks or fails the log or its checkpoints file. `rampart audit verify --anchor` checks the log
   * against the anchored copy.
   * @default undefined
   */
  anchor?: AuditCheckpointAnchor;
}

/** A checkpoint as written: one JSON line, keys in this order. */
export interface AuditCheckpointRecord {
  readonly '@timestamp': string;
  readonly chain: string;
  readonly seq: number;
  /** MAC of the line at `seq` (the chain's first `prev` for seq 0). */
  readonly head: string;
  /** Id of the signing key. */
  readonly key_id: string;
  /** Ed25519 signature (base64) of `rampart-audit-checkpoint/v1\n<chain>\n<seq>\n<head>\n<@timestamp>`. */
  readonly sig: string;
}

/** See {@link AuditCheckpointOptions.anchor}. */
export type AuditCheckpointAnchor =
  | string
  | { path: string }
  | { stream: WritableLike }
  | { transport: Record<string, unknown> }
  | ((checkpoint: AuditCheckpointRecord) => void | Promise<void>);

/** Default of {@link AuditCheckpointOptions.every}: a checkpoint every 1,000 records. */
export const DEFAULT_CHECKPOINT_EVERY = 1000;

/** Default of {@link AuditCheckpointOptions.everyMs}: a checkpoint at least every 10 s while records are written. */
export const DEFAULT_CHECKPOINT_EVERY_MS = 10_000;

/**
 * The record count and the period (`0`: no timer) of the checkpoints `options` ask for, defaults
 * applied (`everyMs`, else the deprecated `intervalMs`, else {@link DEFAULT_CHECKPOINT_EVERY_MS}).
 */
export function checkpointSchedule(options: Readonly<AuditCheckpointOptions>): { every: number; everyMs: number } {
  return {
    every: options.every ?? DEFAULT_CHECKPOINT_EVERY,
    everyMs: options.everyMs ?? options.intervalMs ?? DEFAULT_CHECKPOINT_EVERY_MS,
  };
}

/** The HMAC chain over the written lines. */
export interface AuditChainOptions {
  /** HMAC-SHA-256 key: at least 32 bytes, as a Buffer/Uint8Array, hex text, or `@/path/to/keyfile` (hex inside). */
  key: string | Uint8Array;
  /**
   * Id of `key`, written as `key_id` in every line (the verifier's key ring finds the key by it). 1 to
   * 64 of `A-Z a-z 0-9 . _ -`.
   * @default the first 8 bytes of SHA-256 of the key bytes, as 16 hex digits
   */
  keyId?: string;
  /** Signed checkpoints (needed to detect a truncated tail). */
  checkpoints?: AuditCheckpointOptions;
}

const KEY_ID_RULE = 'must be 1 to 64 of A-Z a-z 0-9 . _ -';

const anchorCheck: Check = (v) => {
  if (typeof v === 'function') return undefined;
  if (typeof v === 'string') return v.length > 0 ? undefined : 'must not be empty';
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return 'must be a file path, { path }, { stream }, { transport } or a function';
  const a = v as Record<string, unknown>;
  const keys = Object.keys(a);
  if (keys.length !== 1) return 'must have exactly one of the keys path, stream, transport';
  if ('path' in a)
    return typeof a.path === 'string' && a.path.length > 0 ? undefined : '.path must be a non-empty string';
  if ('stream' in a)
    return typeof (a.stream as WritableLike | undefined)?.write === 'function'
      ? undefined
      : '.stream must have a write() method';
  if ('transport' in a)
    return check.object()(a.transport, '') ? '.transport must be pino.transport() options' : undefined;
  return `has an unknown key "${keys[0]}"`;
};

const CHECKPOINT_KEYS = ['path', 'privateKey', 'every', 'everyMs', 'intervalMs', 'keyId', 'anchor'];

function checkpointsCheck(cp: Record<string, unknown>): string | undefined {
  if (check.object()(cp, '')) return '.checkpoints must be an object';
  for (const key of Object.keys(cp)) {
    if (!CHECKPOINT_KEYS.includes(key)) return `.checkpoints has an unknown key "${key}"`;
  }
  if (typeof cp.path !== 'string' || cp.path.length === 0) return '.checkpoints.path must be a non-empty string';
  if (typeof cp.privateKey !== 'string' && (cp.privateKey === null || typeof cp.privateKey !== 'object')) {
    return '.checkpoints.privateKey must be PEM text, "@/path/to/key.pem" or a KeyObject';
  }
  if (cp.every !== undefined && check.integer(1, 1e9)(cp.every, '')) return '.checkpoints.every must be an integer ≥ 1';
  for (const name of ['everyMs', 'intervalMs'] as const) {
    if (cp[name] !== undefined && check.integer(0, 86_400_000)(cp[name], ''))
      return `.checkpoints.${name} must be an integer from 0 (off) to 86400000`;
  }
  if (cp.keyId !== undefined && (typeof cp.keyId !== 'string' || !KEY_ID_PATTERN.test(cp.keyId)))
    return `.checkpoints.keyId ${KEY_ID_RULE}`;
  if (cp.anchor !== undefined) {
    const e = anchorCheck(cp.anchor, '');
    if (e) return `.checkpoints.anchor ${e}`;
  }
  return undefined;
}

/** Checks `audit.chain`. */
export const chainCheck: Check = (v, path) => {
  if (v === undefined) return undefined;
  const base = check.object()(v, path);
  if (base) return base;
  const c = v as Record<string, unknown>;
  for (const key of Object.keys(c))
    if (!['key', 'keyId', 'checkpoints'].includes(key)) return `has an unknown key "${key}"`;
  if (typeof c.key !== 'string' && !(c.key instanceof Uint8Array)) {
    return '.key must be a hex string, "@/path/to/keyfile" or a Buffer of at least 32 bytes';
  }
  if (typeof c.key === 'string' && !c.key.startsWith('@') && !/^(?:[\da-fA-F]{2}){32,}$/.test(c.key)) {
    return '.key must be at least 64 hex digits (32 bytes), or "@/path/to/keyfile"';
  }
  if (c.key instanceof Uint8Array && c.key.length < 32) return '.key must be at least 32 bytes';
  if (c.keyId !== undefined && (typeof c.keyId !== 'string' || !KEY_ID_PATTERN.test(c.keyId)))
    return `.keyId ${KEY_ID_RULE}`;
  return c.checkpoints === undefined ? undefined : checkpointsCheck(c.checkpoints as Record<string, unknown>);
};
