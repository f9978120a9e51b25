/**
 * Server-issued DPoP nonces (RFC 9449 §8), stateless: a nonce is its issue time and an HMAC of it, so
 * any replica holding the same secret accepts it until it is `lifetimeSeconds` old.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TIME_BYTES = 6;
const MAC_BYTES = 16;

/** Makes and checks nonces with one key. */
export class NonceIssuer {
  readonly #key: Uint8Array;
  readonly #lifetimeMs: number;

  constructor(secret: Uint8Array | undefined, lifetimeSeconds: number) {
    this.#key = secret ?? randomBytes(32);
    this.#lifetimeMs = lifetimeSeconds * 1000;
  }

  /** A fresh nonce for a client to put in its next proofs. */
  issue(now: number): string {
    const time = Buffer.alloc(TIME_BYTES);
    time.writeUIntBE(Math.floor(now / 1000), 0, TIME_BYTES);
    return Buffer.concat([time, this.#mac(time)]).toString('base64url');
  }

  /** True when `nonce` was issued with this key and is not older than the lifetime (nor from the future). */
  accepts(nonce: unknown, now: number): boolean {
    if (typeof nonce !== 'string' || nonce.length > 64) return false;
    const bytes = Buffer.from(nonce, 'base64url');
    if (bytes.length !== TIME_BYTES + MAC_BYTES) return false;
    const time = bytes.subarray(0, TIME_BYTES);
    if (!timingSafeEqual(bytes.subarray(TIME_BYTES), this.#mac(time))) return false;
    const issuedMs = time.readUIntBE(0, TIME_BYTES) * 1000;
    return issuedMs <= now + 1000 && now - issuedMs <= this.#lifetimeMs;
  }

  #mac(time: Buffer): Buffer {
    return createHmac('sha256', this.#key).update(time).digest().subarray(0, MAC_BYTES);
  }
}
