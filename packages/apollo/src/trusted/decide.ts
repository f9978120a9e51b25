/**
 * The decision on one operation's document, pure: trusted (run the manifest's document), allowed
 * although untrusted, measured, refused, or nothing to decide (a request with neither text nor id,
 * which Apollo refuses itself).
 */
import { ErrorCode, type Principal } from '@rampart/core';
import { sha256Hex, shortId } from './manifest.js';
import type { TrustedDocumentsOptions } from './options.js';
import type { TrustedDocument, TrustedDocumentSet } from './registry.js';
import type { AskedDocument } from './request-document.js';

/** What to do with one operation. */
export type DocumentVerdict =
  | { readonly kind: 'trusted'; readonly document: TrustedDocument }
  | { readonly kind: 'allowed-untrusted'; readonly reason: string }
  | { readonly kind: 'measured'; readonly code: ErrorCode; readonly reason: string; readonly id?: string | undefined }
  | { readonly kind: 'refused'; readonly code: ErrorCode; readonly reason: string; readonly id?: string | undefined }
  | { readonly kind: 'nothing' };

/** The options the decision reads. */
export type DecisionOptions = Pick<TrustedDocumentsOptions, 'mode' | 'allowUntrusted'>;

const NOTHING: DocumentVerdict = Object.freeze({ kind: 'nothing' });

/** Decides on one operation (see {@link DocumentVerdict}). */
export function decideDocument(
  asked: AskedDocument,
  set: TrustedDocumentSet,
  options: DecisionOptions,
  principal: Principal,
): DocumentVerdict {
  const { query, id } = asked;
  if (asked.idProblem !== undefined) {
    const code =
      asked.idProblem === 'two different ids'
        ? ErrorCode.PERSISTED_QUERY_HASH_MISMATCH
        : ErrorCode.PERSISTED_QUERY_NOT_FOUND;
    return notTrusted(options, principal, code, `document id: ${asked.idProblem}`, undefined, false);
  }
  if (id !== undefined) {
    const known = set.byId.get(id);
    if (known !== undefined) {
      if (query === undefined || query === known.body) return { kind: 'trusted', document: known };
      return notTrusted(
        options,
        principal,
        ErrorCode.PERSISTED_QUERY_HASH_MISMATCH,
        "the text is not the id's document",
        id,
        false,
      );
    }
    if (query === undefined) {
      return notTrusted(options, principal, ErrorCode.PERSISTED_QUERY_NOT_FOUND, 'unknown document id', id, true);
    }
    if (asked.via === 'persistedQuery' && sha256Hex(query) !== id) {
      return notTrusted(
        options,
        principal,
        ErrorCode.PERSISTED_QUERY_HASH_MISMATCH,
        "the hash is not the text's",
        id,
        false,
      );
    }
  }
  if (query === undefined) return NOTHING;
  const trusted = set.byBody.get(query);
  if (trusted !== undefined) return { kind: 'trusted', document: trusted };
  return notTrusted(options, principal, ErrorCode.QUERY_NOT_IN_SAFELIST, 'document not in the manifest', id, true);
}

/**
 * A document that is not trusted: measured in `'measure'` mode; allowed in `'allow-untrusted'` mode
 * when `mayBeAllowed` and the principal is one `allowUntrusted` names; otherwise refused.
 */
function notTrusted(
  options: DecisionOptions,
  principal: Principal,
  code: ErrorCode,
  reason: string,
  id: string | undefined,
  mayBeAllowed: boolean,
): DocumentVerdict {
  const shown = id === undefined ? undefined : shortId(id);
  if (options.mode === 'measure') return { kind: 'measured', code, reason, id: shown };
  if (mayBeAllowed && options.mode === 'allow-untrusted' && allows(options, principal)) {
    return { kind: 'allowed-untrusted', reason: `${reason}; the principal may send untrusted documents` };
  }
  return { kind: 'refused', code, reason, id: shown };
}

/** `allowUntrusted(principal)`; a function that throws allows nothing. */
function allows(options: DecisionOptions, principal: Principal): boolean {
  try {
    return options.allowUntrusted(principal) === true;
  } catch {
    return false;
  }
}
