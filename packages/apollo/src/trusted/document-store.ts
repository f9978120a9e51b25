/**
 * The document store `rampart()` gives Apollo when trusted documents are on (`serverOptions.documentStore`):
 * a trusted document is found by its text's SHA-256 (the end of Apollo's key), already parsed and
 * validated at load, so Apollo neither parses nor validates it again and hands the same
 * `DocumentNode` to every request (the limits' and scopes' per-document caches then hold). Other
 * documents (allowed in `'allow-untrusted'` and `'measure'` modes) are kept in a bounded LRU, as
 * Apollo's own store would keep them.
 */
import type { ApolloServerOptions, BaseContext } from '@apollo/server';
import type { DocumentNode } from 'graphql';
import type { TrustedDocumentRegistry } from './registry.js';

/** Apollo's `documentStore` type (a `KeyValueCache<DocumentNode>`). */
export type DocumentStore = NonNullable<ApolloServerOptions<BaseContext>['documentStore']>;

/** The hash part of Apollo's key `<schema hash>:<query hash>`. */
function queryHashOf(key: string): string {
  return key.slice(key.lastIndexOf(':') + 1);
}

/** Trusted documents first, then an LRU of at most `size` other documents. */
export class TrustedDocumentStore implements DocumentStore {
  readonly #others = new Map<string, DocumentNode>();

  constructor(
    private readonly registry: TrustedDocumentRegistry,
    private readonly size: number,
  ) {}

  async get(key: string): Promise<DocumentNode | undefined> {
    const trusted = this.registry.current?.byHash.get(queryHashOf(key));
    if (trusted) return trusted.document;
    const other = this.#others.get(key);
    if (other !== undefined) {
      // most recently used last
      this.#others.delete(key);
      this.#others.set(key, other);
    }
    return other;
  }

  async set(key: string, value: DocumentNode): Promise<void> {
    if (this.size === 0 || this.registry.current?.byHash.has(queryHashOf(key))) return;
    this.#others.delete(key);
    this.#others.set(key, value);
    if (this.#others.size > this.size) {
      const oldest = this.#others.keys().next().value;
      if (oldest !== undefined) this.#others.delete(oldest);
    }
  }

  async delete(key: string): Promise<boolean> {
    return this.#others.delete(key);
  }

  /** Documents kept besides the trusted ones (tests, metrics). */
  get untrustedSize(): number {
    return this.#others.size;
  }
}
