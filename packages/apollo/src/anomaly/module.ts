/**
 * The anomaly signal as a module of `rampart()`: its plugin counts each operation when its response
 * is about to be sent (and each request refused while its context was built), before the audit
 * plugin writes the record — so the record of the operation that crossed the threshold carries the
 * `anomaly` decision. graphql-ws operations are not counted.
 */
import type { BaseContext, GraphQLRequestListener } from '@apollo/server';
import { getSecurityState, type RampartModule } from '@rampart/core';
import { AnomalyDetector } from './detector.js';
import type { AnomalyOptions } from './options.js';

const DONE: Promise<void> = Promise.resolve();

/** The module (phase `audit`: `rampart()` places it just before the audit module). */
export function anomalyModule(options: Readonly<AnomalyOptions>): RampartModule {
  const detector = new AnomalyDetector(options);
  // one listener (and one settled promise of it) for every request: it keeps nothing per request
  const listener: GraphQLRequestListener<BaseContext> = {
    willSendResponse(rc) {
      const state = getSecurityState(rc.contextValue);
      if (state !== undefined) detector.observe(state);
      return DONE;
    },
  };
  const started = Promise.resolve(listener);
  return {
    name: 'anomaly',
    phase: 'audit',
    plugins: [
      {
        async contextCreationDidFail({ error }) {
          const state = getSecurityState(error);
          if (state !== undefined) detector.observe(state);
        },
        requestDidStart: () => started,
      },
    ],
  };
}
