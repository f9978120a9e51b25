/**
 * The checks of a DPoP proof (RFC 9449 §4.3) presented with a DPoP-bound access token: one
 * well-formed JWS of type `dpop+jwt`, signed (asymmetric algorithm) by the public key in its own
 * header, that key's thumbprint equal to the token's `cnf.jkt`, `htm`/`htu` naming this request,
 * `iat` within the window, `ath` the token's hash, the server's nonce when one is required, and its
 * `jti` never seen before. jose verifies the signature.
 */
import { createHash } from 'node:crypto';
import { type JWTPayload, jwtVerify } from 'jose';
import { AuthFailure, type DpopChallenge } from '../auth-failure.js';
import type { NonceIssuer } from './nonce.js';
import type { ResolvedDpopOptions } from './options.js';
import { type ProofKey, type ProofKeyCache, ProofKeyError } from './proof-keys.js';

/** What the request presents for the proof check. */
export interface ProofRequest {
  /** The `DPoP` header's value. */
  readonly proof: string | undefined;
  readonly method: string | undefined;
  /** The request URL or target (see core's `RequestInfo.url`). */
  readonly url: string | undefined;
  /** The `Host` header (resolves a request target). */
  readonly host: string | undefined;
}

/** A proof checker of one issuer configuration. */
export interface ProofChecker {
  readonly options: ResolvedDpopOptions;
  readonly nonces: NonceIssuer | undefined;
  /** The proof header keys, imported once per key. */
  readonly keys: ProofKeyCache;
  /** The challenge parameters of this configuration's refusals. */
  challenge(now: number): DpopChallenge;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;

/** A refused proof: 401 with `WWW-Authenticate: DPoP error="invalid_dpop_proof"`. */
function invalidProof(checker: ProofChecker, now: number, detail: string): AuthFailure {
  return new AuthFailure('invalid_dpop_proof', 'The DPoP proof is invalid', detail, checker.challenge(now));
}

/**
 * Checks `request`'s proof for `accessToken`, bound to the key whose SHA-256 thumbprint is `jkt`.
 * @throws AuthFailure `invalid_dpop_proof`, `use_dpop_nonce`, or `unavailable` (the replay store failed).
 */
export async function checkProof(
  checker: ProofChecker,
  request: ProofRequest,
  accessToken: string,
  jkt: string,
  now: number,
  clockToleranceSeconds: number,
): Promise<void> {
  const o = checker.options;
  const proof = request.proof;
  if (proof === undefined) throw invalidProof(checker, now, 'no DPoP header');
  if (proof.length > MAX_PROOF_LENGTH || !COMPACT_JWS.test(proof)) {
    throw invalidProof(checker, now, 'not one compact JWS');
  }
  let payload: JWTPayload;
  let signer: ProofKey | undefined;
  try {
    const verified = await jwtVerify(
      proof,
      async (header) => {
        signer = await checker.keys.keyOf(header);
        return signer.key;
      },
      {
        typ: 'dpop+jwt',
        algorithms: [...o.algorithms],
        currentDate: new Date(now),
        clockTolerance: clockToleranceSeconds,
      },
    );
    payload = verified.payload;
  } catch (e) {
    const detail = e instanceof ProofKeyError ? e.message : ((e as { code?: string }).code ?? (e as Error)?.name);
    throw invalidProof(checker, now, detail ?? 'error');
  }
  checkClaims(checker, payload, request, accessToken, now, clockToleranceSeconds);
  if (signer?.thumbprint !== jkt) throw invalidProof(checker, now, 'key does not match cnf.jkt');
  if (checker.nonces && !checker.nonces.accepts(payload.nonce, now)) {
    const challenge = checker.challenge(now);
    throw new AuthFailure('use_dpop_nonce', 'A DPoP nonce is required', 'missing or stale nonce', challenge);
  }
  await checkReplay(checker, jkt, payload.jti as string, now, clockToleranceSeconds);
}

/** `jti`, `htm`, `htu`, `iat` and `ath`. */
function checkClaims(
  checker: ProofChecker,
  payload: JWTPayload,
  request: ProofRequest,
  accessToken: string,
  now: number,
  toleranceSeconds: number,
): void {
  const { jti, htm, htu, iat, ath } = payload as Record<string, unknown>;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw invalidProof(checker, now, 'missing jti');
  }
  if (typeof htm !== 'string' || htm !== request.method) throw invalidProof(checker, now, 'htm is not the method');
  const expected = expectedUrl(checker.options.publicUrl, request);
  if (expected === undefined) throw invalidProof(checker, now, 'request URL unknown: set dpop.publicUrl');
  if (typeof htu !== 'string' || comparableUrl(htu) !== expected)
    throw invalidProof(checker, now, 'htu is not this URL');
  const seconds = now / 1000;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalidProof(checker, now, 'missing iat');
  if (iat > seconds + toleranceSeconds) throw invalidProof(checker, now, 'iat in the future');
  if (iat < seconds - checker.options.maxAgeSeconds - toleranceSeconds)
    throw invalidProof(checker, now, 'proof too old');
  if (typeof ath !== 'string' || ath !== accessTokenHash(accessToken)) {
    throw invalidProof(checker, now, 'ath is not the token hash');
  }
}

/** `ath`: base64url of the SHA-256 of the access token's ASCII. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** The URL proofs must name, comparable (scheme, host and path; no query, no fragment). */
function expectedUrl(publicUrl: URL | undefined, request: ProofRequest): string | undefined {
  if (publicUrl !== undefined) return comparableUrl(publicUrl.href);
  if (request.url === undefined) return undefined;
  if (URL.canParse(request.url)) return comparableUrl(request.url);
  if (request.host === undefined || !request.url.startsWith('/')) return undefined;
  return comparableUrl(`http://${request.host}${request.url}`);
}

/**
 * `scheme://host[:port]/path`, lower-cased scheme and host, default port dropped, query and fragment
 * dropped (RFC 9449 §4.3, RFC 3986 §6.2); `ws`/`wss` compare as `http`/`https`. `undefined` when it is
 * not a URL.
 */
export function comparableUrl(text: string): string | undefined {
  if (!URL.canParse(text)) return undefined;
  const url = new URL(text);
  const scheme = url.protocol === 'ws:' ? 'http:' : url.protocol === 'wss:' ? 'https:' : url.protocol;
  const port =
    url.port === '' || (scheme === 'http:' && url.port === '80') || (scheme === 'https:' && url.port === '443')
      ? ''
      : `:${url.port}`;
  return `${scheme}//${url.hostname}${port}${url.pathname}`;
}

async function checkReplay(checker: ProofChecker, jkt: string, jti: string, now: number, tolerance: number) {
  const key = `dpop:${createHash('sha256').update(`${jkt}.${jti}`).digest('base64url')}`;
  // remembered while the proof's iat could still be accepted
  const ttlMs = (checker.options.maxAgeSeconds + 2 * tolerance) * 1000;
  let allowed: boolean;
  try {
    ({ allowed } = await checker.options.replayStore.apply([{ type: 'counter', key, limit: 1, cost: 1, ttlMs }], now));
  } catch (e) {
    throw new AuthFailure('unavailable', 'The DPoP replay check is unavailable', `replay store: ${(e as Error)?.name}`);
  }
  if (!allowed) throw invalidProof(checker, now, 'jti replayed');
}
