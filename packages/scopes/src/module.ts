import type { RampartModule } from '@rampart/core';
import { scopesTypeDefs } from './directives.js';
import { ScopesEngine } from './engine.js';
import { scopesOperationHook } from './operation.js';
import type { ScopesOptions } from './options.js';
import { scopesPluginOf } from './plugin.js';

/**
 * The scopes package for `rampart()`: the directive definitions, the Apollo plugin (HTTP) and
 * `onOperation` (subscriptions over graphql-ws), sharing one engine — one set of options, caches
 * and policy error log.
 */
export function scopesModule(options?: Partial<ScopesOptions>): RampartModule {
  const engine = new ScopesEngine(options);
  return {
    name: 'scopes',
    phase: 'checks',
    typeDefs: scopesTypeDefs,
    plugins: [scopesPluginOf(engine)],
    onOperation: scopesOperationHook(engine),
    prepareDocument: (schema, document) => engine.prepare(schema, document),
  };
}
