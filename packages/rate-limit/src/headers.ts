/**
 * IETF httpapi "RateLimit header fields" (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy`
 * lists policies (`"name";q=<quota>;w=<window seconds>`), `RateLimit` their current state
 * (`"name";r=<remaining>;t=<seconds to reset>`). Both are structured-field lists.
 */
export interface PolicyStatus {
  /** Policy name (a structured-field string: quotes and backslashes are escaped). */
  readonly name: string;
  /** Quota units of the policy. */
  readonly quota: number;
  /** Window in seconds (for a bucket: the time to refill from empty). */
  readonly windowSeconds: number;
  /** Units left. */
  readonly remaining: number;
  /** Seconds until the quota resets (or enough is restored). */
  readonly resetSeconds: number;
}

const quoted = new Map<string, string>();

/** A structured-field string (printable ASCII, quotes and backslashes escaped), cached per name. */
function structuredString(name: string): string {
  let value = quoted.get(name);
  if (value === undefined) {
    value = `"${name.replace(/[^\x20-\x7e]/g, '').replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    if (quoted.size < 1000) quoted.set(name, value);
  }
  return value;
}

/** One `RateLimit-Policy` item: `"name";q=<quota>;w=<window seconds>`. */
export function policyItem(name: string, quota: number, windowSeconds: number): string {
  return `${structuredString(name)};q=${Math.floor(quota)};w=${Math.max(1, Math.ceil(windowSeconds))}`;
}

/** One `RateLimit` item: `"name";r=<remaining>;t=<seconds to reset>`. */
export function stateItem(name: string, remaining: number, resetSeconds: number): string {
  return `${structuredString(name)};r=${Math.max(0, Math.floor(remaining))};t=${Math.max(0, Math.ceil(resetSeconds))}`;
}

/** `RateLimit-Policy` and `RateLimit` header values for the given policies. */
export function rateLimitHeaders(policies: readonly PolicyStatus[]): Record<string, string> {
  if (policies.length === 0) return {};
  return {
    'ratelimit-policy': policies.map((p) => policyItem(p.name, p.quota, p.windowSeconds)).join(', '),
    ratelimit: policies.map((p) => stateItem(p.name, p.remaining, p.resetSeconds)).join(', '),
  };
}

/** `Retry-After` in whole seconds, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
