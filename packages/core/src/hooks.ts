/**
 * Request hooks that finish without waiting. Apollo awaits every listener's hook of a request; an
 * `async` hook costs a promise and microtask turns even when it did all its work synchronously, and
 * `rampart()`'s composite listener waits on each. A hook that returns {@link HOOK_DONE} tells the
 * composite that there is nothing to wait for. To Apollo it is an ordinary settled promise.
 */

/** The result of a request hook that finished synchronously: a settled promise shared by all of them. */
export const HOOK_DONE: Promise<void> = Promise.resolve();

/**
 * Runs a hook's `work` on `self`: {@link HOOK_DONE} when it returned without a promise, its promise
 * when it has to wait, a rejection when it threw (as an `async` hook would).
 */
export function runHook<T, A>(self: T, work: (this: T, arg: A) => void | Promise<void>, arg: A): Promise<void> {
  try {
    return work.call(self, arg) ?? HOOK_DONE;
  } catch (error) {
    return Promise.reject(error);
  }
}
