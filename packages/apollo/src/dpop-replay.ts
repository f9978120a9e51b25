/**
 * DPoP's replay cache in the rate-limit store: when the rate limits use a shared store (Redis), the
 * `jti`s of accepted DPoP proofs go there too, so a proof accepted by one replica is refused by all.
 */
import type { AuthenticationOptions, JwtOptions, ReplayStore } from '@rampart/auth';

/**
 * `authentication` with `store` as the replay store of every issuer configuration that enables DPoP
 * without naming one; its keys start with `prefix` (the rate limits' key prefix).
 */
export function withDpopReplayStore(
  authentication: AuthenticationOptions,
  rateLimitStore: ReplayStore | undefined,
  prefix: string,
): AuthenticationOptions {
  const jwt = authentication.jwt;
  if (rateLimitStore === undefined || jwt === undefined) return authentication;
  const store: ReplayStore = {
    apply: (ops, now) =>
      rateLimitStore.apply(
        ops.map((op) => ({ ...op, key: `${prefix}${op.key}` })),
        now,
      ),
  };
  const withStore = (issuer: JwtOptions): JwtOptions => {
    const dpop = issuer.dpop;
    if (dpop === undefined || (typeof dpop === 'object' && dpop.replayStore !== undefined)) return issuer;
    return {
      ...issuer,
      dpop: typeof dpop === 'string' ? { mode: dpop, replayStore: store } : { ...dpop, replayStore: store },
    };
  };
  return { ...authentication, jwt: Array.isArray(jwt) ? jwt.map(withStore) : withStore(jwt as JwtOptions) };
}
