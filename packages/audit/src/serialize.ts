import { randomUUID } from 'node:crypto';
import type { DecisionEvent } from '@rampart/core';
import { ECHOING_CODES, MAX_DECISIONS, MAX_ERRORS, type OperationFacts } from './record.js';
import { type SanitizeLimits, sanitizeString, sanitizeValue, TRUNCATED } from './sanitize.js';

// ---------------------------------------------------------------------------------------------
// The hot path: the same record serialised straight from the facts, without building the object.
// On Node 20 (V8 11), `JSON.stringify` of the ~1 KB record costs ~4–5 µs (a fixed ~0.25 µs per
// object), more than building, MACing and writing it together; a serialiser that knows the shape
// only has to quote strings. `serializeRecordBody(f, l, id)` is byte for byte
// `JSON.stringify(buildRecord(f, l, id))` without the outer braces (a test checks it on hostile facts).
// ---------------------------------------------------------------------------------------------

/** Characters that make a string need JSON escaping (quote, backslash, controls, surrogates). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the controls are what JSON must escape
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal, as `JSON.stringify` writes it. */
export function q(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/**
 * `q(sanitizeString(value, max))`, with one scan for the common case: a string without anything to
 * neutralise or escape is quoted as is. The class below covers every character `sanitizeString`
 * replaces (C0, DEL, C1, U+2028/2029, bidi controls, any surrogate) plus `"` and `\\`; anything
 * else takes the full path.
 */
function qs(value: string, max: number): string {
  if (typeof value !== 'string') return jv(sanitizeString(value, max)) ?? 'null';
  return value.length <= max && !PLAIN_UNSAFE.test(value) ? `"${value}"` : q(sanitizeString(value, max));
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the controls are what must be neutralised
const PLAIN_UNSAFE = /["\\\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069\ud800-\udfff]/;

/**
 * The inside of `q(s)`, without the quotes: `s` itself when nothing needs escaping, so the caller's
 * template adds no string of its own (fewer pieces to join and to flatten when the line is encoded).
 */
function esc(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s).slice(1, -1) : s;
}

/** The inside of `qs(value, max)`, without the quotes (see {@link esc}). */
function es(value: string, max: number): string {
  if (typeof value !== 'string') return esc(String(sanitizeString(value, max)));
  return value.length <= max && !PLAIN_UNSAFE.test(value) ? value : esc(sanitizeString(value, max));
}

/** Any value as `JSON.stringify` writes it (`undefined` for an omitted one). */
function jv(v: unknown): string | undefined {
  if (typeof v === 'string') return q(v);
  if (typeof v === 'number') return Number.isFinite(v) ? `${v}` : 'null';
  return JSON.stringify(v);
}

/** `,"key":value`, or nothing when JSON.stringify would omit the property. */
function prop(key: string, v: unknown): string {
  const s = jv(v);
  return s === undefined ? '' : `,"${key}":${s}`;
}

function strings(values: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < values.length; i++)
    out += i === 0 ? `"${esc(values[i] as string)}"` : `,"${esc(values[i] as string)}"`;
  return `${out}]`;
}

function limitedStringsJson(values: Iterable<string>, limits: SanitizeLimits): string {
  let out = '[';
  let n = 0;
  for (const v of values) {
    if (n >= limits.maxItems) break;
    out += (n++ === 0 ? '' : ',') + qs(String(v), 256);
  }
  return `${out}]`;
}

const TYPE_JSON = {
  success: '["access","allowed"]',
  denied: '["access","denied"]',
  unknown: '["access","start"]',
  failure: '["access","error"]',
} as const;

/**
 * `JSON.stringify(sanitizeValue(value, limits, undefined, depth))` in one pass, without the copy.
 * Objects whose keys would be rewritten (a key to neutralise, longer than 128, or the `[truncated]`
 * marker itself, where keys could collide) take the two-step path, so the output is always identical.
 */
function valueJson(value: unknown, limits: SanitizeLimits, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return qs(value, limits.maxStringLength);
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
    for (let i = 0; i < n; i++) out += (i === 0 ? '' : ',') + (valueJson(value[i], limits, depth + 1) ?? 'null');
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
    out += `${i === 0 ? '' : ','}"${key}":${valueJson((value as Record<string, unknown>)[key], limits, depth + 1) ?? 'null'}`;
  }
  if (keys.length > n) out += `${n === 0 ? '' : ','}"[truncated]":"${keys.length - limits.maxItems} more keys"`;
  return `${out}}`;
}

function decisionJson(d: DecisionEvent, limits: SanitizeLimits): string {
  let r = `{"source":"${es(String(d.source), 64)}","outcome":"${es(String(d.outcome), 32)}"`;
  if (d.code !== undefined) r += `,"code":"${es(String(d.code), 64)}"`;
  if (d.coordinate !== undefined) r += `,"coordinate":"${es(String(d.coordinate), 256)}"`;
  if (d.path !== undefined) r += `,"path":"${es(String(d.path), 512)}"`;
  if (d.rule !== undefined) r += `,"rule":"${es(String(d.rule), 256)}"`;
  if (d.reason !== undefined) r += `,"reason":"${es(String(d.reason), limits.maxStringLength)}"`;
  if (d.details !== undefined) {
    const details = valueJson(d.details, limits, 0);
    if (details !== undefined) r += `,"details":${details}`;
  }
  return `${r + prop('at', d.at)}}`;
}

/**
 * The record of {@link buildRecord}, serialised: exactly `JSON.stringify(buildRecord(f, limits, id))`
 * without its outer braces (so the writer can put its own keys around it). Same sanitising, same
 * namespaced keys, same order.
 */
export function serializeRecordBody(f: OperationFacts, limits: SanitizeLimits, id?: string): string {
  let codes = '';
  let messages = '';
  let nCodes = 0;
  for (const e of f.errors) {
    if (nCodes >= MAX_ERRORS) break;
    const code = e.code === undefined ? 'UNKNOWN' : sanitizeString(e.code, 64);
    codes += (nCodes++ === 0 ? '' : ',') + q(code);
    if (f.level === 'response' && !ECHOING_CODES.has(code))
      messages += (messages === '' ? '' : ',') + qs(e.message, limits.maxStringLength);
  }
  const outcome = f.outcome as string;
  const type =
    outcome === 'success'
      ? TYPE_JSON.success
      : outcome === 'denied'
        ? TYPE_JSON.denied
        : outcome === 'unknown'
          ? TYPE_JSON.unknown
          : TYPE_JSON.failure;
  // A UUID from randomUUID() needs no escaping.
  let out = `"event":{"kind":"event","category":["web"],"type":${type},"action":"${esc(f.action)}","id":${id === undefined ? `"${randomUUID()}"` : q(id)}${prop('sequence', f.sequence)},"outcome":"${esc(outcome)}"`;
  if (f.durationNs !== undefined) out += prop('duration', f.durationNs);
  if (f.reason) out += `,"reason":"${es(f.reason, limits.maxStringLength)}"`;
  out += '}';
  if (f.requestId !== undefined || f.status !== undefined) {
    out += ',"http":{';
    if (f.requestId !== undefined) out += `"request":{"id":"${es(f.requestId, 128)}"}`;
    if (f.status !== undefined) {
      const s = jv(f.status);
      out += `${f.requestId !== undefined ? ',' : ''}"response":{${s === undefined ? '' : `"status_code":${s}`}}`;
    }
    out += '}';
  }
  if (f.traceId) out += `,"trace":{"id":"${esc(f.traceId)}"}`;
  const p = f.principal;
  let actor = '';
  if (p) {
    const uid = jv(sanitizeString(p.id, 256));
    // Empty role and scope sets are left out (an anonymous principal has neither).
    if (uid === undefined)
      out += p.roles.size === 0 ? ',"user":{}' : `,"user":{"roles":${limitedStringsJson(p.roles, limits)}}`;
    else if (p.roles.size === 0) out += `,"user":{"id":${uid}}`;
    else out += `,"user":{"id":${uid},"roles":${limitedStringsJson(p.roles, limits)}}`;
    actor = `,"actor":{${p.kind === undefined ? '' : `"kind":${typeof p.kind === 'string' ? `"${esc(p.kind)}"` : jv(p.kind)},`}"auth_method":"${es(String(p.authMethod), 32)}"${p.scopes.size === 0 ? '' : `,"scopes":${limitedStringsJson(p.scopes, limits)}`}`;
    if (p.clientId) actor += `,"client_id":"${es(p.clientId, 256)}"`;
    if (p.tenant) actor += `,"tenant":"${es(p.tenant, 256)}"`;
    actor += '}';
    if (p.ip) out += `,"client":{"ip":"${es(p.ip, 64)}"}`;
  }
  if (f.userAgent) out += `,"user_agent":{"original":"${es(f.userAgent, 512)}"}`;
  let operation = '';
  if (f.operationType) operation = `"type":"${esc(f.operationType)}"`;
  if (f.operationName) operation += `${operation === '' ? '' : ','}"name":"${es(f.operationName, 256)}"`;
  if (f.queryHash) operation += `${operation === '' ? '' : ','}"hash":"${es(f.queryHash, 64)}"`;
  // An empty operation is left out; `sep` is the comma before every graphql member but the first.
  out += operation === '' ? ',"graphql":{' : `,"graphql":{"operation":{${operation}}`;
  let sep = operation === '' ? '' : ',';
  if (f.rootFields) {
    out += `${sep}"root_fields":${strings(f.rootFields.slice(0, limits.maxItems))}`;
    sep = ',';
  }
  if (f.fieldCoordinate) {
    out += `${sep}"field":{"coordinate":"${esc(f.fieldCoordinate)}","path":"${es(f.fieldPath ?? '', 1024)}"}`;
    sep = ',';
  }
  let rest = '';
  if (f.variables !== undefined) rest += prop('variables', f.variables);
  if (f.arguments !== undefined) rest += prop('arguments', f.arguments);
  if (f.result !== undefined) rest += prop('result', f.result);
  if (f.subscription !== undefined) {
    rest += `,"subscription":{${`${prop('end', f.subscription.end)}${prop('events', f.subscription.events)}`.slice(1)}}`;
  }
  if (rest !== '') out += sep === '' ? rest.slice(1) : rest;
  out += '}';
  if (nCodes > 0) out += `,"error":{"code":[${codes}]${messages === '' ? '' : `,"message":[${messages}]`}}`;
  out += `,"rampart":{"level":"${esc(f.level)}"${actor}`;
  if (f.decisions.length > 0) {
    const n = Math.min(f.decisions.length, MAX_DECISIONS);
    out += ',"decisions":[';
    for (let i = 0; i < n; i++) out += (i === 0 ? '' : ',') + decisionJson(f.decisions[i] as DecisionEvent, limits);
    out += ']';
    if (f.decisions.length > n) out += `,"decisions_omitted":${f.decisions.length - n}`;
  }
  if (f.cost && (f.cost.estimated !== undefined || f.cost.actual !== undefined)) {
    const c = `${prop('estimated', f.cost.estimated)}${prop('actual', f.cost.actual)}`;
    out += `,"cost":{${c.slice(1)}}`;
  }
  return `${out}}`;
}
