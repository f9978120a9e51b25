/**
 * API keys: stored as SHA-256 hashes, compared in constant time against every configured key.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AddressList } from './ip.js';
import type { ApiKeyEntry } from './options.js';

/** The SHA-256 of an API key, as configuration stores it: `sha256:<64 hex>`. */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** Options of {@link generateApiKey}. */
export interface GenerateApiKeyOptions {
  /** A readable prefix (helps secret scanners and humans). @default 'rk_' */
  prefix?: string;
  /** Random bytes (base64url-encoded). @default 32 */
  bytes?: number;
}

/**
 * Generates a new API key (32 random bytes, base64url: 43 characters after the prefix) and the hash
 * to put in configuration. Hand the key to the client once; store only the hash.
 */
export function generateApiKey(options: GenerateApiKeyOptions = {}): { key: string; hash: string } {
  const bytes = options.bytes ?? 32;
  if (!Number.isInteger(bytes) || bytes < 24) throw new RangeError('generateApiKey: bytes must be an integer ≥ 24');
  const key = `${options.prefix ?? 'rk_'}${randomBytes(bytes).toString('base64url')}`;
  return { key, hash: hashApiKey(key) };
}

/** A configured key, ready for matching. */
export interface ResolvedApiKey {
  readonly entry: ApiKeyEntry;
  readonly digest: Buffer;
  readonly allowedFrom: AddressList | undefined;
}

/** The configured keys. */
export class ApiKeyStore {
  readonly #keys: ResolvedApiKey[];

  constructor(entries: readonly ApiKeyEntry[], path = 'authentication.apiKeys.keys') {
    this.#keys = entries.map((entry, i) => ({
      entry,
      digest: Buffer.from(entry.hash.toLowerCase().replace(/^sha256:/, ''), 'hex'),
      allowedFrom: entry.allowedCidrs ? new AddressList(entry.allowedCidrs, `${path}[${i}].allowedCidrs`) : undefined,
    }));
  }

  /**
   * The key matching `presented`, comparing its SHA-256 with every configured hash in constant time
   * (no early exit, so the time does not tell which or how many keys exist).
   */
  match(presented: string): ResolvedApiKey | undefined {
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found: ResolvedApiKey | undefined;
    for (const k of this.#keys) {
      if (timingSafeEqual(digest, k.digest) && found === undefined) found = k;
    }
    return found;
  }
}
