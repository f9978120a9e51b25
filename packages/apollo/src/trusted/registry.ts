/**
 * The loaded trusted documents: each parsed and validated against the server's schema once, at load,
 * and found by id, by text, or by the SHA-256 of its text (Apollo's `queryHash`, the document store's
 * key). A reload builds a new set and swaps it in only when every entry is good.
 */
import { RampartConfigError } from '@rampart/core';
import { type DocumentNode, type GraphQLSchema, parse, specifiedRules, type ValidationRule, validate } from 'graphql';
import {
  entryError,
  MANIFEST_OPTION,
  type ManifestEntry,
  manifestEntries,
  readManifest,
  sha256Hex,
} from './manifest.js';
import type { ManifestSource } from './options.js';

/** One trusted document, ready to run. */
export interface TrustedDocument {
  /** The manifest's id. */
  readonly id: string;
  /** The document text, as listed. */
  readonly body: string;
  /** SHA-256 (hex) of the text: Apollo's `queryHash` for it. */
  readonly hash: string;
  /** The parsed document, validated against the schema (the same object for every request). */
  readonly document: DocumentNode;
}

/** The documents of one manifest, indexed three ways. */
export class TrustedDocumentSet {
  readonly byId = new Map<string, TrustedDocument>();
  readonly byBody = new Map<string, TrustedDocument>();
  readonly byHash = new Map<string, TrustedDocument>();

  /** Adds one checked document. */
  add(doc: TrustedDocument): void {
    this.byId.set(doc.id, doc);
    // two ids for one text: either id serves it; the text and hash point at the first
    if (!this.byBody.has(doc.body)) this.byBody.set(doc.body, doc);
    if (!this.byHash.has(doc.hash)) this.byHash.set(doc.hash, doc);
  }

  /** How many ids are trusted. */
  get size(): number {
    return this.byId.size;
  }
}

/** Called with every document of a new set before it is swapped in (the analyses computed at load). */
export type DocumentPreparer = (schema: GraphQLSchema, document: DocumentNode) => void;

/** The result of a (re)load. */
export interface TrustedDocumentsLoad {
  /** Documents now trusted. */
  readonly documents: number;
}

/** The trusted documents of one `rampart()`: the current set, loaded at server start, reloadable. */
export class TrustedDocumentRegistry {
  #current: TrustedDocumentSet | undefined;
  #schema: GraphQLSchema | undefined;
  /** The reload in progress: reloads run one after another. */
  #loading: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly source: ManifestSource,
    private readonly preparers: readonly DocumentPreparer[] = [],
    /** The rules every document must pass: graphql-js's, plus the server's (no introspection in production). */
    private readonly rules: readonly ValidationRule[] = specifiedRules,
  ) {}

  /** The set in use (`undefined` before the server started). */
  get current(): TrustedDocumentSet | undefined {
    return this.#current;
  }

  /** Loads the manifest against the server's schema (at server start). */
  start(schema: GraphQLSchema): Promise<TrustedDocumentsLoad> {
    this.#schema = schema;
    return this.reload();
  }

  /**
   * Reads the manifest again, checks every entry against the schema, and swaps the new set in. On any
   * problem the current set stays and the promise rejects with a `RampartConfigError` naming the entry.
   */
  reload(): Promise<TrustedDocumentsLoad> {
    const run = this.#loading.then(() => this.#load());
    this.#loading = run.catch(() => undefined);
    return run;
  }

  async #load(): Promise<TrustedDocumentsLoad> {
    const schema = this.#schema;
    if (!schema) {
      throw new RampartConfigError(MANIFEST_OPTION, 'reload() needs a started server (the schema is not known yet)');
    }
    const entries = manifestEntries(await readManifest(this.source));
    const set = new TrustedDocumentSet();
    for (const entry of entries) set.add(checkedDocument(schema, entry, this.rules));
    for (const doc of set.byId.values()) for (const prepare of this.preparers) prepare(schema, doc.document);
    this.#current = set;
    return { documents: set.size };
  }
}

/** Parses and validates one entry against the schema. */
function checkedDocument(
  schema: GraphQLSchema,
  entry: ManifestEntry,
  rules: readonly ValidationRule[],
): TrustedDocument {
  let document: DocumentNode;
  try {
    document = parse(entry.body);
  } catch (error) {
    throw entryError(entry.where, entry.id, `does not parse: ${(error as Error).message}`);
  }
  const errors = validate(schema, document, rules);
  const first = errors[0];
  if (first) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    throw entryError(entry.where, entry.id, `does not validate against the schema: ${first.message}${more}`);
  }
  if (entry.name !== undefined && !document.definitions.some((d) => 'name' in d && d.name?.value === entry.name)) {
    throw entryError(entry.where, entry.id, `names operation "${entry.name}", which the body does not define`);
  }
  return { id: entry.id, body: entry.body, hash: sha256Hex(entry.body), document };
}
