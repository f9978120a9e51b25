// Mints a development access token for the shop, signed with the dev key in .dev-keys/.
// Usage: pnpm mint-token -- --sub cust-1 [--scopes "shop:read shop:write"] [--roles admin] [--ttl 1h] [--client storefront]
import { parseArgs } from 'node:util';
import { mintToken } from '@rampart/auth';
import { DEV_AUDIENCE, DEV_ISSUER, devSigningKeys } from './dev-identity.js';

const usage =
  'usage: pnpm mint-token -- --sub <subject> [--scopes "<space-separated>"] [--roles <comma-separated>] [--ttl <15m|1h|3600>] [--client <client id>]';
let values: Record<string, string | undefined>;
try {
  ({ values } = parseArgs({
    // `pnpm mint-token -- --sub …` passes the `--` through
    args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--')),
    options: {
      sub: { type: 'string' },
      scopes: { type: 'string' },
      roles: { type: 'string' },
      ttl: { type: 'string' },
      client: { type: 'string' },
    },
    strict: true,
  }));
} catch (e) {
  console.error(`${(e as Error).message}\n${usage}`);
  process.exit(1);
}
if (!values.sub) {
  console.error(usage);
  process.exit(1);
}
const ttl = values.ttl ?? '15m';
const token = await mintToken(await devSigningKeys(), {
  issuer: DEV_ISSUER,
  audience: DEV_AUDIENCE,
  subject: values.sub,
  scopes: (values.scopes ?? '').split(/\s+/).filter(Boolean),
  roles: (values.roles ?? '').split(',').filter(Boolean),
  clientId: values.client ?? 'storefront',
  expiresIn: /^\d+$/.test(ttl) ? Number(ttl) : ttl,
});
process.stdout.write(`${token}\n`);
