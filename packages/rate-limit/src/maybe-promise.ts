import { isThenable } from '@rampart/core';

/** A value, or a promise of it: a synchronous store (memory) answers without a promise or a microtask hop. */
export type MaybePromise<T> = T | Promise<T>;

/** True when `value` is still pending (core's {@link isThenable}). */
export function isPending<T>(value: MaybePromise<T>): value is Promise<T> {
  return isThenable(value);
}

/** Calls `next` with the value: at once when it is there, else when it resolves. */
export function andThen<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return isPending(value) ? value.then(next) : next(value);
}
