/**
 * Reading claims from a verified token payload: own properties only (core's `ownProperty`), an exact
 * claim name before a dotted path, and the RFC 6749 shape of scope and role values.
 */
import { hasOwnKey, ownProperty } from '@rampart/core';
import { AuthFailure } from './auth-failure.js';
import type { ClaimPath } from './jwt-options.js';

function walk(value: unknown, keys: readonly string[]): unknown {
  let v = value;
  for (const key of keys) {
    v = ownProperty(v, key);
    if (v === undefined) return undefined;
  }
  return v;
}

/**
 * The claim at `path`: a string names one claim exactly (`'https://myapp.example.com/roles'`) and,
 * when the payload has no such claim, is read as a dotted path (`'realm_access.roles'`); an array is a
 * path of keys read as they are (`['realm_access', 'roles']`).
 */
export function claimAt(payload: unknown, path: ClaimPath): unknown {
  if (typeof path !== 'string') return walk(payload, path);
  if (hasOwnKey(payload, path)) return ownProperty(payload, path);
  return path.includes('.') ? walk(payload, path.split('.')) : undefined;
}

/** How a claim path is shown in decision records. */
export function claimName(path: ClaimPath): string {
  return typeof path === 'string' ? path : path.join('.');
}

const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/; // RFC 6749 scope-token

/**
 * A claim holding a list: a space-delimited string and/or an array of scope-tokens, as allowed.
 * `undefined` is the empty list; any other shape is an invalid token.
 * @throws AuthFailure on a malformed value.
 */
export function stringList(v: unknown, path: ClaimPath, allowArray: boolean, allowString: boolean): string[] {
  if (v === undefined) return [];
  if (typeof v === 'string' && allowString) {
    const items = v.split(' ').filter((s) => s.length > 0);
    if (items.every((s) => SCOPE_TOKEN.test(s))) return items;
  } else if (Array.isArray(v) && allowArray && v.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))) {
    return v as string[];
  }
  throw new AuthFailure('invalid_token', 'The access token is invalid', `malformed ${claimName(path)} claim`);
}
