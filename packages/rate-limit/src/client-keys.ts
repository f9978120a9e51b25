/**
 * Key caches: the counting key of a principal, and the store keys of a client (operation window,
 * cost budget, quota windows). Keys change only when a window turns, so they are built once per
 * (client, window). Both caches are cleared when full: they only save string building.
 */
import type { Principal } from '@rampart/core';
import type { Window } from './calendar.js';
import { keyPart, storeKey } from './keys.js';

/** Clients whose keys are kept. */
export const KEY_CACHE_SIZE = 10_000;

/** The counting key of each principal (`u:…`, `c:…`, `ip:…`), with a warning for the shared `ip:unknown`. */
export class PrincipalKeys {
  readonly #generate: (principal: Principal) => string;
  readonly #warn: (message: string) => void;
  /** Generated key → key part safe for the store. */
  readonly #byGenerated = new Map<string, string>();
  #lastPrincipal: Principal | undefined;
  #lastKey = '';
  #warnedUnknown = false;

  constructor(generate: (principal: Principal) => string, warn: (message: string) => void) {
    this.#generate = generate;
    this.#warn = warn;
  }

  /** The counting key of a principal. */
  keyOf(principal: Principal): string {
    // The last principal (the fields of one request) and the last keys seen are remembered; a
    // principal is usually a new object per request, so no per-object map (a WeakMap entry per
    // request costs more than it saves).
    if (principal === this.#lastPrincipal) return this.#lastKey;
    const generated = this.#generate(principal);
    let key = this.#byGenerated.get(generated);
    if (key === undefined) {
      key = keyPart(generated);
      if (this.#byGenerated.size >= KEY_CACHE_SIZE) this.#byGenerated.clear();
      this.#byGenerated.set(generated, key);
    }
    this.#lastPrincipal = principal;
    this.#lastKey = key;
    if (key === 'ip:unknown' && !this.#warnedUnknown) {
      this.#warnedUnknown = true;
      this.#warn(
        '[rampart/rate-limit] an anonymous request has no principal.ip: all such requests share the key ' +
          '"ip:unknown". Set the principal (with its ip) in the context, or use rampart() with authentication.',
      );
    }
    return key;
  }
}

/** The store keys of one client, rebuilt only when a window turns. */
interface ClientStoreKeys {
  operationWindow: Window | undefined;
  operationKey: string;
  budgetKey: string;
  quotaWindows: Array<Window | undefined>;
  quotaKeys: string[];
}

/** The store keys of every client, per policy and window. */
export class ClientKeyCache {
  readonly #prefix: string;
  readonly #byClient = new Map<string, ClientStoreKeys>();

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  #keysOf(who: string): ClientStoreKeys {
    let keys = this.#byClient.get(who);
    if (keys === undefined) {
      if (this.#byClient.size >= KEY_CACHE_SIZE) this.#byClient.clear();
      keys = { operationWindow: undefined, operationKey: '', budgetKey: '', quotaWindows: [], quotaKeys: [] };
      this.#byClient.set(who, keys);
    }
    return keys;
  }

  /** The key of a client's operation counter in `window` (`duration` in seconds). */
  operationKey(who: string, duration: number, window: Window): string {
    const keys = this.#keysOf(who);
    if (keys.operationWindow !== window) {
      keys.operationWindow = window;
      keys.operationKey = storeKey(this.#prefix, who, `op:${duration}:${window.id}`);
    }
    return keys.operationKey;
  }

  /** The key of a client's cost budget. */
  budgetKey(who: string): string {
    const keys = this.#keysOf(who);
    if (keys.budgetKey === '') keys.budgetKey = storeKey(this.#prefix, who, 'budget');
    return keys.budgetKey;
  }

  /** The key of a client's counter of quota `index` (`namePart`: its name as a key part) in `window`. */
  quotaKey(who: string, index: number, namePart: string, window: Window): string {
    const keys = this.#keysOf(who);
    if (keys.quotaWindows[index] !== window) {
      keys.quotaWindows[index] = window;
      keys.quotaKeys[index] = storeKey(this.#prefix, who, `q:${namePart}:${window.id}`);
    }
    return keys.quotaKeys[index]!;
  }
}
