/**
 * The start of every request, whatever carries it (an HTTP request, a graphql-ws connection): a
 * security state for the caller (a well-formed incoming request id, the anonymous principal of its
 * canonical address), then the modules' request steps (authentication, IP filter, request limits).
 */
import {
  anonymousPrincipal,
  type Clock,
  canonicalAddress,
  type RampartModule,
  type RequestInfo,
  SecurityState,
  wellFormedRequestId,
} from '@rampart/core';

/** A new security state for a request described by `info`. */
export function newRequestState(info: RequestInfo, clock: Clock, requestIdHeader: string): SecurityState {
  return new SecurityState({
    clock,
    headers: info.headers,
    // a well-formed incoming id, else none yet: the state makes one when something reads it
    requestId: wellFormedRequestId(info.headers.get(requestIdHeader)),
    // one spelling per address (`::ffff:10.0.0.1` is `10.0.0.1`), so every key made from it is one key
    principal: anonymousPrincipal(canonicalAddress(info.remoteAddress)),
  });
}

/** One module's `onRequest` or `onHttpRequest`, bound to its module. */
export type RequestStep = (state: SecurityState, request: RequestInfo) => void | Promise<void>;

/** The modules' steps for one hook, in module order (modules without the hook are skipped). */
export function requestSteps(
  modules: readonly RampartModule[],
  hook: 'onRequest' | 'onHttpRequest',
): readonly RequestStep[] {
  return modules.flatMap((m) => {
    const step = m[hook];
    return step ? [step.bind(m) as RequestStep] : [];
  });
}

/**
 * Runs request steps in order; synchronous while every step is (only asynchronous steps cost a
 * promise). A refusal is thrown (or rejected) as the module threw it.
 */
export function runRequestSteps(
  steps: readonly RequestStep[],
  state: SecurityState,
  info: RequestInfo,
  from = 0,
): void | Promise<void> {
  for (let i = from; i < steps.length; i++) {
    const r = steps[i]!(state, info);
    if (r !== undefined) return r.then(() => runRequestSteps(steps, state, info, i + 1));
  }
}
