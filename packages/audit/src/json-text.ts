/**
 * JSON text without `JSON.stringify`'s fixed cost per object, for the record serialiser: string
 * literals (sanitised or not), the inside of a string literal, any value, and sanitised values in one
 * pass. Each writes exactly what `JSON.stringify` would.
 */
import { type SanitizeLimits, sanitizeString, sanitizeValue, TRUNCATED } from './sanitize.js';

/** Characters that make a string need JSON escaping (quote, backslash, controls, surrogates). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the controls are what JSON must escape
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal, as `JSON.stringify` writes it. */
export function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/**
 * `jsonString(sanitizeString(value, max))`, with one scan for the common case: a string without anything to
 * neutralise or escape is quoted as is. The class below covers every character `sanitizeString`
 * replaces (C0, DEL, C1, U+2028/2029, bidi controls, any surrogate) plus `"` and `\\`; anything
 * else takes the full path.
 */
export function sanitizedJsonString(value: string, max: number): string {
  if (typeof value !== 'string') return jsonValue(sanitizeString(value, max)) ?? 'null';
  return value.length <= max && !PLAIN_UNSAFE.test(value) ? `"${value}"` : jsonString(sanitizeString(value, max));
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the controls are what must be neutralised
const PLAIN_UNSAFE = /["\\\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069\ud800-\udfff]/;

/**
 * The inside of `jsonString(s)`, without the quotes: `s` itself when nothing needs escaping, so the caller's
 * template adds no string of its own (fewer pieces to join and to flatten when the line is encoded).
 */
export function escapeJson(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s).slice(1, -1) : s;
}

/** The inside of `sanitizedJsonString(value, max)`, without the quotes (see {@link escapeJson}). */
export function escapeSanitized(value: string, max: number): string {
  if (typeof value !== 'string') return escapeJson(String(sanitizeString(value, max)));
  return value.length <= max && !PLAIN_UNSAFE.test(value) ? value : escapeJson(sanitizeString(value, max));
}

/** Any value as `JSON.stringify` writes it (`undefined` for an omitted one). */
export function jsonValue(v: unknown): string | undefined {
  if (typeof v === 'string') return jsonString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? `${v}` : 'null';
  return JSON.stringify(v);
}

/** `,"key":value`, or nothing when JSON.stringify would omit the property. */
export function jsonProperty(key: string, v: unknown): string {
  const s = jsonValue(v);
  return s === undefined ? '' : `,"${key}":${s}`;
}

export function jsonStringArray(values: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < values.length; i++)
    out += i === 0 ? `"${escapeJson(values[i] as string)}"` : `,"${escapeJson(values[i] as string)}"`;
  return `${out}]`;
}

export function limitedJsonStringArray(values: Iterable<string>, limits: SanitizeLimits): string {
  let out = '[';
  let n = 0;
  for (const v of values) {
    if (n >= limits.maxItems) break;
    out += (n++ === 0 ? '' : ',') + sanitizedJsonString(String(v), 256);
  }
  return `${out}]`;
}

/**
 * `JSON.stringify(sanitizeValue(value, limits, undefined, depth))` in one pass, without the copy.
 * Objects whose keys would be rewritten (a key to neutralise, longer than 128, or the `[truncated]`
 * marker itself, where keys could collide) take the two-step path, so the output is always identical.
 */
export function sanitizedValueJson(value: unknown, limits: SanitizeLimits, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return sanitizedJsonString(value, limits.maxStringLength);
    case 'number':
      return Number.isFinite(value) ? `${value}` : `"${value}"`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `"${value.toString()}"`;
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return 'null';
  if (depth >= limits.maxDepth) return `"${TRUNCATED}"`;
  if (Array.isArray(value)) {
    const n = Math.min(value.length, limits.maxItems);
    let out = '[';
    for (let i = 0; i < n; i++)
      out += (i === 0 ? '' : ',') + (sanitizedValueJson(value[i], limits, depth + 1) ?? 'null');
    if (value.length > n) out += `${n === 0 ? '' : ','}"[+${value.length - n} items]"`;
    return `${out}]`;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'null' : `"${value.toISOString()}"`;
  const keys = Object.keys(value as object);
  for (const key of keys) {
    if (key.length > 128 || key === '[truncated]' || PLAIN_UNSAFE.test(key)) {
      return JSON.stringify(sanitizeValue(value, limits, undefined, depth));
    }
  }
  let out = '{';
  const n = Math.min(keys.length, limits.maxItems);
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    out += `${i === 0 ? '' : ','}"${key}":${sanitizedValueJson((value as Record<string, unknown>)[key], limits, depth + 1) ?? 'null'}`;
  }
  if (keys.length > n) out += `${n === 0 ? '' : ','}"[truncated]":"${keys.length - limits.maxItems} more keys"`;
  return `${out}}`;
}
