/**
 * Reading a trusted-documents manifest: Apollo's persisted query manifest or a plain map of id to
 * document text (GraphQL Codegen, Relay). Every problem is a `RampartConfigError` naming the entry.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, RampartConfigError } from '@rampart/core';
import type { ManifestSource } from './options.js';

/** The option path every manifest error names. */
export const MANIFEST_OPTION = 'rampart.trustedDocuments.manifest';

/** The `format` of Apollo's persisted query manifests. */
export const APOLLO_MANIFEST_FORMAT = 'apollo-persisted-query-manifest';

/** One trusted document as the manifest lists it. */
export interface ManifestEntry {
  /** The id clients send (`extensions.persistedQuery.sha256Hash` or `documentId`). */
  readonly id: string;
  /** The document text. */
  readonly body: string;
  /** The operation name the manifest gives (Apollo's format), if any. */
  readonly name: string | undefined;
  /** Where the entry is in the manifest, for error messages (`operations[3]`, `["abc…"]`). */
  readonly where: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** SHA-256 of a text, lower-case hex (Apollo's `queryHash`). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The manifest's content: the object, the loader's result, or the file parsed as JSON. */
export async function readManifest(source: ManifestSource): Promise<unknown> {
  if (typeof source === 'function') {
    try {
      return await (source as () => unknown)();
    } catch (error) {
      throw new RampartConfigError(MANIFEST_OPTION, `the loader failed: ${messageOf(error)}`);
    }
  }
  if (typeof source !== 'string' && !(source instanceof URL)) return source;
  const name = String(source);
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (error) {
    throw new RampartConfigError(MANIFEST_OPTION, `cannot read ${name}: ${messageOf(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new RampartConfigError(MANIFEST_OPTION, `${name} is not JSON: ${messageOf(error)}`);
  }
}

/**
 * The entries of a manifest, checked: ids are non-empty strings and unique, bodies non-empty
 * strings, and an id that looks like a SHA-256 (64 hex digits) is the SHA-256 of its body.
 */
export function manifestEntries(manifest: unknown): ManifestEntry[] {
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
    throw new RampartConfigError(
      MANIFEST_OPTION,
      `must be Apollo's persisted query manifest or a map of id to document, got ${describe(manifest)}`,
    );
  }
  const entries = Object.hasOwn(manifest, 'format') ? apolloEntries(manifest) : mapEntries(manifest);
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.id)) throw entryError(entry.where, entry.id, 'the id is listed twice');
    seen.add(entry.id);
    if (SHA256_HEX.test(entry.id) && entry.id.toLowerCase() !== sha256Hex(entry.body)) {
      throw entryError(entry.where, entry.id, 'the id is a SHA-256 but not the SHA-256 of the body');
    }
  }
  return entries;
}

/** The operations of Apollo's persisted query manifest (format and version checked). */
function apolloEntries(manifest: object): ManifestEntry[] {
  const m = manifest as Record<string, unknown>;
  if (m.format !== APOLLO_MANIFEST_FORMAT) {
    throw new RampartConfigError(
      `${MANIFEST_OPTION}.format`,
      `must be "${APOLLO_MANIFEST_FORMAT}", got ${describe(m.format)}`,
    );
  }
  if (m.version !== 1) {
    throw new RampartConfigError(`${MANIFEST_OPTION}.version`, `must be 1, got ${describe(m.version)}`);
  }
  if (!Array.isArray(m.operations)) {
    throw new RampartConfigError(`${MANIFEST_OPTION}.operations`, `must be an array, got ${describe(m.operations)}`);
  }
  return m.operations.map((operation: unknown, i: number) => {
    const where = `operations[${i}]`;
    if (operation === null || typeof operation !== 'object' || Array.isArray(operation)) {
      throw entryError(where, undefined, `must be an object, got ${describe(operation)}`);
    }
    const op = operation as Record<string, unknown>;
    const id = Object.hasOwn(op, 'id') ? op.id : undefined;
    if (typeof id !== 'string' || id.length === 0) {
      throw entryError(where, undefined, `"id" must be a non-empty string, got ${describe(id)}`);
    }
    const body = Object.hasOwn(op, 'body') ? op.body : undefined;
    if (typeof body !== 'string' || body.trim().length === 0) {
      throw entryError(where, id, `"body" must be a non-empty string, got ${describe(body)}`);
    }
    const name = Object.hasOwn(op, 'name') ? op.name : undefined;
    if (name !== undefined && typeof name !== 'string') {
      throw entryError(where, id, `"name" must be a string, got ${describe(name)}`);
    }
    return { id, body, name, where };
  });
}

/** The entries of a `{ "<id>": "<document>" }` map. */
function mapEntries(manifest: object): ManifestEntry[] {
  return Object.keys(manifest).map((id) => {
    const where = `[${JSON.stringify(shortId(id))}]`;
    const body = (manifest as Record<string, unknown>)[id];
    if (id.length === 0) throw entryError(where, id, 'the id is empty');
    if (typeof body !== 'string' || body.trim().length === 0) {
      throw entryError(where, id, `must be a non-empty document string, got ${describe(body)}`);
    }
    return { id, body, name: undefined, where };
  });
}

/** The error of one entry: `rampart.trustedDocuments.manifest.operations[3] (id "abc…"): …`. */
export function entryError(where: string, id: string | undefined, message: string): RampartConfigError {
  const named = id === undefined || where.startsWith('[') ? '' : ` (id ${JSON.stringify(shortId(id))})`;
  return new RampartConfigError(`${MANIFEST_OPTION}${where.startsWith('[') ? '' : '.'}${where}${named}`, message);
}

/** An id short enough for a message or a log line. */
export function shortId(id: string): string {
  return id.length > 80 ? `${id.slice(0, 80)}…` : id;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
