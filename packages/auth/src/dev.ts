/**
 * Development helpers: signing keys, a JWKS, and tokens for local testing and examples. Keys are
 * generated on first use into a directory you git-ignore; never commit them.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';

export { generateApiKey, hashApiKey } from './api-keys.js';

/** A signing key pair as JWKs, with its public JWKS. */
export interface DevKeys {
  /** Signing algorithm, e.g. `RS256`. */
  readonly alg: string;
  /** Key id (the JWK thumbprint). */
  readonly kid: string;
  /** The private key (keep it out of version control). */
  readonly privateJwk: JWK;
  /** The public key. */
  readonly publicJwk: JWK;
  /** `{ keys: [publicJwk] }`, to serve as the JWKS. */
  readonly jwks: { keys: JWK[] };
}

/** Generates a new asymmetric signing key pair (`RS256` by default; `ES256`, `EdDSA`, … work too). */
export async function createDevKeys(options: { alg?: string; kid?: string } = {}): Promise<DevKeys> {
  const alg = options.alg ?? 'RS256';
  if (/^(HS|none)/i.test(alg)) throw new RangeError('createDevKeys: use an asymmetric algorithm');
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = options.kid ?? (await calculateJwkThumbprint(publicJwk));
  const pub = { ...publicJwk, kid, alg, use: 'sig' };
  return {
    alg,
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
    publicJwk: pub,
    jwks: { keys: [pub] },
  };
}

/**
 * Loads the development signing key from `dir/dev-signing-key.json`, or creates it there on first run
 * (directory mode 0700, file mode 0600). Put `dir` in `.gitignore`.
 */
export async function loadOrCreateDevKeys(dir: string, options: { alg?: string } = {}): Promise<DevKeys> {
  const file = join(dir, 'dev-signing-key.json');
  try {
    const privateJwk = JSON.parse(await readFile(file, 'utf8')) as JWK & { kid: string; alg: string };
    const { d, p, q, dp, dq, qi, ...publicJwk } = privateJwk;
    const pub = { ...publicJwk, use: 'sig' };
    return { alg: privateJwk.alg, kid: privateJwk.kid, privateJwk, publicJwk: pub, jwks: { keys: [pub] } };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const keys = await createDevKeys(options);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(keys.privateJwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return keys;
}

/** Options of {@link mintToken}. */
export interface MintTokenOptions {
  /** `iss`. */
  issuer: string;
  /** `aud`. */
  audience: string | string[];
  /** `sub`. */
  subject: string;
  /** Scopes, written as the RFC 9068 `scope` string. @default [] */
  scopes?: string[];
  /** Roles, written to `rolesClaim`. @default undefined */
  roles?: string[];
  /** Claim name for roles. @default 'roles' */
  rolesClaim?: string;
  /** `client_id`. @default 'dev-client' */
  clientId?: string;
  /** Lifetime: seconds, or a jose time span (`'15m'`, `'2h'`). @default '15m' */
  expiresIn?: number | string;
  /** Extra claims. @default {} */
  claims?: Record<string, unknown>;
  /** `typ` header. @default 'at+jwt' */
  typ?: string;
  /**
   * A client's public key: the token is bound to it (DPoP, `cnf.jkt` = its SHA-256 thumbprint) and
   * must be presented with `Authorization: DPoP` and proofs signed by that key. @default undefined
   */
  boundTo?: JWK | undefined;
}

/** Signs an RFC 9068 access token with a dev key (for tests, examples and local clients). */
export async function mintToken(
  keys: Pick<DevKeys, 'alg' | 'kid' | 'privateJwk'>,
  o: MintTokenOptions,
): Promise<string> {
  const key = await importJWK(keys.privateJwk, keys.alg);
  const payload: Record<string, unknown> = { ...o.claims, client_id: o.clientId ?? 'dev-client' };
  if (o.scopes) payload.scope = o.scopes.join(' ');
  if (o.roles) payload[o.rolesClaim ?? 'roles'] = o.roles;
  if (o.boundTo) payload.cnf = { jkt: await calculateJwkThumbprint(o.boundTo, 'sha256') };
  const exp = o.expiresIn ?? '15m';
  return new SignJWT(payload)
    .setProtectedHeader({ alg: keys.alg, kid: keys.kid, typ: o.typ ?? 'at+jwt' })
    .setIssuer(o.issuer)
    .setAudience(o.audience)
    .setSubject(o.subject)
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .setExpirationTime(typeof exp === 'number' ? Math.floor(Date.now() / 1000) + exp : exp)
    .sign(key);
}
