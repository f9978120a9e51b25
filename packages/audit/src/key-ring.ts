/**
 * Key rings for the verifier: every HMAC key and checkpoint public key a log's chains may name, by key
 * id, and the file format `rampart audit verify --keys` reads.
 */
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { checkKeyId, hmacKeyId, loadHmacKey, loadPublicKey, signingKeyId } from './keys.js';

/**
 * The keys a verifier may need, by key id: HMAC keys (bytes, hex text or `@/path`) and Ed25519 public
 * keys (PEM text, `@/path` or a `KeyObject`).
 */
export interface AuditKeyRing {
  readonly hmac?: Readonly<Record<string, string | Uint8Array>>;
  readonly ed25519?: Readonly<Record<string, string | KeyObject>>;
}

/**
 * Reads a key ring file: JSON `{ "hmac": { "<key id>": "<hex | @file>" }, "ed25519": { "<key id>":
 * "<PEM | @file>" } }`. A relative `@file` is taken from the ring file's folder. Keys are loaded (and
 * checked) by {@link verifyAuditLog}. Throws on unreadable JSON or a bad shape.
 */
export function loadKeyRing(path: string): AuditKeyRing {
  const ring = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (ring === null || typeof ring !== 'object' || Array.isArray(ring))
    throw new Error(`${path}: a key ring is a JSON object { "hmac": {…}, "ed25519": {…} }`);
  const out: { hmac?: Record<string, string>; ed25519?: Record<string, string> } = {};
  for (const [section, entries] of Object.entries(ring as Record<string, unknown>)) {
    if (section !== 'hmac' && section !== 'ed25519') throw new Error(`${path}: unknown section "${section}"`);
    if (entries === null || typeof entries !== 'object' || Array.isArray(entries))
      throw new Error(`${path}: "${section}" must map key ids to keys`);
    const keys: Record<string, string> = {};
    for (const [id, value] of Object.entries(entries as Record<string, unknown>)) {
      checkKeyId(id, `${path}: key id`);
      if (typeof value !== 'string') throw new Error(`${path}: ${section} key "${id}" must be a string`);
      const file = value.startsWith('@') ? value.slice(1) : undefined;
      keys[id] = file !== undefined && !isAbsolute(file) ? `@${resolve(dirname(path), file)}` : value;
    }
    out[section] = keys;
  }
  return out;
}

/** Keys by id, and the key for lines that name none (`fallback`). */
export interface KeysById<K> {
  readonly byId: ReadonlyMap<string, K>;
  /** The `key`/`publicKey` option, else the ring's only key: for lines without `key_id`. */
  readonly fallback: K | undefined;
  /** Whether a ring was given: then an unknown key id is an error, not a try with `fallback`. */
  readonly ring: boolean;
}

/** The key a line or checkpoint naming `keyId` (undefined: none) is verified with, if any. */
export function keyFor<K>(keys: KeysById<K>, keyId: string | undefined): K | undefined {
  if (keyId === undefined) return keys.fallback;
  return keys.byId.get(keyId) ?? (keys.ring ? undefined : keys.fallback);
}

function byId<K>(
  entries: Readonly<Record<string, unknown>> | undefined,
  single: K | undefined,
  load: (value: never) => K,
  idOf: (key: K) => string,
): KeysById<K> {
  const map = new Map<string, K>();
  for (const [id, value] of Object.entries(entries ?? {})) map.set(id, load(value as never));
  const only = map.size === 1 ? [...map.values()][0] : undefined;
  if (single !== undefined && !map.has(idOf(single))) map.set(idOf(single), single);
  return { byId: map, fallback: single ?? only, ring: entries !== undefined };
}

/** The HMAC keys of a verification: the ring's, plus `key` under its derived id. */
export function hmacKeys(key: string | Uint8Array | undefined, ring: AuditKeyRing | undefined): KeysById<Buffer> {
  if (key === undefined && !ring?.hmac) throw new Error('verifyAuditLog: give key or keys.hmac');
  return byId(ring?.hmac, key === undefined ? undefined : loadHmacKey(key), loadHmacKey, hmacKeyId);
}

/** The checkpoint public keys of a verification (undefined when none is given). */
export function publicKeys(
  key: string | KeyObject | undefined,
  ring: AuditKeyRing | undefined,
): KeysById<KeyObject> | undefined {
  if (key === undefined && !ring?.ed25519) return undefined;
  return byId(ring?.ed25519, key === undefined ? undefined : loadPublicKey(key), loadPublicKey, signingKeyId);
}
