/**
 * The example's development identity provider: a signing key and a partner API key generated at first
 * run into `.dev-keys/` (git-ignored), and a JWKS served over HTTP on loopback, as a real IdP would.
 * Nothing here is for production: there, the JWKS comes from your identity provider and API keys are
 * issued by your back office, with only their hashes in configuration.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { type DevKeys, generateApiKey, hashApiKey, loadOrCreateDevKeys } from '@rampart/auth';

/** Where the dev keys live (git-ignored). Override with `SHOP_DEV_KEYS`. */
export const devKeysDir = process.env.SHOP_DEV_KEYS ?? new URL('../.dev-keys', import.meta.url).pathname;

/** The `iss` of the example's tokens. */
export const DEV_ISSUER = 'https://idp.shop.example';
/** The `iss` of back-office staff tokens: bound to the back office's key (DPoP). */
export const DEV_BACK_OFFICE_ISSUER = 'https://idp.shop.example/back-office';
/** The `aud` of the example's tokens: the shop API. */
export const DEV_AUDIENCE = 'https://api.shop.example/graphql';

/** The dev signing key (created on first run). */
export function devSigningKeys(dir = devKeysDir): Promise<DevKeys> {
  return loadOrCreateDevKeys(dir);
}

/**
 * The back-office machine's DPoP key pair (ES256), created on first run into `.dev-keys/back-office/`:
 * staff tokens are bound to it, and only proofs it signs make them usable. In production the key stays
 * on the back-office machine (non-extractable) and only its public part reaches the identity provider.
 */
export function backOfficeDpopKeys(dir = devKeysDir): Promise<DevKeys> {
  return loadOrCreateDevKeys(join(dir, 'back-office'), { alg: 'ES256' });
}

/**
 * The partner integration's API key: created on first run into `.dev-keys/partner-api-key.txt` so you
 * can use it; the server configuration only ever sees its SHA-256 hash.
 */
export async function partnerApiKey(dir = devKeysDir): Promise<{ key: string; hash: string }> {
  const file = join(dir, 'partner-api-key.txt');
  try {
    const key = (await readFile(file, 'utf8')).trim();
    return { key, hash: hashApiKey(key) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await devSigningKeys(dir); // makes the directory with its permissions
  const generated = generateApiKey({ prefix: 'partner_' });
  await writeFile(file, `${generated.key}\n`, { mode: 0o600, flag: 'wx' });
  return generated;
}

/** A running dev JWKS endpoint. */
export interface DevJwksServer {
  readonly jwksUri: string;
  stop(): Promise<void>;
}

/** Serves `{ keys }` at `/.well-known/jwks.json` on 127.0.0.1 (port 0: any free port). */
export async function startDevJwks(keys: DevKeys, port = 0): Promise<DevJwksServer> {
  const body = JSON.stringify(keys.jwks);
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
      res.end(body);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    jwksUri: `http://127.0.0.1:${actual}/.well-known/jwks.json`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
