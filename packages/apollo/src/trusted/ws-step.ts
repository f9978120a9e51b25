/**
 * Trusted documents over graphql-ws: the same decision as the HTTP plugin's for each `subscribe`
 * message, before it is parsed. The payload's `query`, its `extensions.persistedQuery.sha256Hash` and
 * a `documentId` field of the payload are read as the HTTP request's.
 */
import { rampartError, type SecurityState } from '@rampart/core';
import type { DocumentNode, GraphQLError } from 'graphql';
import { decideDocument } from './decide.js';
import type { TrustedDocumentsOptions } from './options.js';
import { recordVerdict, refusalMessage } from './plugin.js';
import { type TrustedDocumentRegistry, TrustedDocumentSet } from './registry.js';
import { askedDocument } from './request-document.js';

/** What the transport does with a `subscribe` message. */
export type WsDocumentOutcome =
  /** Run this document (parsed and validated at load): no parse, no validation. */
  | { readonly kind: 'trusted'; readonly document: DocumentNode; readonly query: string }
  /** Refuse the operation with this error. */
  | { readonly kind: 'refused'; readonly error: GraphQLError }
  /** Go on as without trusted documents. */
  | { readonly kind: 'as-sent' };

/** The step the graphql-ws transport runs per `subscribe` message. */
export type WsDocumentStep = (state: SecurityState, payload: object) => WsDocumentOutcome;

const AS_SENT: WsDocumentOutcome = Object.freeze({ kind: 'as-sent' });
/** Before the server started, nothing is trusted (fail closed). */
const EMPTY = new TrustedDocumentSet();

/** The graphql-ws step of a registry. */
export function wsDocumentStep(
  registry: TrustedDocumentRegistry,
  options: Readonly<TrustedDocumentsOptions>,
): WsDocumentStep {
  return (state, payload) => {
    const p = payload as { query?: unknown; extensions?: Record<string, unknown> };
    // graphql-ws asks for a query string: an empty one stands for none when an id is sent
    const query = typeof p.query === 'string' && p.query !== '' ? p.query : undefined;
    const request = { query, extensions: p.extensions, http: { method: 'POST', search: '', body: payload } };
    const asked = askedDocument(request, options.maxIdLength);
    const verdict = decideDocument(asked, registry.current ?? EMPTY, options, state.principal);
    if (verdict.kind === 'nothing') return AS_SENT;
    recordVerdict(state, verdict, options.mode);
    if (verdict.kind === 'trusted') {
      state.documentId = verdict.document.id;
      return { kind: 'trusted', document: verdict.document.document, query: verdict.document.body };
    }
    if (verdict.kind !== 'refused') return AS_SENT;
    const details = verdict.id ? { documentId: verdict.id } : {};
    return { kind: 'refused', error: rampartError(verdict.code, refusalMessage(verdict.code), { details }) };
  };
}
