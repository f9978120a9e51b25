/**
 * What a GraphQL request asks to run, read from untrusted input: the document text (`query`), and the
 * document id, sent as Apollo's persisted-query extension (`extensions.persistedQuery.sha256Hash`) or
 * as a `documentId` field of the body (GET: a `documentId` search parameter). Own properties only.
 */
import { ownProperty } from '@rampart/core';

/** What the request asks for. */
export interface AskedDocument {
  /** The document text, when sent. */
  readonly query: string | undefined;
  /** The id, when sent and well formed (a string no longer than the maximum). */
  readonly id: string | undefined;
  /** Why the id sent is unusable, when it is (then `id` is `undefined`). */
  readonly idProblem: 'not a string' | 'too long' | 'two different ids' | undefined;
  /** How the id was sent. */
  readonly via: 'persistedQuery' | 'documentId' | undefined;
}

/** The part of Apollo's `GraphQLRequest` read here. */
export interface RequestLike {
  readonly query?: string | undefined;
  readonly extensions?: Record<string, unknown> | undefined;
  readonly http?: { readonly method: string; readonly search: string; readonly body: unknown } | undefined;
}

const NOTHING: AskedDocument = Object.freeze({
  query: undefined,
  id: undefined,
  idProblem: undefined,
  via: undefined,
});

/** Reads the document text and id of one operation (`maxIdLength`: longer ids are unusable). */
export function askedDocument(request: RequestLike, maxIdLength: number): AskedDocument {
  const query = typeof request.query === 'string' ? request.query : undefined;
  const persisted = ownProperty(request.extensions, 'persistedQuery');
  const hash = persisted === undefined ? undefined : ownProperty(persisted, 'sha256Hash');
  const documentId = documentIdOf(request.http);
  if (persisted === undefined && documentId === undefined) return query === undefined ? NOTHING : { ...NOTHING, query };
  const via = persisted !== undefined ? 'persistedQuery' : 'documentId';
  if (persisted !== undefined && documentId !== undefined && hash !== documentId) {
    return { query, id: undefined, idProblem: 'two different ids', via };
  }
  const raw = via === 'persistedQuery' ? hash : documentId;
  if (typeof raw !== 'string' || raw.length === 0) return { query, id: undefined, idProblem: 'not a string', via };
  if (raw.length > maxIdLength) return { query, id: undefined, idProblem: 'too long', via };
  return { query, id: raw, idProblem: undefined, via };
}

/** The `documentId` of a POST body, or of a GET request's search parameters. */
function documentIdOf(http: RequestLike['http']): unknown {
  if (http === undefined) return undefined;
  if (http.method === 'GET') {
    if (!http.search.includes('documentId')) return undefined;
    return new URLSearchParams(http.search).get('documentId') ?? undefined;
  }
  return ownProperty(http.body, 'documentId');
}
