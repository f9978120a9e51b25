/**
 * The public keys in DPoP proof headers, imported once per key: a client signs every proof with the
 * same key, so its import and its RFC 7638 thumbprint are computed on its first proof only. The
 * signature of every proof is still verified.
 */
import { type CryptoKey, calculateJwkThumbprint, importJWK, type JWK, type JWSHeaderParameters } from 'jose';

/** Members of a public JWK that a thumbprint or an import reads (RFC 7638, RFC 7518). */
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;
/** Members only a private (or symmetric) key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth', 'priv'];

/** A proof header's key, imported. */
export interface ProofKey {
  readonly key: CryptoKey | Uint8Array;
  /** Its SHA-256 JWK thumbprint (what a bound token's `cnf.jkt` names). */
  readonly thumbprint: string;
}

/** Why a header's key cannot be used (the proof is refused with this detail). */
export class ProofKeyError extends Error {
  override readonly name = 'ProofKeyError';
}

/** Imported keys by algorithm and public members, least recently used dropped first. */
export class ProofKeyCache {
  readonly #keys = new Map<string, ProofKey>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  /**
   * The key of a proof's protected header: a public JWK (`use`, when present, `sig`; `alg`, when
   * present, the header's).
   * @throws ProofKeyError when it is missing, private, or does not fit the header's algorithm.
   */
  async keyOf(header: JWSHeaderParameters): Promise<ProofKey> {
    const jwk = header.jwk as Record<string, unknown> | undefined;
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw new ProofKeyError('no jwk header');
    if (PRIVATE_MEMBERS.some((m) => Object.hasOwn(jwk, m))) throw new ProofKeyError('private key in jwk');
    if (jwk.use !== undefined && jwk.use !== 'sig') throw new ProofKeyError('jwk use is not sig');
    if (jwk.alg !== undefined && jwk.alg !== header.alg) throw new ProofKeyError('jwk alg is not the header alg');
    const publicJwk: JWK = {};
    for (const m of PUBLIC_MEMBERS) if (typeof jwk[m] === 'string') publicJwk[m] = jwk[m] as string;
    const id = `${header.alg} ${JSON.stringify(publicJwk)}`;
    const cached = this.#keys.get(id);
    if (cached !== undefined) {
      this.#keys.delete(id); // re-inserted last: most recently used
      this.#keys.set(id, cached);
      return cached;
    }
    const entry = await importPublic(publicJwk, header.alg);
    if (this.#keys.size >= this.#capacity) this.#keys.delete(this.#keys.keys().next().value as string);
    this.#keys.set(id, entry);
    return entry;
  }
}

async function importPublic(jwk: JWK, alg: string | undefined): Promise<ProofKey> {
  let key: CryptoKey | Uint8Array;
  try {
    key = await importJWK(jwk, alg);
  } catch (e) {
    throw new ProofKeyError(`jwk: ${(e as { code?: string }).code ?? (e as Error).name}`);
  }
  if (key instanceof Uint8Array || key.type !== 'public') throw new ProofKeyError('jwk is not a public key');
  return { key, thumbprint: await calculateJwkThumbprint(jwk, 'sha256') };
}
