/**
 * Where a token's verification key comes from: a remote JWKS (cached by jose, with outage and
 * recovery reported), local public JWKs, or HMAC secrets (`secret`, `{ kty: 'oct' }` JWKs). This only
 * selects a key; jose's `jwtVerify` checks every signature.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { healthError, type JwksHealth, rampartObserver } from '@rampart/core';
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, type JWK, type JWTVerifyGetKey } from 'jose';
import type { ResolvedJwtOptions } from './jwt-options.js';

/** The JWKS could not be fetched (network, timeout, HTTP error, not a JWKS): not the token's fault. */
export class KeySetUnavailable extends Error {
  constructor(override readonly cause: unknown) {
    super('key set unavailable');
  }
}

/** Told when a remote JWKS stops answering (once per outage) and when it answers again. */
export interface KeySetMonitor {
  /** The JWKS at `url` could not be fetched; `reason` is a short error class. */
  unreachable(url: string, reason: string): void;
  /** The JWKS at `url` answered again after an outage. */
  recovered(url: string): void;
}

/** jose error codes that mean "this token has no usable key", not "the key set is down". */
const TOKEN_CODES = new Set([
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JWS_INVALID',
  'ERR_JWK_INVALID',
]);

/** The `code` of a jose error, if any. */
export function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** Where an issuer's keys come from, and whether the set lost a key since a given moment. */
export interface KeySource {
  /** jose's key lookup for `jwtVerify`. */
  readonly getKey: JWTVerifyGetKey;
  /**
   * A number that changes whenever a key of the set is removed or replaced (a refetched JWKS without
   * a key it had); added keys do not change it. Tokens verified under another number are verified again.
   */
  keySetVersion(): number;
  /**
   * False when a remote JWKS is older than `jwksCacheMaxAgeMs`: the next verification refetches it, so
   * a cached verification is not used until then.
   */
  fresh(): boolean;
  /** A remote JWKS's fetches, for `rampart().health()` (local keys: none). */
  health?(): JwksHealth;
}

/**
 * What the fetches of one remote JWKS came to: a fetch that answered 200 and whose set jose read is
 * a success; a network error, a timeout, another status or a body that is no JWKS is a failure.
 */
class JwksFetchLog {
  readonly #issuer: string;
  readonly #url: string;
  #lastSuccess: number | undefined;
  #lastError: JwksHealth['lastError'] = null;
  #down = false;
  /** A fetch of the current lookup answered 200 (jose has still to read the body). */
  fetched = false;
  /** The HTTP status of the current lookup's fetch when it was not 200. */
  failedStatus: number | undefined;

  constructor(issuer: string, url: string) {
    this.#issuer = issuer;
    this.#url = url;
  }

  /** The lookup that fetched ended without a key-set error. */
  succeeded(): void {
    if (!this.fetched) return;
    this.fetched = false;
    this.#down = false;
    this.#lastSuccess = Date.now();
  }

  /** The lookup ended with a key-set error (the fetch failed, or its body was no JWKS). */
  failed(error: unknown): void {
    const status = this.failedStatus;
    this.fetched = false;
    this.failedStatus = undefined;
    this.#down = true;
    this.#lastError =
      status === undefined ? healthError(Date.now(), error) : healthError(Date.now(), { code: `HTTP ${status}` });
  }

  health(): JwksHealth {
    return {
      issuer: this.#issuer,
      url: this.#url,
      status: this.#down ? 'down' : 'up',
      lastSuccess: this.#lastSuccess === undefined ? null : new Date(this.#lastSuccess).toISOString(),
      lastError: this.#lastError,
    };
  }
}

/** The keys of a JWKS as comparable strings. */
function keyStrings(jwks: { keys?: readonly unknown[] } | undefined): Set<string> {
  return new Set((jwks?.keys ?? []).map((k) => JSON.stringify(k)));
}

/**
 * Tracks a remote JWKS: the version moves on when a refetch drops or changes a key. jose refetches
 * only inside a key lookup, so the set is compared after each lookup, never on a cache hit.
 */
class RemoteKeySetVersion {
  #keys = new Set<string>();
  #version = 0;

  /** The version now. */
  get value(): number {
    return this.#version;
  }

  /** Compares the set jose holds now with the last one seen. */
  update(jwks: { keys?: readonly unknown[] } | undefined): void {
    if (jwks === undefined) return; // not fetched yet, or an outage: the last set still stands
    const next = keyStrings(jwks);
    for (const key of this.#keys) {
      if (!next.has(key)) {
        this.#version++;
        break;
      }
    }
    this.#keys = next;
  }
}

/**
 * jose's fetch of the JWKS at `url` (the global `fetch`, as jose's own), reporting each fetch and
 * whether it answered 200 to the telemetry (`url` from the configuration).
 */
function observedFetch(url: string, log: JwksFetchLog): typeof fetch {
  return async (input, init) => {
    const observer = rampartObserver();
    if (observer?.jwksFetch === undefined) return logged(log, fetch(input, init));
    const startedAt = performance.now();
    const report = (ok: boolean) =>
      observer.jwksFetch?.(url, { startedAt, durationMs: performance.now() - startedAt }, ok);
    try {
      const response = await logged(log, fetch(input, init));
      report(response.status === 200);
      return response;
    } catch (error) {
      report(false);
      throw error;
    }
  };
}

/** Notes in `log` whether the fetch answered 200 (its status otherwise). */
async function logged(log: JwksFetchLog, pending: Promise<Response>): Promise<Response> {
  const response = await pending;
  if (response.status === 200) log.fetched = true;
  else log.failedStatus = response.status;
  return response;
}

function remoteKeys(o: ResolvedJwtOptions, url: string, monitor: KeySetMonitor | undefined): KeySource {
  const log = new JwksFetchLog(Array.isArray(o.issuer) ? (o.issuer[0] ?? '') : o.issuer, url);
  const remote = createRemoteJWKSet(new URL(url), {
    timeoutDuration: o.jwksTimeoutMs,
    cooldownDuration: o.jwksCooldownMs,
    cacheMaxAge: o.jwksCacheMaxAgeMs,
    [customFetch]: observedFetch(url, log),
  });
  const version = new RemoteKeySetVersion();
  let down = false;
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      const key = await remote(header, token).finally(() => version.update(remote.jwks()));
      log.succeeded();
      if (down) {
        down = false;
        monitor?.recovered(url);
      }
      return key;
    } catch (e) {
      if (TOKEN_CODES.has(codeOf(e) ?? '')) {
        log.succeeded();
        throw e;
      }
      log.failed(e);
      if (!down) {
        down = true;
        monitor?.unreachable(url, codeOf(e) ?? (e as Error)?.name ?? 'error');
      }
      throw new KeySetUnavailable(e);
    }
  };
  return { getKey, keySetVersion: () => version.value, fresh: () => remote.fresh, health: () => log.health() };
}

/** One HMAC secret and what it may verify. */
interface SecretEntry {
  /** The JWK's `kid`; `undefined` for `secret` (then it matches any `kid`). */
  readonly kid: string | undefined;
  /** The JWK's `alg`, when it pins one. */
  readonly alg: string | undefined;
  /** Whether the entry is `secret` (the only key: any `kid` selects it). */
  readonly sole: boolean;
  readonly key: KeyObject;
}

function secretEntries(o: ResolvedJwtOptions): SecretEntry[] {
  if (o.secret !== undefined) {
    return [{ kid: undefined, alg: undefined, sole: true, key: createSecretKey(o.secret) }];
  }
  return (o.keys ?? [])
    .filter((k) => k.kty === 'oct' && (k.use === undefined || k.use === 'sig'))
    .map((k) => ({
      kid: k.kid,
      alg: k.alg,
      sole: false,
      key: createSecretKey(Buffer.from(k.k as string, 'base64url')),
    }));
}

/** The secret for an HMAC token: by `kid` when the token has one, else the only candidate. */
function selectSecret(entries: readonly SecretEntry[], alg: string, kid: string | undefined): KeyObject {
  const candidates = entries.filter(
    (e) => (e.alg === undefined || e.alg === alg) && (e.sole || kid === undefined || e.kid === kid),
  );
  if (candidates.length === 0) throw new errors.JWKSNoMatchingKey();
  if (candidates.length > 1) throw new errors.JWKSMultipleMatchingKeys();
  return (candidates[0] as SecretEntry).key;
}

/**
 * The key lookup jose's `jwtVerify` calls with the token's protected header. HMAC tokens are matched
 * against secrets only, other algorithms against public keys only: a token cannot pick the key type.
 */
export function keyLookup(o: ResolvedJwtOptions, monitor?: KeySetMonitor): KeySource {
  if (o.jwksUri !== undefined) return remoteKeys(o, o.jwksUri, monitor);
  const secrets = secretEntries(o);
  const publicKeys: JWK[] = (o.keys ?? []).filter((k) => k.kty !== 'oct');
  const local = publicKeys.length > 0 ? createLocalJWKSet({ keys: publicKeys }) : undefined;
  const getKey: JWTVerifyGetKey = async (header, token) => {
    const alg = header.alg ?? '';
    if (/^HS/.test(alg)) return selectSecret(secrets, alg, header.kid);
    if (!local) throw new errors.JWKSNoMatchingKey();
    return local(header, token);
  };
  // local keys are fixed for the verifier's life
  return { getKey, keySetVersion: () => 0, fresh: () => true };
}
