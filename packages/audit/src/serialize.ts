/**
 * The hot path: the record of `buildRecord` serialised straight from the facts, without building the
 * object (`JSON.stringify` pays a fixed cost per object; a serialiser that knows the shape only has
 * to quote strings). `serializeRecordBody(f, l, id)` is byte for byte
 * `JSON.stringify(buildRecord(f, l, id))` without the outer braces (a test checks it on hostile facts).
 */
import { randomUUID } from 'node:crypto';
import type { DecisionEvent, Principal } from '@rampart/core';
import {
  escapeJson,
  escapeSanitized,
  jsonProperty,
  jsonString,
  jsonStringArray,
  jsonValue,
  limitedJsonStringArray,
  sanitizedJsonString,
  sanitizedValueJson,
} from './json-text.js';
import { ECHOING_CODES, MAX_DECISIONS, MAX_ERRORS, type OperationFacts } from './record.js';
import { type SanitizeLimits, sanitizeString } from './sanitize.js';

const TYPE_JSON = {
  success: '["access","allowed"]',
  denied: '["access","denied"]',
  unknown: '["access","start"]',
  failure: '["access","error"]',
} as const;

function decisionJson(d: DecisionEvent, limits: SanitizeLimits): string {
  let r = `{"source":"${escapeSanitized(String(d.source), 64)}","outcome":"${escapeSanitized(String(d.outcome), 32)}"`;
  if (d.code !== undefined) r += `,"code":"${escapeSanitized(String(d.code), 64)}"`;
  if (d.coordinate !== undefined) r += `,"coordinate":"${escapeSanitized(String(d.coordinate), 256)}"`;
  if (d.path !== undefined) r += `,"path":"${escapeSanitized(String(d.path), 512)}"`;
  if (d.rule !== undefined) r += `,"rule":"${escapeSanitized(String(d.rule), 256)}"`;
  if (d.reason !== undefined) r += `,"reason":"${escapeSanitized(String(d.reason), limits.maxStringLength)}"`;
  if (d.details !== undefined) {
    const details = sanitizedValueJson(d.details, limits, 0);
    if (details !== undefined) r += `,"details":${details}`;
  }
  return `${r + jsonProperty('at', d.at)}}`;
}

/** `"error":{…}` with its leading comma: the codes, and at `response` level the messages that cannot echo input. */
function errorJson(f: OperationFacts, limits: SanitizeLimits): string {
  let codes = '';
  let messages = '';
  let nCodes = 0;
  for (const e of f.errors) {
    if (nCodes >= MAX_ERRORS) break;
    const code = e.code === undefined ? 'UNKNOWN' : sanitizeString(e.code, 64);
    codes += (nCodes++ === 0 ? '' : ',') + jsonString(code);
    if (f.level === 'response' && !ECHOING_CODES.has(code))
      messages += (messages === '' ? '' : ',') + sanitizedJsonString(e.message, limits.maxStringLength);
  }
  if (nCodes === 0) return '';
  return `,"error":{"code":[${codes}]${messages === '' ? '' : `,"message":[${messages}]`}}`;
}

/** `"event":{…}`. */
function eventJson(f: OperationFacts, limits: SanitizeLimits, id: string | undefined): string {
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
  let out = `"event":{"kind":"event","category":["web"],"type":${type},"action":"${escapeJson(f.action)}","id":${id === undefined ? `"${randomUUID()}"` : jsonString(id)}${jsonProperty('sequence', f.sequence)},"outcome":"${escapeJson(outcome)}"`;
  if (f.durationNs !== undefined) out += jsonProperty('duration', f.durationNs);
  if (f.reason) out += `,"reason":"${escapeSanitized(f.reason, limits.maxStringLength)}"`;
  return `${out}}`;
}

/** `"http":{…}` with its leading comma, or nothing. */
function httpJson(f: OperationFacts): string {
  if (f.requestId === undefined && f.status === undefined) return '';
  let out = ',"http":{';
  if (f.requestId !== undefined) out += `"request":{"id":"${escapeSanitized(f.requestId, 128)}"}`;
  if (f.status !== undefined) {
    const s = jsonValue(f.status);
    out += `${f.requestId !== undefined ? ',' : ''}"response":{${s === undefined ? '' : `"status_code":${s}`}}`;
  }
  return `${out}}`;
}

/** `"user"` and `"client"` (top level) and `"actor"` (under `rampart`) of a principal, with leading commas. */
function principalJson(p: Principal, limits: SanitizeLimits): { topLevel: string; actor: string } {
  let out: string;
  const uid = jsonValue(sanitizeString(p.id, 256));
  // Empty role and scope sets are left out (an anonymous principal has neither).
  if (uid === undefined)
    out = p.roles.size === 0 ? ',"user":{}' : `,"user":{"roles":${limitedJsonStringArray(p.roles, limits)}}`;
  else if (p.roles.size === 0) out = `,"user":{"id":${uid}}`;
  else out = `,"user":{"id":${uid},"roles":${limitedJsonStringArray(p.roles, limits)}}`;
  let actor = `,"actor":{${p.kind === undefined ? '' : `"kind":${typeof p.kind === 'string' ? `"${escapeJson(p.kind)}"` : jsonValue(p.kind)},`}"auth_method":"${escapeSanitized(String(p.authMethod), 32)}"${p.scopes.size === 0 ? '' : `,"scopes":${limitedJsonStringArray(p.scopes, limits)}`}`;
  if (p.clientId) actor += `,"client_id":"${escapeSanitized(p.clientId, 256)}"`;
  if (p.tenant) actor += `,"tenant":"${escapeSanitized(p.tenant, 256)}"`;
  actor += '}';
  if (p.ip) out += `,"client":{"ip":"${escapeSanitized(p.ip, 64)}"}`;
  return { topLevel: out, actor };
}

/** `"graphql":{…}` with its leading comma (always present, possibly empty). */
function graphqlJson(f: OperationFacts, limits: SanitizeLimits): string {
  let operation = '';
  if (f.operationType) operation = `"type":"${escapeJson(f.operationType)}"`;
  if (f.operationName) operation += `${operation === '' ? '' : ','}"name":"${escapeSanitized(f.operationName, 256)}"`;
  if (f.queryHash) operation += `${operation === '' ? '' : ','}"hash":"${escapeSanitized(f.queryHash, 64)}"`;
  if (f.documentId) operation += `${operation === '' ? '' : ','}"document_id":"${escapeSanitized(f.documentId, 256)}"`;
  // An empty operation is left out; `separator` is the comma before every graphql member but the first.
  let out = operation === '' ? ',"graphql":{' : `,"graphql":{"operation":{${operation}}`;
  let separator = operation === '' ? '' : ',';
  if (f.rootFields) {
    out += `${separator}"root_fields":${jsonStringArray(f.rootFields.slice(0, limits.maxItems))}`;
    separator = ',';
  }
  if (f.fieldCoordinate) {
    out += `${separator}"field":{"coordinate":"${escapeJson(f.fieldCoordinate)}","path":"${escapeSanitized(f.fieldPath ?? '', 1024)}"}`;
    separator = ',';
  }
  let rest = '';
  if (f.variables !== undefined) rest += jsonProperty('variables', f.variables);
  if (f.arguments !== undefined) rest += jsonProperty('arguments', f.arguments);
  if (f.result !== undefined) rest += jsonProperty('result', f.result);
  if (f.subscription !== undefined) {
    rest += `,"subscription":{${`${jsonProperty('end', f.subscription.end)}${jsonProperty('events', f.subscription.events)}`.slice(1)}}`;
  }
  if (rest !== '') out += separator === '' ? rest.slice(1) : rest;
  return `${out}}`;
}

/** `"rampart":{…}` with its leading comma: level, actor, decisions, cost. */
function rampartJson(f: OperationFacts, actor: string, limits: SanitizeLimits): string {
  let out = `,"rampart":{"level":"${escapeJson(f.level)}"${actor}`;
  if (f.decisions.length > 0) {
    const n = Math.min(f.decisions.length, MAX_DECISIONS);
    out += ',"decisions":[';
    for (let i = 0; i < n; i++) out += (i === 0 ? '' : ',') + decisionJson(f.decisions[i] as DecisionEvent, limits);
    out += ']';
    if (f.decisions.length > n) out += `,"decisions_omitted":${f.decisions.length - n}`;
  }
  if (f.cost && (f.cost.estimated !== undefined || f.cost.actual !== undefined)) {
    const c = `${jsonProperty('estimated', f.cost.estimated)}${jsonProperty('actual', f.cost.actual)}`;
    out += `,"cost":{${c.slice(1)}}`;
  }
  return `${out}}`;
}

/**
 * The record of {@link buildRecord}, serialised: exactly `JSON.stringify(buildRecord(f, limits, id))`
 * without its outer braces (so the writer can put its own keys around it). Same sanitising, same
 * namespaced keys, same order.
 */
export function serializeRecordBody(f: OperationFacts, limits: SanitizeLimits, id?: string): string {
  const error = errorJson(f, limits);
  let out = eventJson(f, limits, id) + httpJson(f);
  if (f.traceId) out += `,"trace":{"id":"${escapeJson(f.traceId)}"}`;
  const principal = f.principal ? principalJson(f.principal, limits) : undefined;
  if (principal) out += principal.topLevel;
  if (f.userAgent) out += `,"user_agent":{"original":"${escapeSanitized(f.userAgent, 512)}"}`;
  return out + graphqlJson(f, limits) + error + rampartJson(f, principal?.actor ?? '', limits);
}
