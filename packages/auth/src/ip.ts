/**
 * Client-address resolution (socket peer, or the right-most untrusted `X-Forwarded-For` entry behind
 * trusted proxies) and allow/deny lists on `node:net` `BlockList`.
 */
import { BlockList, isIP } from 'node:net';
import { canonicalAddress, RampartConfigError } from '@rampart/core';

/** A parsed list of addresses and CIDRs. */
export class AddressList {
  readonly #list = new BlockList();
  /** How many entries the list has. */
  readonly size: number;

  /**
   * @param entries - IPv4/IPv6 addresses and CIDRs (`10.0.0.0/8`, `2001:db8::/32`).
   * @param path - the option path, for the error naming a bad entry.
   * @throws RampartConfigError on an entry that is not an address or CIDR.
   */
  constructor(entries: readonly string[], path: string) {
    entries.forEach((raw, i) => {
      const entry = raw.trim();
      const slash = entry.indexOf('/');
      const written = slash === -1 ? entry : entry.slice(0, slash);
      const address = canonicalAddress(written);
      const family = address ? isIP(address) : 0;
      if (!address || family === 0) {
        throw new RampartConfigError(`${path}[${i}]`, `not an IP address or CIDR: ${JSON.stringify(raw)}`);
      }
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (slash === -1) this.#list.addAddress(address, type);
      else {
        const prefixText = entry.slice(slash + 1);
        let prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
        // `::ffff:10.0.0.0/104` is written as IPv6 but canonicalised to IPv4: its prefix loses the 96 mapping bits.
        if (family === 4 && isIP(written) === 6) prefix -= 96;
        if (!(prefix >= 0 && prefix <= (family === 6 ? 128 : 32))) {
          throw new RampartConfigError(`${path}[${i}]`, `bad CIDR prefix length: ${JSON.stringify(raw)}`);
        }
        this.#list.addSubnet(address, prefix, type);
      }
    });
    this.size = entries.length;
  }

  /** True when `address` (any spelling: it is canonicalised first) is in the list. */
  has(address: string | undefined): boolean {
    const canonical = canonicalAddress(address);
    if (!canonical) return false;
    return this.#list.check(canonical, isIP(canonical) === 6 ? 'ipv6' : 'ipv4');
  }
}

/**
 * The client address, canonical (core's `canonicalAddress`: one spelling per address, so the principal's
 * `ip`, the IP filter and every key built from it agree): the socket peer, unless the peer is a trusted proxy; then the right-most
 * `X-Forwarded-For` entry that is not itself a trusted proxy (the left-most entries are whatever the
 * client sent and are never believed). A malformed entry stops the walk at the proxy that added it.
 */
export function clientAddress(
  remoteAddress: string | undefined,
  forwardedFor: string | undefined,
  trustedProxies: AddressList | undefined,
): string | undefined {
  let current = canonicalAddress(remoteAddress);
  if (!current || !trustedProxies || trustedProxies.size === 0 || !forwardedFor) return current;
  if (!trustedProxies.has(current)) return current;
  const hops = forwardedFor.split(',');
  if (hops.length > 64) hops.splice(0, hops.length - 64);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = canonicalAddress(hops[i]);
    if (!hop) return current;
    current = hop;
    if (!trustedProxies.has(hop)) return hop;
  }
  return current;
}

/** Allow/deny decision of an address. */
export interface IpDecision {
  readonly allowed: boolean;
  readonly reason: string;
}

/** Global allow and deny lists. Deny wins; an empty allow list allows everything not denied. */
export class IpFilter {
  readonly #allow: AddressList;
  readonly #deny: AddressList;

  constructor(allow: readonly string[], deny: readonly string[], path = 'ipFilter') {
    this.#allow = new AddressList(allow, `${path}.allow`);
    this.#deny = new AddressList(deny, `${path}.deny`);
  }

  /** True when the filter has any rule. */
  get active(): boolean {
    return this.#allow.size > 0 || this.#deny.size > 0;
  }

  /** Decides for a client address (`undefined`: unknown address, denied when an allow list exists). */
  check(address: string | undefined): IpDecision {
    if (this.#deny.has(address)) return { allowed: false, reason: 'address is in the deny list' };
    if (this.#allow.size > 0 && !this.#allow.has(address)) {
      return { allowed: false, reason: address ? 'address is not in the allow list' : 'client address unknown' };
    }
    return { allowed: true, reason: 'address allowed' };
  }
}
