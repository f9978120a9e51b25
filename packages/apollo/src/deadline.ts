import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { type Clock, ErrorCode, rampartError } from '@rampart/core';
import { defaultFieldResolver, type GraphQLError, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';

/** Where a running operation's deadline sits on the (per-operation) context value. */
export const DEADLINE: unique symbol = Symbol.for('rampart.deadline') as never;

/** How often (in resolver starts) the clock is read while no timer has fired (a power of two minus one). */
const CLOCK_EVERY = 255;

/**
 * The execution deadline of one operation. A timer flips `expired` when the event loop is free; the
 * clock is also read every 256 resolver starts so fully synchronous execution stops too.
 */
export class Deadline {
  expired = false;
  /** Resolver starts refused after expiry. */
  refused = 0;
  #starts = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #at: number;

  constructor(
    readonly ms: number,
    private readonly clock: Clock,
  ) {
    this.#at = clock.now() + ms;
    this.#timer = setTimeout(() => {
      this.expired = true;
    }, ms);
    this.#timer.unref();
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

  /** Stops the timer (execution ended). */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

type DeadlineCarrier = { [DEADLINE]?: Deadline } | null | undefined;

/**
 * Wraps every object field's resolver (the default one included) in a synchronous check of the
 * operation's deadline. Synchronous wrappers cost ~1.0x (DESIGN.md); no Promise is introduced.
 */
export function withDeadlineChecks(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field) => {
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
