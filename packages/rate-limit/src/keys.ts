import { createHash } from 'node:crypto';
import { addressKey, type Principal } from '@rampart/core';

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
 * Who a request is counted against: the user id, else the client id, else the client address
 * (`u:<id>`, `c:<clientId>`, `ip:<address>`, see {@link ipKey}). Never one global key.
 */
export function defaultKeyGenerator(principal: Principal, ipv6Prefix = 64): string {
  if (principal.kind === 'user') return `u:${keyPart(principal.id)}`;
  if (principal.kind === 'service') return `c:${keyPart(principal.clientId ?? principal.id)}`;
  return ipKey(principal, ipv6Prefix);
}

/**
 * The client-address key of a principal: every spelling of an address gives the same key (core's
 * `addressKey`: RFC 5952, ports, brackets and zones stripped, `::ffff:` unwrapped), IPv4 whole, IPv6
 * grouped by its `/ipv6Prefix` network (`ip:2001:db8:1:2::/64`), `ip:unknown` when not known.
 */
export function ipKey(principal: Principal, ipv6Prefix = 64): string {
  return `ip:${keyPart(addressKey(principal.ip, ipv6Prefix))}`;
}

/** A store key: `<prefix>{<who>}:<rest>` — the braces make `who` the Redis Cluster hash tag. */
export function storeKey(prefix: string, who: string, rest: string): string {
  return `${prefix}{${who}}:${rest}`;
}
