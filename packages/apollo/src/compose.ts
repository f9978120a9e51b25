import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestContextDidEncounterErrors,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestContextDidResolveSource,
  GraphQLRequestContextExecutionDidStart,
  GraphQLRequestContextParsingDidStart,
  GraphQLRequestContextResponseForOperation,
  GraphQLRequestContextValidationDidStart,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestExecutionListener,
  GraphQLRequestListener,
  GraphQLRequestListenerParsingDidEnd,
  GraphQLRequestListenerValidationDidEnd,
  GraphQLResponse,
  GraphQLServerListener,
} from '@apollo/server';
import { HOOK_DONE, isThenable, type SynchronousStartPlugin } from '@rampart/core';

/**
 * Composes several Apollo plugins into one that behaves like them listed in order.
 *
 * Why: Apollo Server pays for every request listener on every request, whether or not it has the
 * hook at hand (an `async` call per listener for `responseForOperation`, one `Promise.all` slot per
 * listener for each other hook), measurable on a small query (bench/RESULTS.md). `rampart()` runs four or
 * more; composed, Apollo sees one listener, and each of its hooks calls only the parts that define it.
 *
 * Semantics kept: hooks start in plugin order and run concurrently (as Apollo's `Promise.all`);
 * `responseForOperation` is asked in order until one answers; end hooks (`parsingDidStart`,
 * `validationDidStart`, `willResolveField`) and `executionDidEnd` run in reverse order; a hook's
 * first rejection is the composite's.
 */
export function composePlugins(plugins: readonly ApolloServerPlugin<BaseContext>[]): ApolloServerPlugin<BaseContext> {
  const parts = [...plugins];
  const composite: ApolloServerPlugin<BaseContext> = {};
  const withRequest = parts.filter((p) => p.requestDidStart);
  if (withRequest.length > 0) {
    composite.requestDidStart = startEvery(withRequest);
  }
  const serverStart = parts.filter((p) => p.serverWillStart);
  if (serverStart.length > 0) {
    composite.serverWillStart = async (service) =>
      composeServerListeners(await gather(serverStart, (p) => p.serverWillStart?.(service)));
  }
  if (parts.some((p) => p.unexpectedErrorProcessingRequest)) {
    composite.unexpectedErrorProcessingRequest = (arg) => each(parts, (p) => p.unexpectedErrorProcessingRequest?.(arg));
  }
  if (parts.some((p) => p.contextCreationDidFail)) {
    composite.contextCreationDidFail = (arg) => each(parts, (p) => p.contextCreationDidFail?.(arg));
  }
  if (parts.some((p) => p.invalidRequestWasReceived)) {
    composite.invalidRequestWasReceived = (arg) => each(parts, (p) => p.invalidRequestWasReceived?.(arg));
  }
  if (parts.some((p) => p.startupDidFail)) {
    composite.startupDidFail = (arg) => each(parts, (p) => p.startupDidFail?.(arg));
  }
  return composite;
}

type Listener = GraphQLRequestListener<BaseContext>;
type RequestDidStart = NonNullable<ApolloServerPlugin<BaseContext>['requestDidStart']>;
/** What a plugin's start gives: a listener, nothing, or a promise of either. */
// biome-ignore lint/suspicious/noConfusingVoidType: Apollo's hooks resolve to `T | void`
type Started = Listener | undefined | void | Promise<Listener | undefined | void>;

/**
 * The composite's `requestDidStart`: each part's `startRequest` when it has one (no promise of its
 * own, see {@link SynchronousStartPlugin}), else its `requestDidStart`; one settled promise when no
 * start had to wait.
 */
function startEvery(plugins: readonly ApolloServerPlugin<BaseContext>[]): RequestDidStart {
  const starts = plugins.map((p): ((rc: Parameters<RequestDidStart>[0]) => Started) => {
    const direct = (p as Partial<SynchronousStartPlugin>).startRequest;
    return typeof direct === 'function' ? direct.bind(p) : p.requestDidStart!.bind(p);
  });
  return (rc) => {
    const started: Started[] = [];
    let waiting = false;
    for (const start of starts) {
      let result: Started;
      try {
        result = start(rc);
      } catch (error) {
        result = Promise.reject(error);
      }
      if (isThenable(result)) waiting = true;
      started.push(result);
    }
    if (!waiting) return Promise.resolve(composeListeners((started as (Listener | undefined)[]).filter(isDefined)));
    return Promise.all(started).then((listeners) => composeListeners(listeners.filter(isDefined)));
  };
}
/** What an Apollo hook returns: a promise of `T` or of nothing. */
// biome-ignore lint/suspicious/noConfusingVoidType: Apollo's hooks resolve to `T | void`
type HookResult<T> = Promise<T | void>;
type SubsequentErrorsArgs = Parameters<NonNullable<Listener['didEncounterSubsequentErrors']>>;
type SubsequentPayloadArgs = Parameters<NonNullable<Listener['willSendSubsequentPayload']>>;

/** Settled "nothing to wait for", shared by the composite's hooks when no part had anything to wait for. */
const NOTHING: Promise<void> = HOOK_DONE;
/** Settled "no end hook, no listener", for the hooks that return one when no part defines them. */
const NO_LISTENER: Promise<undefined> = Promise.resolve(undefined);
/** Settled "no response": `responseForOperation` when no part defines it. */
const NO_RESPONSE: Promise<null> = Promise.resolve(null);

/**
 * Calls `call` on every part, in order, and returns the promises it gave (none when no part defines
 * the hook). A synchronous throw becomes a rejection, as in Apollo's `Promise.all`, and the later parts
 * are still called.
 */
function start<P, R>(parts: readonly P[], call: (part: P) => Promise<R> | undefined): Promise<R>[] | undefined {
  let pending: Promise<R>[] | undefined;
  for (const part of parts) {
    let result: Promise<R> | undefined;
    try {
      result = call(part);
    } catch (error) {
      result = Promise.reject(error);
    }
    // a hook that finished synchronously (see HOOK_DONE): nothing to wait for
    if (result === undefined || result === (HOOK_DONE as Promise<unknown>)) continue;
    if (pending === undefined) pending = [result];
    else pending.push(result);
  }
  return pending;
}

/**
 * Calls `call` on every part, in order, and resolves to the results that are not empty, in the same
 * order. As Apollo's `Promise.all`: the calls run concurrently and the first rejection is the result.
 */
function gather<P, T>(parts: readonly P[], call: (part: P) => HookResult<T> | undefined): Promise<T[]> {
  const pending = start(parts, call);
  return pending === undefined ? Promise.resolve([]) : Promise.all(pending).then(definedOnly);
}

/**
 * {@link gather} then `combine`, for the hooks that return a listener or an end hook: no promise of its
 * own when no part defines the hook (every request reaches these hooks of the composite).
 */
function gatherInto<P, T, R>(
  parts: readonly P[],
  call: (part: P) => HookResult<T> | undefined,
  combine: (results: T[]) => R | undefined,
): Promise<R | undefined> {
  const pending = start(parts, call);
  if (pending === undefined) return NO_LISTENER;
  return Promise.all(pending).then((results) => combine(definedOnly(results)));
}

/**
 * {@link gather} for hooks that resolve to nothing: no promise of its own when no part or one part
 * defines the hook (a request reaches each such hook of the composite once).
 */
function each<P>(parts: readonly P[], call: (part: P) => Promise<void> | undefined): Promise<void> {
  const pending = start(parts, call);
  if (pending === undefined) return NOTHING;
  return pending.length === 1 ? pending[0]! : Promise.all(pending).then(ignore);
}

/** The results of an Apollo hook that are not empty. */
function definedOnly<T>(results: readonly Awaited<HookResult<T>>[]): T[] {
  return results.filter(isDefined);
}

/** Turns a `Promise.all` into a promise of nothing. */
function ignore(): void {}

/** One end hook calling `ends` in reverse order (as Apollo does with the end hooks of its plugins). */
function endInReverse<E>(ends: ((err?: E) => Promise<void>)[]): ((err?: E) => Promise<void>) | undefined {
  if (ends.length === 0) return undefined;
  ends.reverse();
  return async (err?: E) => {
    await Promise.all(ends.map((end) => end(err)));
  };
}

/** One request listener standing for several: each hook calls only the parts that define it. */
class CompositeListener implements Listener {
  constructor(private readonly parts: readonly Listener[]) {}

  didResolveSource(rc: GraphQLRequestContextDidResolveSource<BaseContext>): Promise<void> {
    return each(this.parts, (l) => l.didResolveSource?.(rc));
  }
  parsingDidStart(rc: GraphQLRequestContextParsingDidStart<BaseContext>) {
    return gatherInto(
      this.parts,
      (l) => l.parsingDidStart?.(rc),
      (ends) => endInReverse<Error>(ends satisfies GraphQLRequestListenerParsingDidEnd[]),
    );
  }
  validationDidStart(rc: GraphQLRequestContextValidationDidStart<BaseContext>) {
    return gatherInto(
      this.parts,
      (l) => l.validationDidStart?.(rc),
      (ends) => endInReverse<readonly Error[]>(ends satisfies GraphQLRequestListenerValidationDidEnd[]),
    );
  }
  didResolveOperation(rc: GraphQLRequestContextDidResolveOperation<BaseContext>): Promise<void> {
    return each(this.parts, (l) => l.didResolveOperation?.(rc));
  }
  didEncounterErrors(rc: GraphQLRequestContextDidEncounterErrors<BaseContext>): Promise<void> {
    return each(this.parts, (l) => l.didEncounterErrors?.(rc));
  }
  responseForOperation(rc: GraphQLRequestContextResponseForOperation<BaseContext>): Promise<GraphQLResponse | null> {
    return this.parts.some((l) => l.responseForOperation) ? this.#askInOrder(rc) : NO_RESPONSE;
  }
  /** `responseForOperation` of each part that defines it, in order, until one answers. */
  async #askInOrder(rc: GraphQLRequestContextResponseForOperation<BaseContext>): Promise<GraphQLResponse | null> {
    for (const l of this.parts) {
      if (!l.responseForOperation) continue;
      const response: GraphQLResponse | null = await l.responseForOperation(rc);
      if (response != null) return response;
    }
    return null;
  }
  executionDidStart(rc: GraphQLRequestContextExecutionDidStart<BaseContext>) {
    return gatherInto(this.parts, (l) => l.executionDidStart?.(rc), composeExecutionListeners);
  }
  willSendResponse(rc: GraphQLRequestContextWillSendResponse<BaseContext>): Promise<void> {
    return each(this.parts, (l) => l.willSendResponse?.(rc));
  }
  didEncounterSubsequentErrors(rc: SubsequentErrorsArgs[0], errors: SubsequentErrorsArgs[1]): Promise<void> {
    return each(this.parts, (l) => l.didEncounterSubsequentErrors?.(rc, errors));
  }
  willSendSubsequentPayload(rc: SubsequentPayloadArgs[0], payload: SubsequentPayloadArgs[1]): Promise<void> {
    return each(this.parts, (l) => l.willSendSubsequentPayload?.(rc, payload));
  }
}

/** No listener, the one listener, or a composite of several. */
function composeListeners(listeners: Listener[]): Listener | undefined {
  return listeners.length <= 1 ? listeners[0] : new CompositeListener(listeners);
}

function composeExecutionListeners(
  listeners: GraphQLRequestExecutionListener<BaseContext>[],
): GraphQLRequestExecutionListener<BaseContext> | undefined {
  if (listeners.length <= 1) return listeners[0];
  // Apollo reverses the execution listeners: the last plugin's executionDidEnd runs first
  const reversed = [...listeners].reverse();
  const out: GraphQLRequestExecutionListener<BaseContext> = {};
  const enders = reversed.filter((l) => l.executionDidEnd);
  if (enders.length > 0) {
    out.executionDidEnd = async (err) => {
      await Promise.all(enders.map((l) => l.executionDidEnd!(err)));
    };
  }
  const resolvers = reversed.filter((l) => l.willResolveField);
  // only when some part instruments fields: Apollo turns on per-field instrumentation for it
  if (resolvers.length > 0) {
    out.willResolveField = (params) => {
      const ends = resolvers.map((l) => l.willResolveField!(params)).filter(isDefined);
      if (ends.length === 0) return undefined;
      ends.reverse();
      return (error, result) => {
        for (const end of ends) end(error, result);
      };
    };
  }
  return out;
}

function composeServerListeners(listeners: GraphQLServerListener[]): GraphQLServerListener | undefined {
  if (listeners.length <= 1) return listeners[0];
  const out: GraphQLServerListener = {};
  const drains = listeners.filter((l) => l.drainServer);
  if (drains.length > 0) out.drainServer = async () => void (await Promise.all(drains.map((l) => l.drainServer!())));
  const stops = listeners.filter((l) => l.serverWillStop);
  if (stops.length > 0)
    out.serverWillStop = async () => void (await Promise.all(stops.map((l) => l.serverWillStop!())));
  const schemas = listeners.filter((l) => l.schemaDidLoadOrUpdate);
  if (schemas.length > 0) {
    out.schemaDidLoadOrUpdate = (schemaContext) => {
      for (const l of schemas) l.schemaDidLoadOrUpdate!(schemaContext);
    };
  }
  const pages = listeners.filter((l) => l.renderLandingPage);
  if (pages.length > 1) throw new Error('Only one plugin can implement renderLandingPage.');
  if (pages.length === 1) out.renderLandingPage = pages[0]!.renderLandingPage!.bind(pages[0]);
  return out;
}

// biome-ignore lint/suspicious/noConfusingVoidType: Apollo's hooks return `T | void`
function isDefined<T>(x: T | undefined | null | void): x is T {
  return x !== undefined && x !== null;
}
