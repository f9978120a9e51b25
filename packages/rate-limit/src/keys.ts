import { createHash } from 'node:crypto';
import type { Principal } from '@rampart/core';

const SAFE = /^[A-Za-z0-9._:@/-]{1,80}$/;

/** A key part safe for Redis keys and hash tags: kept as is when short and plain, else hashed. */
export function keyPart(value: string): string {
  return SAFE.test(value) ? value : `h:${createHash('sha256').update(value).digest('base64url').slice(0, 22)}`;
}

/** Always-hashed key part (identifiers such as e-mail addresses never appear in store keys). */
export function hashedPart(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}

/**
 * Who a request is counted against: the user id, else the client id, else the client IP
 * (`u:<id>`, `c:<clientId>`, `ip:<address>`). Never one global key.
 */
export function defaultKeyGenerator(principal: Principal): string {
  if (principal.kind === 'user') return `u:${keyPart(principal.id)}`;
  if (principal.kind === 'service') return `c:${keyPart(principal.clientId ?? principal.id)}`;
  return ipKey(principal);
}

/** The client-IP key of a principal (`ip:unknown` when the address is not known). */
export function ipKey(principal: Principal): string {
  return `ip:${keyPart(principal.ip ?? 'unknown')}`;
}

/** A store key: `<prefix>{<who>}:<rest>` — the braces make `who` the Redis Cluster hash tag. */
export function storeKey(prefix: string, who: string, rest: string): string {
  return `${prefix}{${who}}:${rest}`;
}
