/**
 * Options of `rampart({ trustedDocuments })`: which documents first-party clients may send, and what
 * happens to the others. Resolved and checked here, once.
 */
import { check, type OptionSchema, type Principal, RampartConfigError, resolveOptions } from '@rampart/core';

/**
 * What happens to a document that is not in the manifest. `'enforce'`: refused (HTTP 400);
 * `'allow-untrusted'`: accepted from the principals `allowUntrusted` names, refused from the others;
 * `'measure'`: accepted and recorded (a decision with outcome `'measured'`).
 */
export type TrustedDocumentsMode = 'enforce' | 'allow-untrusted' | 'measure';

/**
 * Where the manifest comes from: a file path (or `file:` URL) read as JSON, the manifest object
 * itself, or a function returning it (or a promise of it: a fetch from a registry). Read at server
 * start and on every `security.trustedDocuments.reload()`.
 */
export type ManifestSource = string | URL | object | (() => unknown);

/** Options of `rampart({ trustedDocuments })`. */
export interface TrustedDocumentsOptions {
  /**
   * The trusted documents: Apollo's persisted query manifest
   * (`{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [{ "id", "name", "type", "body" }] }`)
   * or a map of id to document text (`{ "<id>": "<document>" }`, GraphQL Codegen's and Relay's).
   * Required.
   */
  manifest: ManifestSource;
  /**
   * What happens to documents not in the manifest (see {@link TrustedDocumentsMode}).
   * @default 'enforce'
   */
  mode: TrustedDocumentsMode;
  /**
   * In `'allow-untrusted'` mode, the principals who may send documents that are not in the manifest
   * (under the usual limits, scopes and rate limits), e.g. `(p) => p.clientId === 'back-office'`.
   * Called once per operation that is not trusted; a function that throws counts as `false`.
   * @default () => false (nobody)
   */
  allowUntrusted: (principal: Principal) => boolean;
  /**
   * Longest document id looked up; a longer one is refused as unknown without a lookup (and is
   * never written whole to a log).
   * @default 256
   */
  maxIdLength: number;
  /**
   * Parsed and validated documents kept for those not in the manifest (the manifest's own are always
   * kept). `rampart()` gives Apollo a document store holding both; this bounds the other part.
   * @default 1000
   */
  untrustedCacheSize: number;
}

/** The defaults of every option but the manifest. */
export const trustedDocumentsDefaults: Readonly<Omit<TrustedDocumentsOptions, 'manifest'>> = Object.freeze({
  mode: 'enforce',
  allowUntrusted: () => false,
  maxIdLength: 256,
  untrustedCacheSize: 1000,
});

const schema: OptionSchema<TrustedDocumentsOptions> = {
  manifest: check.anyOf(check.string(), check.object(), check.function()),
  mode: check.oneOf('enforce', 'allow-untrusted', 'measure'),
  allowUntrusted: check.function(),
  maxIdLength: check.integer(1, 65_536),
  untrustedCacheSize: check.integer(0, 1_000_000),
};

/** Resolves and checks `rampart({ trustedDocuments })`. */
export function resolveTrustedDocumentsOptions(
  options: Partial<TrustedDocumentsOptions>,
): Readonly<TrustedDocumentsOptions> {
  const resolved = resolveOptions<TrustedDocumentsOptions>(
    'rampart.trustedDocuments',
    trustedDocumentsDefaults as TrustedDocumentsOptions,
    schema,
    options,
  );
  if (resolved.manifest === undefined) {
    throw new RampartConfigError(
      'rampart.trustedDocuments.manifest',
      'is required (a file path, an object or a loader)',
    );
  }
  return resolved;
}
