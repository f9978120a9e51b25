/**
 * What DPoP (RFC 9449) adds per request: the whole authentication step (`authModule().onRequest`)
 * with a bound token and a fresh proof (each proof used once: the replay check stores every `jti`),
 * against the same step with a plain bearer token. Proofs are signed before the timed loop. Prints µs
 * per request (median of 5 batches) and the difference.
 *
 * Run: pnpm bench:auth-dpop [callsPerBatch]
 */
import { authModule, createDevKeys, createDpopProof, type DevKeys, mintToken } from '@rampart/auth';
import { SecurityState } from '@rampart/core';

const CALLS = Number(process.argv[2] ?? 2000);
const WARMUP = 200;
const issuer = 'https://issuer.bench';
const audience = 'https://api.bench';
const url = 'https://api.bench/graphql';

/** Median µs per call of 5 batches of `CALLS` calls after a warm-up; `fn(i)` gets the call's index. */
async function measure(fn: (i: number) => Promise<unknown>): Promise<number> {
  let i = 0;
  for (let w = 0; w < WARMUP; w++) await fn(i++);
  const batches: number[] = [];
  for (let b = 0; b < 5; b++) {
    const t0 = process.hrtime.bigint();
    for (let c = 0; c < CALLS; c++) await fn(i++);
    batches.push(Number(process.hrtime.bigint() - t0) / 1000 / CALLS);
  }
  batches.sort((x, y) => x - y);
  return batches[2]!;
}

const rows: string[] = [];
const issuerKeys = await createDevKeys({ alg: 'ES256' });
const jwt = { issuer, audience, algorithms: ['ES256'], keys: [issuerKeys.publicJwk], typ: 'at+jwt' };
const bearerModule = authModule({ authentication: { jwt } });
const dpopModule = authModule({ authentication: { jwt: { ...jwt, dpop: { mode: 'required', publicUrl: url } } } });
const request = (headers: Map<string, string>) => ({
  headers,
  remoteAddress: '127.0.0.1',
  method: 'POST',
  url: '/graphql',
});

const bearerToken = await mintToken(issuerKeys, { issuer, audience, subject: 'alice', expiresIn: '1h' });
const bearerHeaders = new Map([['authorization', `Bearer ${bearerToken}`]]);
const bearerUs = await measure(() =>
  Promise.resolve(bearerModule.onRequest!(new SecurityState(), request(bearerHeaders))),
);
rows.push(`| ES256 token as bearer (no DPoP) | ${bearerUs.toFixed(1)} | — |`);

for (const alg of ['ES256', 'EdDSA']) {
  const client: DevKeys = await createDevKeys({ alg });
  const token = await mintToken(issuerKeys, {
    issuer,
    audience,
    subject: 'alice',
    expiresIn: '1h',
    boundTo: client.publicJwk,
  });
  const proofs = await Promise.all(
    Array.from({ length: WARMUP + 5 * CALLS }, () =>
      createDpopProof(client, { method: 'POST', url, accessToken: token }),
    ),
  );
  const us = await measure((i) => {
    const headers = new Map([
      ['authorization', `DPoP ${token}`],
      ['dpop', proofs[i]!],
    ]);
    return Promise.resolve(dpopModule.onRequest!(new SecurityState(), request(headers)));
  });
  rows.push(
    `| ES256 token bound to a ${alg} key, with a fresh proof | ${us.toFixed(1)} | +${(us - bearerUs).toFixed(1)} |`,
  );
}

console.log(`${CALLS} calls × 5 batches (median batch), Node ${process.version}, ${new Date().toISOString()}\n`);
console.log('| authentication step (authModule().onRequest) | µs per request | DPoP adds (µs) |');
console.log('|---|---:|---:|');
for (const row of rows) console.log(row);
