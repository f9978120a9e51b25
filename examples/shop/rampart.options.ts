/**
 * The shop's Rampart options as `rampart report --config` reads them: the recommended configuration
 * (examples/shop/src/app.ts) with placeholder secrets (the report reads rules, limits, rate limits
 * and hardening; nothing here connects or signs).
 *
 *   pnpm rampart report --schema examples/shop/src/schema.graphql --config examples/shop/rampart.options.ts
 */
import { recommendedRampartOptions } from './src/app.js';

/** The options passed to `rampart()` by the shop. */
export const options = recommendedRampartOptions({
  jwksUri: 'https://identity.example/.well-known/jwks.json',
  partnerApiKeyHash: '0'.repeat(64),
  auditDir: '/nonexistent',
  auditHmacKey: Buffer.alloc(32),
  auditSigningKeyPem: '',
});
