/**
 * Client addresses as keys: one spelling per address (RFC 5952 for IPv6), and IPv6 clients grouped by
 * network prefix. Every place where an address becomes a key (rate limits, guards, IP filter, audit)
 * goes through these, so one host cannot get fresh counters by rewriting its address or by using the
 * other addresses of its /64.
 */
import { isIP } from 'node:net';

const MAPPED_V4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;
const V4_WITH_PORT = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+$/;

/**
 * The canonical text of an address as it appears in a socket or a forwarding header: brackets, a port
 * and an IPv6 zone are stripped, an IPv4-mapped IPv6 address becomes IPv4 (`::ffff:1.2.3.4` →
 * `1.2.3.4`), IPv6 is written per RFC 5952 (lower case, no leading zeros, the longest run of zero
 * groups as `::`). `undefined` when it is not an IP address.
 */
export function canonicalAddress(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  // every request of a client brings the same text: remembered (bounded: rotating addresses clear it)
  const known = canonicalByRaw.get(raw);
  if (known !== undefined) return known === NOT_AN_ADDRESS ? undefined : known;
  const canonical = canonicalize(raw);
  if (canonicalByRaw.size >= CANONICAL_CACHE_SIZE) canonicalByRaw.clear();
  canonicalByRaw.set(raw, canonical ?? NOT_AN_ADDRESS);
  return canonical;
}

const canonicalByRaw = new Map<string, string>();
const CANONICAL_CACHE_SIZE = 1024;
const NOT_AN_ADDRESS = '';

function canonicalize(raw: string): string | undefined {
  let a = raw.trim();
  if (a.length === 0 || a.length > 64) return undefined;
  if (a.startsWith('[')) {
    const end = a.indexOf(']');
    if (end === -1) return undefined;
    a = a.slice(1, end);
  } else if (V4_WITH_PORT.test(a)) {
    a = a.slice(0, a.lastIndexOf(':'));
  }
  const zone = a.indexOf('%');
  if (zone !== -1) a = a.slice(0, zone);
  const family = isIP(a);
  if (family === 4) return a;
  if (family !== 6) return undefined;
  const mapped = MAPPED_V4.exec(a);
  if (mapped) return mapped[1];
  const groups = ipv6Groups(a);
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    return `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  }
  return formatIpv6(groups);
}

/**
 * The key under which an address is counted: IPv4 as is, IPv6 as its network of `ipv6Prefix` bits
 * (`2001:db8:1:2::/64`; 128 keeps the full address), `'unknown'` when the address is not known or not
 * an IP address. The address is canonicalised first, so every spelling of it gives the same key.
 */
export function addressKey(address: string | undefined, ipv6Prefix = 64): string {
  const canonical = canonicalAddress(address);
  if (canonical === undefined) return 'unknown';
  if (isIP(canonical) === 4 || ipv6Prefix >= 128) return canonical;
  const groups = ipv6Groups(canonical);
  let bits = Math.max(0, ipv6Prefix);
  for (let i = 0; i < 8; i++) {
    const keep = Math.min(16, bits);
    groups[i] = keep === 0 ? 0 : groups[i]! & ((0xffff << (16 - keep)) & 0xffff);
    bits -= keep;
  }
  return `${formatIpv6(groups)}/${ipv6Prefix}`;
}

/** The eight 16-bit groups of a valid IPv6 address (an embedded IPv4 tail becomes two groups). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) !== -1) {
    const [a, b, c, d] = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    text = `${text.slice(0, lastColon + 1)}0:0`; // two placeholder groups, replaced below
  }
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const groups =
    rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  if (tail.length === 2) groups.splice(6, 2, tail[0]!, tail[1]!);
  return groups;
}

/** RFC 5952 text of eight groups: the longest run (≥ 2) of zero groups, the first on a tie, as `::`. */
function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
