import { ownProperty } from '@rampart/core';
import { hashedPart } from './keys.js';

/**
 * Reads a dotted path (`input.email`) in a resolver's arguments, own properties only: arguments hold
 * untrusted JSON (custom scalars pass it through as sent, with own `"__proto__"` keys), and a path
 * segment such as `constructor` must never reach `Object.prototype`. `undefined` when any step is
 * missing or not an object.
 */
export function readArgument(args: unknown, path: string): unknown {
  let value: unknown = args;
  for (const key of path.split('.')) {
    value = ownProperty(value, key);
    if (value === undefined) return undefined;
  }
  return value;
}

/**
 * The hashed key part of an argument value: strings as sent, anything else as its JSON. `undefined`
 * when the value cannot be a key (absent, null, a function, or JSON cannot write it).
 */
export function argumentKeyPart(value: unknown, lowerCase = false): string | undefined {
  if (value === undefined || value === null) return undefined;
  let text: string | undefined;
  if (typeof value === 'string') text = lowerCase ? value.toLowerCase() : value;
  else {
    try {
      text = JSON.stringify(value);
    } catch {
      return undefined; // a BigInt or a cycle from a custom scalar: not a key
    }
  }
  return typeof text === 'string' ? hashedPart(text) : undefined;
}
