/**
 * JWT verification per request with a cached JWKS (served over HTTP on 127.0.0.1, fetched once), and the
 * whole authentication step (`authModule().onRequest`: client address, IP filter, token, principal), and
 * an API-key lookup among 100 keys. Prints µs per call (median of 5 batches).
 *
 * Run: node --conditions=source --import tsx bench/auth/jwt.ts [callsPerBatch]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authModule, createDevKeys, createJwtVerifier, generateApiKey, mintToken } from '@rampart/auth';
import { SecurityState } from '@rampart/core';

const CALLS = Number(process.argv[2] ?? 2000);
const issuer = 'https://issuer.bench';
const audience = 'https://api.bench';

const results: Array<[string, number]> = [];
async function measure(name: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < 200; i++) await fn();
  const batches: number[] = [];
  for (let b = 0; b < 5; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) await fn();
    batches.push(Number(process.hrtime.bigint() - t0) / 1000 / CALLS);
  }
  batches.sort((x, y) => x - y);
  results.push([name, batches[2]!]);
}

for (const alg of ['RS256', 'ES256', 'EdDSA']) {
  const keys = await createDevKeys({ alg });
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keys.jwks));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  const jwt = { issuer, audience, algorithms: [alg], jwksUri, typ: 'at+jwt' };
  const token = await mintToken(keys, { issuer, audience, subject: 'alice', scopes: ['orders:read'], expiresIn: '1h' });
  const verifier = createJwtVerifier(jwt);
  await measure(`${alg}: createJwtVerifier().verify (jose jwtVerify + claims → Principal)`, () =>
    verifier.verify(token, Date.now()),
  );
  const m = authModule({
    authentication: { jwt },
    ipFilter: { trustedProxies: ['10.0.0.0/8'], deny: ['203.0.113.0/24'] },
  });
  const headers = new Map([
    ['authorization', `Bearer ${token}`],
    ['x-forwarded-for', '198.51.100.7'],
  ]);
  await measure(`${alg}: authModule().onRequest (XFF + IP filter + JWT + principal)`, () =>
    Promise.resolve(m.onRequest!(new SecurityState(), { headers, remoteAddress: '10.1.2.3' })),
  );
  if (fetches !== 2) throw new Error(`expected one JWKS fetch per verifier (2), got ${fetches}`);
  server.close();
}

const keys = Array.from({ length: 100 }, (_, i) => ({ clientId: `c${i}`, ...generateApiKey() }));
const apiModule = authModule({
  authentication: { apiKeys: { keys: keys.map(({ clientId, hash }) => ({ clientId, hash })) } },
});
const apiHeaders = new Map([['x-api-key', keys[57]!.key]]);
await measure('API key among 100 (SHA-256 + 100 constant-time compares) via onRequest', () =>
  Promise.resolve(apiModule.onRequest!(new SecurityState(), { headers: apiHeaders, remoteAddress: '127.0.0.1' })),
);

console.log(`${CALLS} calls × 5 batches (median batch), Node ${process.version}, ${new Date().toISOString()}\n`);
console.log('| operation | µs per call |');
console.log('|---|---:|');
for (const [name, us] of results) console.log(`| ${name} | ${us.toFixed(1)} |`);
