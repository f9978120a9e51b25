/**
 * The verified-token cache (issue 16): what a hit costs — the cache lookup alone (a token of the
 * shop's size, 10,000 tokens held) and the whole `createJwtVerifier().verify` on a hit — against a
 * verification with the cache off. Prints µs per call (median of 5 batches).
 *
 * Run: pnpm bench:auth-token-cache [callsPerBatch]
 */
import { createDevKeys, createJwtVerifier, mintToken } from '@rampart/auth';

const CALLS = Number(process.argv[2] ?? 20_000);
const issuer = 'https://issuer.bench';
const audience = 'https://api.bench';

function median(batches: number[]): number {
  batches.sort((x, y) => x - y);
  return batches[2]!;
}

async function measureAsync(calls: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 500; i++) await fn();
  const batches: number[] = [];
  for (let b = 0; b < 5; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await fn();
    batches.push(Number(process.hrtime.bigint() - t0) / 1000 / calls);
  }
  return median(batches);
}

const keys = await createDevKeys({ alg: 'RS256' });
const jwt = { issuer, audience, algorithms: ['RS256'], keys: [keys.publicJwk], typ: 'at+jwt' };
const options = {
  issuer,
  audience,
  subject: 'alice',
  scopes: ['orders:read', 'profile'],
  roles: ['admin'],
  expiresIn: '1h',
};
const token = await mintToken(keys, options);
const cached = createJwtVerifier(jwt);
const uncached = createJwtVerifier(jwt, undefined, 'authentication.jwt', 0);
// 10,000 tokens held, the measured one among them
for (let i = 0; i < 9_999; i++)
  await cached.verify(await mintToken(keys, { ...options, subject: `user-${i}` }), Date.now());
await cached.verify(token, Date.now());

const now = Date.now();
// the lookup alone: a synchronous loop over the cache's own `get`, through the verifier's closure
const { VerifiedTokenCache } = await import('../../packages/auth/src/token-cache.js');
const probe = new VerifiedTokenCache();
const verified = { principal: {} as never, payload: {}, validFromMs: 0, validUntilMs: now + 3_600_000 };
const issuerStub = { keys: { keySetVersion: () => 0, fresh: () => true } } as never;
for (let i = 0; i < 9_999; i++) probe.set(`${token}${i}`, verified, issuerStub, 0);
probe.set(token, verified, issuerStub, 0);
// every request brings its own copy of the token (a new, flat string whose hash is not computed yet)
const copies = Array.from({ length: CALLS }, () => Buffer.from(token).toString());
const lookups: number[] = [];
for (let b = 0; b < 5; b++) {
  const batch = b === 0 ? copies : copies.map((c) => Buffer.from(c).toString());
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) if (probe.get(batch[i]!, now) === undefined) throw new Error('miss');
  lookups.push(Number(process.hrtime.bigint() - t0) / 1000 / CALLS);
}

const hit = await measureAsync(CALLS, () => cached.verify(token, now));
const miss = await measureAsync(Math.max(200, Math.floor(CALLS / 20)), () => uncached.verify(token, now));

console.log(`${CALLS} calls × 5 batches (median batch), Node ${process.version}, ${new Date().toISOString()}\n`);
console.log('| RS256 token, 10,000 tokens cached | µs per call |');
console.log('|---|---:|');
console.log(`| cache lookup (hit), a new copy of the token each time | ${median(lookups).toFixed(3)} |`);
console.log(`| createJwtVerifier().verify, cache hit (an async call) | ${hit.toFixed(2)} |`);
console.log(`| createJwtVerifier().verify, cache off (jose verifies) | ${miss.toFixed(1)} |`);
