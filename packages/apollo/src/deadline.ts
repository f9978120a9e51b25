import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { type Clock, ErrorCode, rampartError } from '@rampart/core';
import {
  defaultFieldResolver,
  type GraphQLError,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  getNamedType,
  isLeafType,
} from 'graphql';

/** Where a running operation's deadline sits on the (per-operation) context value. */
export const DEADLINE: unique symbol = Symbol.for('rampart.deadline') as never;

/** How often (in resolver starts) the clock is read while no timer has fired (a power of two minus one). */
const CLOCK_EVERY = 255;

/**
 * The running deadlines of one duration, oldest first, with ONE Node timer for the oldest. Cheaper
 * than a `setTimeout` per operation: an operation costs an array push; the timer fires about once per
 * duration under load, flips every deadline that is due and re-arms for the next. Deadlines that
 * stopped or expired leave from the head, so the queue holds at most one duration's worth.
 *
 * When the queue empties, its timer is left to run (it is `unref`'d, so it keeps no process alive):
 * clearing it and arming a new one for the next operation would cost a timer per operation again on a
 * server that handles one request at a time. A timer that fires early for the current head (it was
 * armed for an older deadline) simply re-arms.
 */
class DeadlineQueue {
  readonly #items: Deadline[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  add(d: Deadline): void {
    this.#items.push(d);
    if (this.#timer === undefined) this.#arm();
  }

  /** Drops the stopped or expired deadlines at the head. */
  settle(): void {
    const items = this.#items;
    let head = this.#head;
    while (head < items.length && (items[head]!.stopped || items[head]!.expired)) head++;
    if (head === items.length) {
      items.length = 0;
      this.#head = 0;
      return;
    }
    if (head > 1024 && head * 2 > items.length) {
      items.splice(0, head);
      head = 0;
    }
    this.#head = head;
  }

  #arm(): void {
    const first = this.#items[this.#head];
    if (first === undefined) return;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, first.due - performance.now()));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    const now = performance.now();
    const items = this.#items;
    for (let i = this.#head; i < items.length; i++) {
      const d = items[i]!;
      if (d.due > now) break; // one duration: later items are due later
      if (!d.stopped) d.expired = true;
    }
    this.settle();
    this.#arm(); // for the new head, if any
  }
}

const queues = new Map<number, DeadlineQueue>();

/**
 * The execution deadline of one operation. A shared timer flips `expired` when the event loop is free
 * at the deadline; the clock is also read every 256 resolver starts so fully synchronous execution
 * stops too.
 */
export class Deadline {
  expired = false;
  /** Resolver starts refused after expiry. */
  refused = 0;
  /** Execution ended (no timer needed any more). */
  stopped = false;
  /** When the shared timer should flip `expired` (`performance.now()` time). */
  readonly due: number;
  #starts = 0;
  readonly #at: number;
  readonly #queue: DeadlineQueue;

  constructor(
    readonly ms: number,
    private readonly clock: Clock,
  ) {
    this.#at = clock.now() + ms;
    this.due = performance.now() + ms;
    let queue = queues.get(ms);
    if (queue === undefined) {
      queue = new DeadlineQueue();
      queues.set(ms, queue);
    }
    this.#queue = queue;
    queue.add(this);
  }

  /** True when no further resolver may start. Cheap: called once per resolver start. */
  passed(): boolean {
    if (this.expired) return true;
    if ((++this.#starts & CLOCK_EVERY) === 0 && this.clock.now() >= this.#at) this.expired = true;
    return this.expired;
  }

  /** The field error thrown for a refused resolver start. */
  error(): GraphQLError {
    this.refused++;
    return rampartError(ErrorCode.EXECUTION_TIMEOUT, `Execution exceeded its deadline of ${this.ms} ms`, {
      scope: 'field',
    });
  }

  /** Execution ended: the shared timer no longer needs to watch this deadline. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.#queue.settle();
  }
}

type DeadlineCarrier = { [DEADLINE]?: Deadline } | null | undefined;

/**
 * Wraps the resolver of every object field that can do work or start children (a resolver of its own,
 * or an object/list-of-objects value; default resolvers included) in a synchronous check of the
 * operation's deadline. The wrapper is synchronous: no Promise is introduced.
 */
export function withDeadlineChecks(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field) => {
      // A scalar or enum field without a resolver only reads a property: no work to stop and no
      // children to start, so it is left unwrapped (most fields of a large list are such fields).
      if (
        (field.resolve === undefined || field.resolve === defaultFieldResolver) &&
        isLeafType(getNamedType(field.type))
      )
        return field;
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        resolve(source, args, context, info) {
          const deadline = (context as DeadlineCarrier)?.[DEADLINE];
          if (deadline?.passed()) throw deadline.error();
          return resolve(source, args, context, info);
        },
      };
    },
  });
}
