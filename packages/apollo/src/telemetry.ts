/**
 * `rampart({ telemetry })`: OpenTelemetry metrics and spans through `@rampart/telemetry` (the global
 * providers by default: a no-op until an SDK is registered). Wraps the composed plugin to time the
 * phases only this layer sees whole (the checks before execution, the response's accounting and
 * audit) and to count each operation's decisions when it ends.
 */
import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestListener,
} from '@apollo/server';
import {
  getSecurityState,
  type ObservedPhase,
  type RampartObserver,
  rampartObserver,
  type SecurityState,
} from '@rampart/core';
import { type RampartTelemetry, rampartTelemetry, type TelemetryOptions } from '@rampart/telemetry';

/** `rampart()`'s `telemetry` option: on (the global providers), off, or options. */
export type TelemetryOption = boolean | Partial<TelemetryOptions>;

/** The telemetry of a `rampart()` setup, or `undefined` when turned off. */
export function telemetryOf(option: TelemetryOption | undefined): RampartTelemetry | undefined {
  if (option === false) return undefined;
  return rampartTelemetry(option === true || option === undefined ? undefined : option);
}

/** Reports a phase that started at `startedAt` (`performance.now()`) and ends now. */
export function observePhase(
  observer: RampartObserver,
  phase: ObservedPhase,
  startedAt: number,
  state: SecurityState,
  firstEvent: number,
  error?: unknown,
): void {
  observer.phase?.(phase, { startedAt, durationMs: performance.now() - startedAt }, state, firstEvent, error);
}

type Listener = GraphQLRequestListener<BaseContext>;

/** `plugin` with telemetry: started with the server, stopped with it, each request observed. */
export function withTelemetry(
  plugin: ApolloServerPlugin<BaseContext>,
  telemetry: RampartTelemetry | undefined,
): ApolloServerPlugin<BaseContext> {
  if (telemetry === undefined) return plugin;
  return {
    ...plugin,
    async serverWillStart(service) {
      telemetry.start();
      const inner = (await plugin.serverWillStart?.(service)) ?? undefined;
      return {
        ...inner,
        async serverWillStop() {
          try {
            await inner?.serverWillStop?.();
          } finally {
            telemetry.stop();
          }
        },
      };
    },
    // no SDK behind the providers: the plugin's own listener, untouched (nothing to time or count)
    requestDidStart: (rc) =>
      telemetry.recording ? observedRequest(plugin, rc, telemetry) : (plugin.requestDidStart?.(rc) ?? NO_LISTENER),
    async contextCreationDidFail(arg) {
      await plugin.contextCreationDidFail?.(arg);
      const state = getSecurityState(arg.error);
      if (state !== undefined && telemetry.recording) telemetry.operationEnd(state);
    },
  };
}

const NO_LISTENER: Promise<void> = Promise.resolve();

async function observedRequest(
  plugin: ApolloServerPlugin<BaseContext>,
  rc: Parameters<NonNullable<ApolloServerPlugin<BaseContext>['requestDidStart']>>[0],
  telemetry: RampartTelemetry,
): Promise<Listener> {
  const inner = (await plugin.requestDidStart?.(rc)) ?? undefined;
  return new ObservedListener(inner, telemetry);
}

/** A request listener that forwards every hook and times the phases around the checks and the response. */
class ObservedListener implements Listener {
  readonly #inner: Listener | undefined;
  readonly #telemetry: RampartTelemetry;

  constructor(inner: Listener | undefined, telemetry: RampartTelemetry) {
    this.#inner = inner;
    this.#telemetry = telemetry;
    if (inner === undefined) return;
    // forward the hooks this class does not time, only those the inner listener has
    const self = this as Listener;
    if (inner.didResolveSource) self.didResolveSource = inner.didResolveSource.bind(inner);
    if (inner.parsingDidStart) self.parsingDidStart = inner.parsingDidStart.bind(inner);
    if (inner.validationDidStart) self.validationDidStart = inner.validationDidStart.bind(inner);
    if (inner.didEncounterErrors) self.didEncounterErrors = inner.didEncounterErrors.bind(inner);
    if (inner.responseForOperation) self.responseForOperation = inner.responseForOperation.bind(inner);
    if (inner.executionDidStart) self.executionDidStart = inner.executionDidStart.bind(inner);
    if (inner.didEncounterSubsequentErrors) {
      self.didEncounterSubsequentErrors = inner.didEncounterSubsequentErrors.bind(inner);
    }
    if (inner.willSendSubsequentPayload) self.willSendSubsequentPayload = inner.willSendSubsequentPayload.bind(inner);
  }

  async didResolveOperation(rc: GraphQLRequestContextDidResolveOperation<BaseContext>): Promise<void> {
    const hook = this.#inner?.didResolveOperation;
    if (hook === undefined) return;
    await timed(this.#inner as Listener, hook, rc, 'analysis');
  }

  async willSendResponse(rc: GraphQLRequestContextWillSendResponse<BaseContext>): Promise<void> {
    const hook = this.#inner?.willSendResponse;
    if (hook !== undefined) await timed(this.#inner as Listener, hook, rc, 'response');
    const state = getSecurityState(rc.contextValue);
    if (state !== undefined) this.#telemetry.operationEnd(state);
  }
}

/** Runs `hook` and reports it as `phase` (with the refusal it threw, if any). */
async function timed<C extends { contextValue: BaseContext }>(
  listener: Listener,
  hook: (rc: C) => Promise<void>,
  rc: C,
  phase: ObservedPhase,
): Promise<void> {
  const observer = rampartObserver();
  const state = getSecurityState(rc.contextValue);
  if (observer === undefined || state === undefined) return hook.call(listener, rc);
  const first = state.events.length;
  const startedAt = performance.now();
  try {
    await hook.call(listener, rc);
  } catch (error) {
    observePhase(observer, phase, startedAt, state, first, error);
    throw error;
  }
  observePhase(observer, phase, startedAt, state, first);
}
