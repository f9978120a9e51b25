/** What `rampart()` builds for `trustedDocuments`: the control it returns, the plugin, Apollo's document store. */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { NoSchemaIntrospectionCustomRule, specifiedRules } from 'graphql';
import { type DocumentStore, TrustedDocumentStore } from './document-store.js';
import type { TrustedDocumentsMode, TrustedDocumentsOptions } from './options.js';
import { trustedDocumentsPlugin } from './plugin.js';
import { type DocumentPreparer, TrustedDocumentRegistry, type TrustedDocumentsLoad } from './registry.js';
import { type WsDocumentStep, wsDocumentStep } from './ws-step.js';

/** `security.trustedDocuments`: reload the manifest, see what is loaded. */
export interface TrustedDocumentsControl {
  /**
   * Reads the manifest again (file, object or loader), checks every entry against the server's schema
   * and swaps the new set in; requests already decided keep the old one. Rejects with a
   * `RampartConfigError` naming the entry when anything is wrong, and then the current set stays.
   * Needs a started server.
   */
  reload(): Promise<TrustedDocumentsLoad>;
  /** How many document ids are trusted now (0 before the server started). */
  readonly size: number;
  /** The resolved mode. */
  readonly mode: TrustedDocumentsMode;
}

/** The parts `rampart()` wires in. */
export interface TrustedDocumentsSetup {
  readonly control: TrustedDocumentsControl;
  readonly plugin: ApolloServerPlugin<BaseContext>;
  readonly documentStore: DocumentStore;
  /** The same decision for graphql-ws `subscribe` messages. */
  readonly wsStep: WsDocumentStep;
}

/** Builds the registry, its plugin and its document store. */
export function trustedDocumentsSetup(
  options: Readonly<TrustedDocumentsOptions>,
  preparers: readonly DocumentPreparer[],
  introspection: boolean,
): TrustedDocumentsSetup {
  // a trusted document skips Apollo's validation: it passes the same rules at load
  const rules = introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];
  const registry = new TrustedDocumentRegistry(options.manifest, preparers, rules);
  return {
    control: {
      reload: () => registry.reload(),
      get size() {
        return registry.current?.size ?? 0;
      },
      mode: options.mode,
    },
    plugin: trustedDocumentsPlugin(registry, options),
    documentStore: new TrustedDocumentStore(registry, options.untrustedCacheSize),
    wsStep: wsDocumentStep(registry, options),
  };
}
