/**
 * Spans, made when the work they stand for has ended (the packages report start and duration): a
 * span per phase worth seeing, child of the active span (Apollo's request span, an HTTP server span)
 * when there is one, with the phase's decisions as span events. Never a span per field.
 */
import { type Attributes, context, type Span, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { DecisionEvent, ObservedTiming } from '@rampart/core';
import { ATTR } from './attributes.js';

/** Span names (the README lists each with its attributes). */
export const SPAN = Object.freeze({
  authentication: 'rampart.authentication',
  analysis: 'rampart.analysis',
  store: 'rampart.rate_limit.store',
  auditWrite: 'rampart.audit.write',
  jwks: 'rampart.jwks.fetch',
});

/** The name of the span event of one decision. */
export const DECISION_EVENT = 'rampart.decision';

/** A span that started at `timing.startedAt` and ended `timing.durationMs` later, under the active context. */
export function startEndedSpan(
  tracer: Tracer,
  name: string,
  timing: ObservedTiming,
  attributes: Attributes | undefined,
  error: unknown,
  events?: (span: Span) => void,
): void {
  const span = tracer.startSpan(name, { startTime: timing.startedAt, attributes }, context.active());
  if (!span.isRecording()) {
    span.end();
    return;
  }
  events?.(span);
  if (error !== undefined) {
    const code = errorCode(error);
    if (code !== undefined) span.setAttribute(ATTR.code, code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: code ?? 'error' });
  }
  span.end(timing.startedAt + timing.durationMs);
}

/** `extensions.code` of a GraphQL error, if any. */
function errorCode(error: unknown): string | undefined {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether a decision is worth a span event: all but the `allowed` ones about one field of the response. */
function eventWorthy(e: DecisionEvent): boolean {
  return !(e.outcome === 'allowed' && e.path !== undefined);
}

/**
 * Adds `events[from..to)` worth it as span events (at most `max`); returns how many were added.
 */
export function addDecisionEvents(
  span: Span,
  events: readonly DecisionEvent[],
  from: number,
  to: number,
  max: number,
): number {
  let added = 0;
  for (let i = from; i < to && added < max; i++) {
    const e = events[i] as DecisionEvent;
    if (!eventWorthy(e)) continue;
    const attrs: Attributes = { [ATTR.source]: String(e.source), [ATTR.outcome]: e.outcome };
    if (e.code !== undefined) attrs[ATTR.code] = e.code;
    if (e.rule !== undefined) attrs[ATTR.rule] = e.rule;
    if (e.coordinate !== undefined) attrs[ATTR.coordinate] = e.coordinate;
    if (e.reason !== undefined) attrs[ATTR.reason] = e.reason;
    span.addEvent(DECISION_EVENT, attrs);
    added++;
  }
  return added;
}
