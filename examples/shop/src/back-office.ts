// The back office calls the shop with a sender-constrained token (DPoP, RFC 9449): the identity
// provider binds the staff token to the back-office key, and every request carries a fresh proof
// signed by that key. `--replay` sends the same proof a second time to show it refused.
// Usage: pnpm back-office -- --query '<GraphQL>' [--variables '<JSON>'] [--url http://127.0.0.1:4000/graphql] [--replay]
import { parseArgs } from 'node:util';
import { createDpopProof, mintToken } from '@rampart/auth';
import { backOfficeDpopKeys, DEV_AUDIENCE, DEV_BACK_OFFICE_ISSUER, devSigningKeys } from './dev-identity.js';

const usage =
  "usage: pnpm back-office -- --query '<GraphQL>' [--variables '<JSON>'] [--url <shop URL>] [--sub staff-1] [--replay]";
let values: { query?: string; variables?: string; url?: string; sub?: string; replay?: boolean };
try {
  ({ values } = parseArgs({
    args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--')),
    options: {
      query: { type: 'string' },
      variables: { type: 'string' },
      url: { type: 'string' },
      sub: { type: 'string' },
      replay: { type: 'boolean' },
    },
    strict: true,
  }));
} catch (e) {
  console.error(`${(e as Error).message}\n${usage}`);
  process.exit(1);
}
if (!values.query) {
  console.error(usage);
  process.exit(1);
}
const url = values.url ?? `http://127.0.0.1:${process.env.PORT ?? 4000}/graphql`;
const deviceKey = await backOfficeDpopKeys();
// what the identity provider does at sign-in: a staff token bound to the back office's public key
const token = await mintToken(await devSigningKeys(), {
  issuer: DEV_BACK_OFFICE_ISSUER,
  audience: DEV_AUDIENCE,
  subject: values.sub ?? 'staff-1',
  roles: ['admin'],
  scopes: ['catalog:write', 'customers:pii', 'customers:write', 'orders:read:all', 'orders:write:all'],
  clientId: 'back-office',
  expiresIn: '1h',
  boundTo: deviceKey.publicJwk,
});
const body = JSON.stringify({ query: values.query, variables: values.variables ? JSON.parse(values.variables) : {} });

async function send(proof: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `DPoP ${token}`, dpop: proof },
    body,
  });
  const challenge = res.headers.get('www-authenticate');
  console.log(`HTTP ${res.status}${challenge ? `  WWW-Authenticate: ${challenge}` : ''}`);
  console.log(await res.text());
}

// a fresh proof for this request: its method and URL, the token's hash, a unique jti
const proof = await createDpopProof(deviceKey, { method: 'POST', url, accessToken: token });
await send(proof);
if (values.replay) await send(proof);
