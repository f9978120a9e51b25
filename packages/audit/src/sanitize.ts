/**
 * Neutralising untrusted values before they reach an audit record: control characters (CR, LF,
 * ANSI escapes, C1 controls), U+2028/U+2029 and lone surrogates become U+FFFD; strings, arrays,
 * objects and depth are capped; object keys are sanitised too, and copies are dictionaries with no
 * prototype (core's `createDictionary`), so a `__proto__` key stays plain data and never changes a prototype.
 */

import { createDictionary } from '@rampart/core';

/** What replaces a neutralised character. */
export const REPLACEMENT = '\uFFFD';
/** What replaces a redacted value. */
export const REDACTED = '[REDACTED]';
/** What replaces a value nested deeper than the depth cap. */
export const TRUNCATED = '[TRUNCATED]';

// C0 controls (incl. CR, LF, TAB, ESC), DEL, C1 controls (incl. CSI U+009B), U+2028, U+2029,
// bidi overrides/isolates (U+202A–U+202E, U+2066–U+2069), and lone surrogates.
const UNSAFE = new RegExp(
  '[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]' +
    '|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]',
  'g',
);

/** Limits applied while copying an untrusted value. */
export interface SanitizeLimits {
  /** Longest string kept (longer ones are cut and marked with the cut length). */
  readonly maxStringLength: number;
  /** Most array items / object keys kept per level. */
  readonly maxItems: number;
  /** Deepest nesting kept. */
  readonly maxDepth: number;
}

/** Neutralises unsafe characters and caps the length of one untrusted string. */
export function sanitizeString(value: string, maxLength: number): string {
  let s = value.length > maxLength ? value.slice(0, maxLength) : value;
  UNSAFE.lastIndex = 0;
  if (UNSAFE.test(s)) {
    UNSAFE.lastIndex = 0;
    s = s.replace(UNSAFE, REPLACEMENT);
  }
  return value.length > maxLength ? `${s}…[+${value.length - maxLength}]` : s;
}

/**
 * A record for copied data: a dictionary with no prototype, so any key (`__proto__`, `constructor`)
 * is an ordinary own key and the record has exactly the keys `JSON.stringify` writes.
 */
export function dataObject(): Record<string, unknown> {
  return createDictionary<unknown>();
}

/** Sets `key` on a data object from {@link dataObject} as an own property, whatever the key is. */
export function setData(target: Record<string, unknown>, key: string, value: unknown): void {
  target[key] = value;
}

/**
 * Copies an untrusted JSON-like value with every string and key sanitised and the limits applied.
 * `redactKey(key)` (optional) says whether an object key's value must be redacted (name backstop).
 */
export function sanitizeValue(
  value: unknown,
  limits: SanitizeLimits,
  redactKey?: (key: string) => boolean,
  depth = 0,
): unknown {
  switch (typeof value) {
    case 'string':
      return sanitizeString(value, limits.maxStringLength);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return null;
  if (depth >= limits.maxDepth) return TRUNCATED;
  if (Array.isArray(value)) {
    const n = Math.min(value.length, limits.maxItems);
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = sanitizeValue(value[i], limits, redactKey, depth + 1) ?? null;
    if (value.length > n) out.push(`[+${value.length - n} items]`);
    return out;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  const out = dataObject();
  let count = 0;
  for (const key of Object.keys(value as object)) {
    if (count++ >= limits.maxItems) {
      setData(out, '[truncated]', `${Object.keys(value as object).length - limits.maxItems} more keys`);
      break;
    }
    const safeKey = sanitizeString(key, 128);
    const v = (value as Record<string, unknown>)[key];
    setData(out, safeKey, redactKey?.(key) ? REDACTED : (sanitizeValue(v, limits, redactKey, depth + 1) ?? null));
  }
  return out;
}

/**
 * The name backstop: a matcher over normalised names (lower-cased, only letters and digits kept).
 * Entries of 5 or more characters match anywhere in the name (`userPassword`, `x_api_token`);
 * shorter entries (`pin`, `ssn`, `cvv`) must equal the whole name, so `shipping` stays visible.
 */
export function nameMatcher(names: readonly string[]): (name: string) => boolean {
  const normalised = names.map(normaliseName).filter((n) => n.length > 0);
  const long = normalised.filter((n) => n.length >= 5);
  const short = new Set(normalised.filter((n) => n.length < 5));
  const cache = new Map<string, boolean>();
  return (name: string) => {
    let hit = cache.get(name);
    if (hit !== undefined) return hit;
    const n = normaliseName(name);
    hit = short.has(n) || long.some((l) => n.includes(l));
    if (cache.size < 10_000) cache.set(name, hit);
    return hit;
  };
}

function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/** The W3C trace id of a well-formed `traceparent` header (never the raw header). */
export function traceIdFrom(header: string | undefined): string | undefined {
  if (!header || header.length > 128) return undefined;
  const m = TRACEPARENT.exec(header.trim());
  const id = m?.[1];
  return id && !/^0+$/.test(id) ? id : undefined;
}
