/**
 * The Apollo plugin of trusted documents. It loads the manifest at server start (a bad manifest fails
 * the start), and decides on every operation in `requestDidStart`, before Apollo reads the request:
 * a trusted document's id is replaced by its text (Apollo then finds the parsed, validated document in
 * the store, and never consults its APQ cache); a refused operation is emptied so Apollo answers it
 * without parsing anything, and its error is swapped for the refusal (HTTP 400) in `didEncounterErrors`.
 */
import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequest,
  GraphQLRequestContext,
  GraphQLRequestContextDidEncounterErrors,
  GraphQLRequestListener,
} from '@apollo/server';
import {
  createDictionary,
  ensureSecurityState,
  rampartError,
  type SecurityState,
  type SynchronousStartPlugin,
} from '@rampart/core';
import type { GraphQLError } from 'graphql';
import { type DocumentVerdict, decideDocument } from './decide.js';
import type { TrustedDocumentsOptions } from './options.js';
import type { TrustedDocumentRegistry } from './registry.js';
import { askedDocument, type RequestLike } from './request-document.js';

/** The decision source of trusted-documents events. */
export const TRUSTED_DOCUMENTS_SOURCE = 'trusted-documents';

/** A refused operation: puts the refusal in place of Apollo's error about the emptied request. */
class RefusalListener implements GraphQLRequestListener<BaseContext> {
  constructor(private readonly error: GraphQLError) {}

  async didEncounterErrors(rc: GraphQLRequestContextDidEncounterErrors<BaseContext>): Promise<void> {
    // Apollo formats this very array once every listener has run
    (rc.errors as GraphQLError[]).splice(0, rc.errors.length, this.error);
  }
}

/** The plugin over a registry (loaded in `serverWillStart`). */
export function trustedDocumentsPlugin(
  registry: TrustedDocumentRegistry,
  options: Readonly<TrustedDocumentsOptions>,
): SynchronousStartPlugin {
  return {
    async serverWillStart({ schema }) {
      await registry.start(schema);
    },
    startRequest: (rc) => decideRequest(registry, options, rc),
    async requestDidStart(rc) {
      return decideRequest(registry, options, rc);
    },
  };
}

/** Decides on one operation and applies the verdict to the request; a listener only for a refusal. */
function decideRequest(
  registry: TrustedDocumentRegistry,
  options: Readonly<TrustedDocumentsOptions>,
  rc: GraphQLRequestContext<BaseContext>,
): RefusalListener | undefined {
  const set = registry.current;
  if (set === undefined) return undefined; // not started: Apollo serves nothing yet
  const state = ensureSecurityState(rc.contextValue as object);
  const request = rc.request as GraphQLRequest & RequestLike;
  const verdict = decideDocument(askedDocument(request, options.maxIdLength), set, options, state.principal);
  if (verdict.kind === 'nothing') return undefined;
  recordVerdict(state, verdict, options.mode);
  if (verdict.kind === 'trusted') {
    state.documentId = verdict.document.id;
    request.query = verdict.document.body;
    // the id was the manifest's: Apollo must neither look it up nor register it in its APQ cache
    if (request.extensions?.persistedQuery !== undefined)
      request.extensions = withoutPersistedQuery(request.extensions);
    return undefined;
  }
  if (verdict.kind !== 'refused') return undefined;
  // nothing left to parse: Apollo refuses the emptied request at once, and the listener swaps the error
  request.query = undefined;
  request.extensions = undefined;
  return new RefusalListener(
    rampartError(verdict.code, refusalMessage(verdict.code), { details: verdict.id ? { documentId: verdict.id } : {} }),
  );
}

/** A copy of the request's extensions without `persistedQuery` (own properties; any key, `__proto__` too). */
function withoutPersistedQuery(extensions: Record<string, unknown>): Record<string, unknown> | undefined {
  const keys = Object.keys(extensions);
  if (keys.length === 1) return undefined; // the usual case: nothing else was sent
  const copy = createDictionary<unknown>();
  for (const key of keys) if (key !== 'persistedQuery') copy[key] = extensions[key];
  return copy;
}

/** The client-facing message of a refusal. */
export function refusalMessage(code: string): string {
  if (code === 'PERSISTED_QUERY_NOT_FOUND') return 'PersistedQueryNotFound: the document id is not a trusted document.';
  if (code === 'PERSISTED_QUERY_HASH_MISMATCH') return 'The document id and the document text do not match.';
  return 'Only trusted documents are accepted: this document is not in the list.';
}

/**
 * The decision event of a verdict. Object literals, not a spread of shared fields: on Node 20 a spread
 * of a freshly made object, then the `at` the state adds, took V8's slow path (see bench/RESULTS.md).
 */
export function recordVerdict(
  state: SecurityState,
  verdict: Exclude<DocumentVerdict, { kind: 'nothing' }>,
  mode: string,
): void {
  if (verdict.kind === 'trusted') {
    state.record({
      source: TRUSTED_DOCUMENTS_SOURCE,
      outcome: 'allowed',
      rule: RULE,
      reason: 'trusted document',
      details: { documentId: verdict.document.id },
    });
  } else if (verdict.kind === 'allowed-untrusted') {
    state.record({
      source: TRUSTED_DOCUMENTS_SOURCE,
      outcome: 'allowed',
      rule: RULE,
      reason: verdict.reason,
      details: { trusted: false, mode },
    });
  } else {
    state.record({
      source: TRUSTED_DOCUMENTS_SOURCE,
      outcome: verdict.kind === 'measured' ? 'measured' : 'denied',
      code: verdict.code,
      rule: RULE,
      reason: verdict.reason,
      details: verdict.id ? { trusted: false, mode, documentId: verdict.id } : { trusted: false, mode },
    });
  }
}

const RULE = 'trustedDocuments';
