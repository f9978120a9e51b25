import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestContext,
  GraphQLRequestExecutionListener,
  GraphQLRequestListener,
  GraphQLResponse,
  GraphQLServerListener,
} from '@apollo/server';
import { RESOLVED, SYNC_REQUEST_DID_START, type SyncRequestDidStart } from '@rampart/core';

/**
 * Composes several Apollo plugins into one that behaves like them listed in order.
 *
 * Why: Apollo Server pays for every request listener on every request, whether or not it has the
 * hook at hand (an `async` call per listener for `responseForOperation`, one `Promise.all` slot per
 * listener for each other hook), measurable on a small query (bench/RESULTS.md). `rampart()` runs four or
 * more; composed, Apollo sees one listener that has exactly the hooks some part defines, and each
 * hook calls only the parts that define it.
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
    // Rampart's own plugins start synchronously (no promise per plugin per request)
    const syncStarters = withRequest.map(
      (p) => (p as { [SYNC_REQUEST_DID_START]?: SyncRequestDidStart })[SYNC_REQUEST_DID_START],
    );
    const starters = withRequest.map(
      (p, i) => syncStarters[i] ?? ((rc: GraphQLRequestContext<BaseContext>) => p.requestDidStart!(rc)),
    );
    if (syncStarters.every(isDefined)) {
      // every part starts synchronously (Rampart's own): no array of results, one settled promise
      const sync = syncStarters as SyncRequestDidStart[];
      composite.requestDidStart = (rc) => {
        let first: Listener | undefined;
        let many: Listener[] | undefined;
        for (const start of sync) {
          const l = start(rc);
          if (!l) continue;
          if (first === undefined) first = l;
          else if (many === undefined) many = [first, l];
          else many.push(l);
        }
        return Promise.resolve(many ? new CompositeListener(many) : first);
      };
    } else
      composite.requestDidStart = (rc) => {
        const results: unknown[] = [];
        let async = false;
        for (const start of starters) {
          const r = start(rc);
          if (isThenable(r)) async = true;
          results.push(r);
        }
        if (!async) return Promise.resolve(composeListeners(results as MaybeListener[]));
        return Promise.all(results).then((all) => composeListeners(all as MaybeListener[]));
      };
  }
  const serverStart = parts.filter((p) => p.serverWillStart);
  if (serverStart.length > 0) {
    composite.serverWillStart = async (service) => {
      const listeners = (await Promise.all(serverStart.map((p) => p.serverWillStart!(service)))).filter(isDefined);
      return composeServerListeners(listeners);
    };
  }
  for (const hook of [
    'unexpectedErrorProcessingRequest',
    'contextCreationDidFail',
    'invalidRequestWasReceived',
    'startupDidFail',
  ] as const) {
    const having = parts.filter((p) => p[hook]);
    if (having.length === 0) continue;
    composite[hook] = async (arg: never) => {
      await Promise.all(having.map((p) => (p[hook] as (this: typeof p, a: never) => Promise<void>).call(p, arg)));
    };
  }
  return composite;
}

type Listener = GraphQLRequestListener<BaseContext>;
type MaybeListener = Listener | undefined | null;

type Hook = (this: Listener, a?: unknown, b?: unknown) => unknown;

/** Settled "no response" for `responseForOperation` when no part answers (no promise per request). */
const NO_RESPONSE: Promise<null> = Promise.resolve(null);

/** Calls a part's hook; a synchronous throw becomes a rejection, as in Apollo's `Promise.all`. */
function invoke(hook: Hook, listener: Listener, a?: unknown, b?: unknown): unknown {
  try {
    return hook.call(listener, a, b);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** `pending` with `result` added when there is something to wait for. */
function collect(pending: unknown[] | undefined, result: unknown): unknown[] | undefined {
  if (result === undefined || result === RESOLVED) return pending;
  if (pending === undefined) return [result];
  pending.push(result);
  return pending;
}

/** Resolves when everything pending has (the shared settled promise when nothing is). */
function settled(pending: unknown[] | undefined): Promise<void> {
  return pending === undefined ? RESOLVED : (Promise.all(pending) as Promise<unknown> as Promise<void>);
}

/** Calls `hook` on every listener that has it, in order; resolves when all have. */
function parallel(listeners: readonly Listener[], hook: keyof Listener, a?: unknown, b?: unknown): Promise<void> {
  let pending: unknown[] | undefined;
  for (const l of listeners) {
    const f = l[hook] as Hook | undefined;
    if (f !== undefined) pending = collect(pending, invoke(f, l, a, b));
  }
  return settled(pending);
}

/** Calls `hook` on every listener that has it; the end hooks they return run in reverse order. */
async function withEnd(
  listeners: readonly Listener[],
  hook: 'parsingDidStart' | 'validationDidStart',
  rc: unknown,
): Promise<((err?: any) => Promise<void>) | undefined> {
  const ends = (await Promise.all(listeners.filter((l) => l[hook]).map((l) => (l[hook] as Hook).call(l, rc)))).filter(
    isDefined,
  ) as ((err?: unknown) => unknown)[];
  if (ends.length === 0) return undefined;
  ends.reverse();
  return async (err?: any) => {
    for (const end of ends) end(err);
  };
}

/**
 * One request listener standing for several: every hook is a prototype method (nothing allocated
 * per request but this object), each calling only the parts that define the hook.
 */
class CompositeListener implements Listener {
  constructor(private readonly parts: readonly Listener[]) {}

  // The three hooks every request reaches are written out (a named property, not a computed key,
  // so V8 keeps the loads fast); the rare ones share `parallel`.
  didResolveSource(rc: never): Promise<void> {
    let pending: unknown[] | undefined;
    for (const l of this.parts) {
      const hook = l.didResolveSource;
      if (hook !== undefined) pending = collect(pending, invoke(hook as Hook, l, rc));
    }
    return settled(pending);
  }
  parsingDidStart(rc: never) {
    return withEnd(this.parts, 'parsingDidStart', rc);
  }
  validationDidStart(rc: never) {
    return withEnd(this.parts, 'validationDidStart', rc);
  }
  didResolveOperation(rc: never): Promise<void> {
    let pending: unknown[] | undefined;
    for (const l of this.parts) {
      const hook = l.didResolveOperation;
      if (hook !== undefined) pending = collect(pending, invoke(hook as Hook, l, rc));
    }
    return settled(pending);
  }
  didEncounterErrors(rc: never): Promise<void> {
    return parallel(this.parts, 'didEncounterErrors', rc);
  }
  responseForOperation(rc: never): Promise<GraphQLResponse | null> {
    if (!this.parts.some((l) => l.responseForOperation !== undefined)) return NO_RESPONSE;
    return this.#askInOrder(rc);
  }
  async #askInOrder(rc: never): Promise<GraphQLResponse | null> {
    for (const l of this.parts) {
      if (!l.responseForOperation) continue;
      const response = await l.responseForOperation(rc);
      if (response != null) return response;
    }
    return null;
  }
  executionDidStart(rc: never): Promise<GraphQLRequestExecutionListener<BaseContext> | undefined> {
    let started: unknown[] | undefined;
    for (const l of this.parts) {
      const hook = l.executionDidStart;
      if (hook !== undefined) started = collect(started, invoke(hook as Hook, l, rc));
    }
    if (started === undefined) return RESOLVED as Promise<undefined>;
    return Promise.all(started).then((ls) =>
      composeExecutionListeners((ls as (GraphQLRequestExecutionListener<BaseContext> | undefined)[]).filter(isDefined)),
    );
  }
  willSendResponse(rc: never): Promise<void> {
    let pending: unknown[] | undefined;
    for (const l of this.parts) {
      const hook = l.willSendResponse;
      if (hook !== undefined) pending = collect(pending, invoke(hook as Hook, l, rc));
    }
    return settled(pending);
  }
  didEncounterSubsequentErrors(rc: never, errors: never): Promise<void> {
    return parallel(this.parts, 'didEncounterSubsequentErrors', rc, errors);
  }
  willSendSubsequentPayload(rc: never, payload: never): Promise<void> {
    return parallel(this.parts, 'willSendSubsequentPayload', rc, payload);
  }
}

function composeListeners(results: readonly MaybeListener[]): Listener | undefined {
  let first: Listener | undefined;
  let many: Listener[] | undefined;
  for (const r of results) {
    if (!r) continue;
    if (first === undefined) first = r;
    else if (many === undefined) many = [first, r];
    else many.push(r);
  }
  return many ? new CompositeListener(many) : first;
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

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && typeof x === 'object' && typeof (x as { then?: unknown }).then === 'function';
}

// biome-ignore lint/suspicious/noConfusingVoidType: Apollo's hooks return `T | void`
function isDefined<T>(x: T | undefined | null | void): x is T {
  return x !== undefined && x !== null;
}
