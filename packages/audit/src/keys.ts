import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads an HMAC key: a Buffer/Uint8Array as is; hex text; or `@/path` to a file holding hex text
 * (or, if the file is not hex, its raw bytes). At least 32 bytes.
 */
export function loadHmacKey(key: string | Uint8Array): Buffer {
  let bytes: Buffer;
  if (key instanceof Uint8Array) bytes = Buffer.from(key);
  else if (key.startsWith('@')) {
    const raw = readFileSync(key.slice(1));
    const text = raw.toString('utf8').trim();
    bytes = /^(?:[\da-fA-F]{2})+$/.test(text) ? Buffer.from(text, 'hex') : raw;
  } else if (/^(?:[\da-fA-F]{2})+$/.test(key.trim())) bytes = Buffer.from(key.trim(), 'hex');
  else throw new Error('the audit HMAC key must be hex text or "@/path/to/keyfile"');
  if (bytes.length < 32) throw new Error(`the audit HMAC key must be at least 32 bytes, got ${bytes.length}`);
  return bytes;
}

/**
 * What a key id may hold: 1 to 64 of `A-Z a-z 0-9 . _ -` (spliced into each line as is, never
 * escaped).
 */
export const KEY_ID_PATTERN = /^[\w.-]{1,64}$/;

/**
 * The default id of an HMAC key: the first 8 bytes of SHA-256 of the key bytes, as 16 hex digits
 * (for a hex key file: `xxd -r -p audit-hmac.key | sha256sum | cut -c1-16`).
 */
export function hmacKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/**
 * The default id of an Ed25519 key pair: the first 8 bytes of SHA-256 of the public key's SPKI DER
 * encoding, as 16 hex digits (the same for the private and the public key).
 */
export function signingKeyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/** Checks a key id against {@link KEY_ID_PATTERN}; returns it. */
export function checkKeyId(id: string, what: string): string {
  if (!KEY_ID_PATTERN.test(id))
    throw new Error(`${what} must be 1 to 64 of A-Z a-z 0-9 . _ -, got ${JSON.stringify(id)}`);
  return id;
}

/** Reads an Ed25519 private key: a KeyObject, PEM text, or `@/path/to/key.pem`. */
export function loadPrivateKey(key: string | KeyObject): KeyObject {
  if (typeof key !== 'string') return key;
  const pem = key.startsWith('@') ? readFileSync(key.slice(1), 'utf8') : key;
  const k = createPrivateKey(pem);
  if (k.asymmetricKeyType !== 'ed25519') throw new Error('the checkpoint signing key must be an Ed25519 private key');
  return k;
}

/** Reads an Ed25519 public key: a KeyObject, PEM text, or `@/path/to/key.pem`. */
export function loadPublicKey(key: string | KeyObject): KeyObject {
  if (typeof key !== 'string') return key;
  const pem = key.startsWith('@') ? readFileSync(key.slice(1), 'utf8') : key;
  const k = createPublicKey(pem);
  if (k.asymmetricKeyType !== 'ed25519') throw new Error('the checkpoint public key must be an Ed25519 key');
  return k;
}

/** Paths of the key files written by {@link generateAuditKeys}. */
export interface AuditKeyFiles {
  /** HMAC key, 64 hex digits (32 random bytes). Mode 0600. */
  readonly hmacKeyPath: string;
  /** Ed25519 private key, PKCS#8 PEM. Mode 0600. */
  readonly privateKeyPath: string;
  /** Ed25519 public key, SPKI PEM (give this to whoever verifies). */
  readonly publicKeyPath: string;
}

/** Key file names inside a key folder. */
export const KEY_FILE_NAMES = Object.freeze({
  hmacKey: 'audit-hmac.key',
  privateKey: 'audit-checkpoint-private.pem',
  publicKey: 'audit-checkpoint-public.pem',
});

function keyPaths(dir: string): AuditKeyFiles {
  return {
    hmacKeyPath: join(dir, KEY_FILE_NAMES.hmacKey),
    privateKeyPath: join(dir, KEY_FILE_NAMES.privateKey),
    publicKeyPath: join(dir, KEY_FILE_NAMES.publicKey),
  };
}

/**
 * Generates a fresh HMAC key and an Ed25519 key pair into `dir` (created 0700 if missing; files 0600,
 * the public key 0644). Refuses to overwrite existing files unless `overwrite` is set. Keep the folder
 * out of version control.
 */
export function generateAuditKeys(dir: string, options: { overwrite?: boolean } = {}): AuditKeyFiles {
  const paths = keyPaths(dir);
  if (!options.overwrite) {
    for (const p of Object.values(paths)) if (existsSync(p)) throw new Error(`refusing to overwrite ${p}`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(paths.hmacKeyPath, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  writeFileSync(paths.privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(paths.publicKeyPath, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  chmodSync(paths.hmacKeyPath, 0o600);
  chmodSync(paths.privateKeyPath, 0o600);
  return paths;
}

/** Keys loaded by {@link loadOrCreateAuditKeys}. */
export interface AuditKeys extends AuditKeyFiles {
  /** The HMAC key bytes. */
  readonly hmacKey: Buffer;
  /** The Ed25519 private key (PEM). */
  readonly privateKeyPem: string;
  /** The Ed25519 public key (PEM). */
  readonly publicKeyPem: string;
  /** True when the keys were generated by this call. */
  readonly created: boolean;
}

/** Loads the keys from `dir`, generating them first when the folder holds none (first run of an example). */
export function loadOrCreateAuditKeys(dir: string): AuditKeys {
  const paths = keyPaths(dir);
  let created = false;
  if (!existsSync(paths.hmacKeyPath) && !existsSync(paths.privateKeyPath)) {
    generateAuditKeys(dir);
    created = true;
  }
  return {
    ...paths,
    hmacKey: loadHmacKey(`@${paths.hmacKeyPath}`),
    privateKeyPem: readFileSync(paths.privateKeyPath, 'utf8'),
    publicKeyPem: readFileSync(paths.publicKeyPath, 'utf8'),
    created,
  };
}
