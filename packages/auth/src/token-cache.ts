/**
 * The verified-token cache: a token whose signature and claims were verified is not verified again
 * while that verification would give the same answer — until its `exp` (and never before its `nbf`),
 * while its issuer's key set has lost no key and is fresh. Failed verifications are never kept. How the
 * token is presented (DPoP proofs) is still checked on every request, by the caller.
 */
import type { IssuerVerifier, VerifiedToken } from './jwt.js';

/** The default number of tokens kept. */
export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;

/**
 * How many characters at the end of a token key the cache: the signature's tail, 288 random-looking
 * bits. Hashing a whole token (hundreds of characters, a new string on every request) costs more than
 * the rest of a hit; the full token is compared on every hit, so a shared tail only shares a slot.
 */
const KEY_LENGTH = 48;

/** The cache key of a token. */
function keyOf(token: string): string {
  return token.length <= KEY_LENGTH ? token : token.slice(-KEY_LENGTH);
}

/** One cached verification. */
export interface CachedToken {
  /** The whole token (compared on every hit). */
  readonly token: string;
  readonly verified: VerifiedToken;
  /** The issuer configuration that verified it. */
  readonly issuer: IssuerVerifier;
  /** Its key set's version at verification. */
  readonly keySetVersion: number;
}

/** Tokens (by their signature's tail) to their verification, oldest dropped first when full. */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, CachedToken>();
  readonly #capacity: number;

  /** @param capacity - tokens kept; 0 turns the cache off. */
  constructor(capacity = DEFAULT_TOKEN_CACHE_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`the verified-token cache size must be a non-negative integer, got ${capacity}`);
    }
    this.#capacity = capacity;
  }

  /** How many tokens are held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The verification of `token` if it still holds at `now` (ms), else `undefined` (and it is dropped). */
  get(token: string, now: number): CachedToken | undefined {
    const key = keyOf(token);
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.token !== token) return undefined;
    const { verified, issuer } = entry;
    if (now >= verified.validUntilMs || issuer.keys.keySetVersion() !== entry.keySetVersion) {
      this.#entries.delete(key);
      return undefined;
    }
    // before nbf (a clock set back), or a key set due for refetch: verify again, keep the entry
    if (now < verified.validFromMs || !issuer.keys.fresh()) return undefined;
    return entry;
  }

  /** Keeps a successful verification (only tokens with an `exp`: their lifetime is bounded). */
  set(token: string, verified: VerifiedToken, issuer: IssuerVerifier, keySetVersion: number): void {
    if (this.#capacity === 0 || !Number.isFinite(verified.validUntilMs)) return;
    const key = keyOf(token);
    if (this.#entries.size >= this.#capacity && !this.#entries.has(key)) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
    this.#entries.set(key, { token, verified, issuer, keySetVersion });
  }
}
