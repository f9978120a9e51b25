/**
 * The options of sender-constrained tokens (DPoP, RFC 9449): `jwt.dpop`, per issuer configuration,
 * checked at startup by {@link resolveDpopOptions}.
 */
import { check, type OptionSchema, RampartConfigError, resolveOptions } from '@rampart/core';
import { MIN_SECRET_BYTES } from '../jwt-options.js';
import { MemoryReplayStore, type ReplayStore } from './replay.js';

/**
 * `'allowed'`: bearer tokens without a key binding are still accepted; a token bound to a key
 * (`cnf.jkt`) only with `Authorization: DPoP` and a valid proof. `'required'`: every token must be
 * DPoP-bound and presented with a proof.
 */
export type DpopMode = 'allowed' | 'required';

/** Server-issued nonces (RFC 9449 §8): proofs must carry a nonce the server gave out recently. */
export interface DpopNonceOptions {
  /**
   * The key nonces are made with (HMAC-SHA256, at least 32 bytes): give every replica the same one
   * so a nonce from one is accepted by the others. @default a random key per process
   */
  secret?: string | Uint8Array | undefined;
  /** How long a nonce is accepted, seconds. @default 300 */
  lifetimeSeconds?: number;
}

/** Options of DPoP proof checking for one issuer configuration. */
export interface DpopOptions {
  /** See {@link DpopMode}. */
  mode: DpopMode;
  /**
   * The GraphQL endpoint's public URL (`https://api.example.com/graphql`): what proofs' `htu` must
   * name. Set it behind a TLS-terminating proxy or load balancer. @default undefined: the request's
   * URL, its host read from the `Host` header, its scheme from the integration (`http` when unknown)
   */
  publicUrl?: string | undefined;
  /** How old a proof's `iat` may be, seconds (the issuer's `clockToleranceSeconds` is added). @default 60 */
  maxAgeSeconds?: number;
  /** Accepted proof algorithms: asymmetric only. @default ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256'] */
  algorithms?: string[];
  /** Require server-issued nonces (`true`: with the defaults of {@link DpopNonceOptions}). @default false */
  nonce?: boolean | DpopNonceOptions;
  /**
   * Where the `jti`s of accepted proofs are kept for the replay check. `rampart()` passes the rate-limit
   * store (Redis: one replay cache across replicas) when this is not set. @default an in-memory store
   * of this process (100,000 proofs)
   */
  replayStore?: ReplayStore | undefined;
}

/** Resolved {@link DpopOptions}. */
export interface ResolvedDpopOptions {
  readonly mode: DpopMode;
  readonly publicUrl: URL | undefined;
  readonly maxAgeSeconds: number;
  readonly algorithms: readonly string[];
  readonly nonce: { readonly secret: Uint8Array | undefined; readonly lifetimeSeconds: number } | undefined;
  readonly replayStore: ReplayStore;
}

/** The proof algorithms accepted by default (all asymmetric). */
export const DPOP_DEFAULT_ALGORITHMS: readonly string[] = Object.freeze([
  'ES256',
  'ES384',
  'EdDSA',
  'Ed25519',
  'PS256',
  'RS256',
]);

/** Asymmetric JWS algorithms a proof may use. */
const ASYMMETRIC = /^(ES(256|384|512|256K)|PS(256|384|512)|RS(256|384|512)|EdDSA|Ed25519|Ed448)$/;

const schema: OptionSchema<DpopOptions> = {
  mode: check.oneOf('allowed', 'required'),
  publicUrl: (v) => (typeof v === 'string' && URL.canParse(v) ? undefined : 'must be an absolute URL'),
  maxAgeSeconds: check.integer(1, 3600),
  algorithms: (v) =>
    Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === 'string' && ASYMMETRIC.test(a))
      ? undefined
      : 'must be a non-empty list of asymmetric JWS algorithms (ES*, PS*, RS*, EdDSA): a proof is signed by the client key',
  nonce: (v) =>
    typeof v === 'boolean' || (v !== null && typeof v === 'object') ? undefined : 'must be a boolean or an object',
  replayStore: (v) =>
    v !== null && typeof v === 'object' && typeof (v as { apply?: unknown }).apply === 'function'
      ? undefined
      : 'must be a store with apply(ops, now) (a @rampart/rate-limit store)',
};

/** Resolves and checks `jwt.dpop` (`path` names it in errors). */
export function resolveDpopOptions(user: DpopMode | DpopOptions, path: string): ResolvedDpopOptions {
  const given = typeof user === 'string' ? { mode: user } : user;
  if (given !== null && typeof given === 'object' && !Array.isArray(given) && given.mode === undefined) {
    throw new RampartConfigError(`${path}.mode`, "is mandatory: 'allowed' or 'required'");
  }
  const o = resolveOptions(
    path,
    { mode: 'allowed', maxAgeSeconds: 60, algorithms: [...DPOP_DEFAULT_ALGORITHMS], nonce: false } as DpopOptions,
    schema,
    given,
  ) as DpopOptions;
  return {
    mode: o.mode,
    publicUrl: o.publicUrl === undefined ? undefined : new URL(o.publicUrl),
    maxAgeSeconds: o.maxAgeSeconds ?? 60,
    algorithms: Object.freeze([...(o.algorithms ?? DPOP_DEFAULT_ALGORITHMS)]),
    nonce: resolveNonce(o.nonce, `${path}.nonce`),
    replayStore: o.replayStore ?? new MemoryReplayStore(),
  };
}

const nonceSchema: OptionSchema<DpopNonceOptions> = {
  secret: (v) =>
    typeof v === 'string' || v instanceof Uint8Array ? undefined : 'must be a string or bytes (Uint8Array, Buffer)',
  lifetimeSeconds: check.integer(1, 86_400),
};

function resolveNonce(nonce: DpopOptions['nonce'], path: string): ResolvedDpopOptions['nonce'] {
  if (nonce === undefined || nonce === false) return undefined;
  const o = resolveOptions(path, { lifetimeSeconds: 300 }, nonceSchema, nonce === true ? {} : nonce);
  const secret = typeof o.secret === 'string' ? new TextEncoder().encode(o.secret) : o.secret;
  // the same floor as a JWT HMAC secret: the nonce MAC is HMAC-SHA256
  if (secret !== undefined && secret.byteLength < MIN_SECRET_BYTES) {
    throw new RampartConfigError(`${path}.secret`, `must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  return { secret, lifetimeSeconds: o.lifetimeSeconds ?? 300 };
}
