import { randomUUID } from 'node:crypto';
import type { CostFigures, DecisionEvent, Principal } from '@rampart/core';
import type { AuditLevel, AuditOptions, AuditOutcome } from './options.js';
import { type SanitizeLimits, sanitizeString, sanitizeValue } from './sanitize.js';

/** Error codes that mean "refused by a security decision" (→ `event.outcome: denied`). */
const DENIAL_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'UNAUTHORIZED_FIELD_OR_TYPE',
  'MAX_DEPTH_LIMIT',
  'MAX_HEIGHT_LIMIT',
  'MAX_ALIASES_LIMIT',
  'MAX_ROOT_FIELDS_LIMIT',
  'MAX_DIRECTIVES_LIMIT',
  'MAX_BATCH_SIZE_LIMIT',
  'COST_ESTIMATED_TOO_EXPENSIVE',
  'RATE_LIMITED',
  'QUOTA_EXCEEDED',
  'THROTTLED',
]);

/** Codes whose messages may echo client input (coercion, parse and validation errors): never logged. */
export const ECHOING_CODES: ReadonlySet<string> = new Set([
  'BAD_USER_INPUT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
]);

/** The outcome from the error codes, the decisions and the HTTP status. */
export function outcomeOf(codes: readonly string[], decisions: readonly DecisionEvent[], status: number): AuditOutcome {
  for (const c of codes) if (DENIAL_CODES.has(c)) return 'denied';
  for (const d of decisions)
    if (d.outcome === 'denied' || d.outcome === 'limited' || d.outcome === 'removed') return 'denied';
  if (codes.length > 0 || status >= 400) return 'failure';
  return 'success';
}

/** One error, as the audit plugin saw it. */
export interface ErrorFact {
  readonly code: string | undefined;
  readonly message: string;
}

/** How a subscription ended, written under `graphql.subscription`. */
export interface SubscriptionFacts {
  /** `completed`: the source ended; `stopped`: the client or the server stopped it; `error`: it failed. */
  readonly end: 'completed' | 'stopped' | 'error';
  /** Events (results) sent to the client. */
  readonly events: number;
}

/** Everything an operation record says, gathered by the plugin. */
export interface OperationFacts {
  readonly action: string;
  readonly sequence: number;
  readonly outcome: AuditOutcome;
  readonly level: AuditLevel;
  readonly durationNs: number | undefined;
  readonly requestId: string | undefined;
  readonly traceId: string | undefined;
  readonly userAgent: string | undefined;
  readonly principal: Principal | undefined;
  readonly operationType: string | undefined;
  readonly operationName: string | undefined;
  readonly queryHash: string | undefined;
  /** The trusted document's id (`rampart({ trustedDocuments })`), when the operation was one. */
  readonly documentId?: string | undefined;
  readonly rootFields: readonly string[] | undefined;
  readonly fieldCoordinate?: string | undefined;
  readonly fieldPath?: string | undefined;
  readonly status: number | undefined;
  readonly errors: readonly ErrorFact[];
  readonly decisions: readonly DecisionEvent[];
  readonly cost: { estimated?: number | undefined; actual?: number | undefined } | undefined;
  /** Redacted variables (request level and above). */
  readonly variables?: Record<string, unknown> | undefined;
  /** Redacted field arguments (request level and above). */
  readonly arguments?: Record<string, unknown> | undefined;
  /** Result summary (response level). */
  readonly result?: unknown;
  /** How a subscription ended (subscription end records only). */
  readonly subscription?: SubscriptionFacts | undefined;
  readonly reason?: string | undefined;
}

/**
 * The cost facts of a record: the estimate, and the actual cost as `actualCost` says (`'computed'`: only
 * when another part already counted it, so the record never walks the response).
 */
export function costFacts(
  cost: CostFigures,
  actualCost: AuditOptions['actualCost'],
): { estimated?: number | undefined; actual?: number | undefined } {
  return actualCost === 'always' ? cost : { estimated: cost.estimated, actual: cost.actualIfComputed };
}

/** Most decisions written per record (the rest are counted in `rampart.decisions_omitted`). */
export const MAX_DECISIONS = 100;
const CATEGORY = Object.freeze(['web']);
const TYPE_ALLOWED = Object.freeze(['access', 'allowed']);
const TYPE_DENIED = Object.freeze(['access', 'denied']);
const TYPE_ERROR = Object.freeze(['access', 'error']);
const TYPE_START = Object.freeze(['access', 'start']);
/** Most error codes written per record. */
export const MAX_ERRORS = 20;

function limitedStrings(values: Iterable<string>, limits: SanitizeLimits): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (out.length >= limits.maxItems) break;
    out.push(sanitizeString(String(v), 256));
  }
  return out;
}

function decisionRecord(d: DecisionEvent, limits: SanitizeLimits): Record<string, unknown> {
  const r: Record<string, unknown> = {
    source: sanitizeString(String(d.source), 64),
    outcome: sanitizeString(String(d.outcome), 32),
  };
  if (d.code !== undefined) r.code = sanitizeString(String(d.code), 64);
  if (d.coordinate !== undefined) r.coordinate = sanitizeString(String(d.coordinate), 256);
  if (d.path !== undefined) r.path = sanitizeString(String(d.path), 512);
  if (d.rule !== undefined) r.rule = sanitizeString(String(d.rule), 256);
  if (d.reason !== undefined) r.reason = sanitizeString(String(d.reason), limits.maxStringLength);
  if (d.details !== undefined) r.details = sanitizeValue(d.details, limits);
  r.at = d.at;
  return r;
}

function eventOf(f: OperationFacts, limits: SanitizeLimits, id: string): Record<string, unknown> {
  const event: Record<string, unknown> = {
    kind: 'event',
    category: CATEGORY,
    type:
      f.outcome === 'success'
        ? TYPE_ALLOWED
        : f.outcome === 'denied'
          ? TYPE_DENIED
          : (f.outcome as string) === 'unknown'
            ? TYPE_START
            : TYPE_ERROR,
    action: f.action,
    id,
    sequence: f.sequence,
    outcome: f.outcome,
  };
  if (f.durationNs !== undefined) event.duration = f.durationNs;
  if (f.reason) event.reason = sanitizeString(f.reason, limits.maxStringLength);
  return event;
}

/** `user`, `client` (on `record`) and `rampart.actor` from the principal. */
function addPrincipal(
  record: Record<string, unknown>,
  rampart: Record<string, unknown>,
  p: Principal,
  limits: SanitizeLimits,
): void {
  const user: Record<string, unknown> = { id: sanitizeString(p.id, 256) };
  if (p.roles.size > 0) user.roles = limitedStrings(p.roles, limits);
  record.user = user;
  const actor: Record<string, unknown> = {
    kind: p.kind,
    auth_method: sanitizeString(String(p.authMethod), 32),
  };
  if (p.scopes.size > 0) actor.scopes = limitedStrings(p.scopes, limits);
  if (p.clientId) actor.client_id = sanitizeString(p.clientId, 256);
  if (p.tenant) actor.tenant = sanitizeString(p.tenant, 256);
  rampart.actor = actor;
  if (p.ip) record.client = { ip: sanitizeString(p.ip, 64) };
}

function graphqlOf(f: OperationFacts, limits: SanitizeLimits): Record<string, unknown> {
  const operation: Record<string, unknown> = {};
  if (f.operationType) operation.type = f.operationType;
  if (f.operationName) operation.name = sanitizeString(f.operationName, 256);
  if (f.queryHash) operation.hash = sanitizeString(f.queryHash, 64);
  if (f.documentId) operation.document_id = sanitizeString(f.documentId, 256);
  const graphql: Record<string, unknown> = {};
  if (Object.keys(operation).length > 0) graphql.operation = operation;
  if (f.rootFields) graphql.root_fields = f.rootFields.slice(0, limits.maxItems);
  if (f.fieldCoordinate) {
    graphql.field = { coordinate: f.fieldCoordinate, path: sanitizeString(f.fieldPath ?? '', 1024) };
  }
  if (f.variables !== undefined) graphql.variables = f.variables;
  if (f.arguments !== undefined) graphql.arguments = f.arguments;
  if (f.result !== undefined) graphql.result = f.result;
  if (f.subscription !== undefined) graphql.subscription = { end: f.subscription.end, events: f.subscription.events };
  return graphql;
}

/** `error`: the codes, and at `response` level the messages that cannot echo client input. */
function errorOf(f: OperationFacts, limits: SanitizeLimits): Record<string, unknown> | undefined {
  const codes: string[] = [];
  const messages: string[] = [];
  for (const e of f.errors) {
    if (codes.length >= MAX_ERRORS) break;
    const code = e.code === undefined ? 'UNKNOWN' : sanitizeString(e.code, 64);
    codes.push(code);
    if (f.level === 'response' && !ECHOING_CODES.has(code))
      messages.push(sanitizeString(e.message, limits.maxStringLength));
  }
  if (codes.length === 0) return undefined;
  return messages.length > 0 ? { code: codes, message: messages } : { code: codes };
}

/** `rampart.decisions` (at most {@link MAX_DECISIONS}) and `rampart.cost`. */
function addDecisionsAndCost(rampart: Record<string, unknown>, f: OperationFacts, limits: SanitizeLimits): void {
  if (f.decisions.length > 0) {
    const n = Math.min(f.decisions.length, MAX_DECISIONS);
    const list: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) list[i] = decisionRecord(f.decisions[i] as DecisionEvent, limits);
    rampart.decisions = list;
    if (f.decisions.length > n) rampart.decisions_omitted = f.decisions.length - n;
  }
  if (f.cost && (f.cost.estimated !== undefined || f.cost.actual !== undefined)) {
    rampart.cost = { estimated: f.cost.estimated, actual: f.cost.actual };
  }
}

/**
 * Builds one record. Every untrusted value is under a namespaced key (`graphql.*`, `user_agent.*`,
 * `error.*`, `rampart.*`) and sanitised; top-level keys are fixed, so nothing can set or shadow
 * `log.level`, `@timestamp`, `message`, `seq`, `chain`, `prev` or `mac`.
 */
export function buildRecord(
  f: OperationFacts,
  limits: SanitizeLimits,
  id: string = randomUUID(),
): Record<string, unknown> {
  const error = errorOf(f, limits);
  const record: Record<string, unknown> = { event: eventOf(f, limits, id) };
  // Empty objects and arrays say nothing: left out (a record is written per request).
  if (f.requestId !== undefined || f.status !== undefined) {
    const http: Record<string, unknown> = {};
    if (f.requestId !== undefined) http.request = { id: sanitizeString(f.requestId, 128) };
    if (f.status !== undefined) http.response = { status_code: f.status };
    record.http = http;
  }
  if (f.traceId) record.trace = { id: f.traceId };
  const rampart: Record<string, unknown> = { level: f.level };
  if (f.principal) addPrincipal(record, rampart, f.principal, limits);
  if (f.userAgent) record.user_agent = { original: sanitizeString(f.userAgent, 512) };
  record.graphql = graphqlOf(f, limits);
  if (error) record.error = error;
  addDecisionsAndCost(rampart, f, limits);
  record.rampart = rampart;
  return record;
}
