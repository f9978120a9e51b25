/**
 * The operations of an analysis, from GraphQL files (fragments shared across all of them; several
 * operations per document), Apollo's persisted query manifest
 * (`{ format: "apollo-persisted-query-manifest", version: 1, operations: [{ id, name, type, body }] }`)
 * and persisted documents maps (`{ "<hash>": "<document>" }`, GraphQL Code Generator and Relay).
 */
import {
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
} from 'graphql';
import { usageError } from '../cli.js';
import type { InputFile } from './inputs.js';
import { located } from './schema-load.js';

/** One operation to analyze, with the fragments it spreads. */
export interface OperationItem {
  /** Stable identity across runs (baselines): the manifest id or map hash, else `file#Name`. */
  readonly key: string;
  /** The persisted id or hash, when it has one. */
  readonly id?: string;
  readonly name: string | null;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The operation and the fragments it needs (or the whole persisted document). */
  readonly document: DocumentNode;
  /** A problem found before analysis (an unknown fragment). */
  readonly problem?: string;
}

/** Fragment definitions by name, with the file each came from. */
type FragmentPool = Map<string, { readonly node: FragmentDefinitionNode; readonly file: string }>;

function parseDocument(text: string, where: string): DocumentNode {
  try {
    return parse(text);
  } catch (e) {
    throw usageError(`invalid operation document: ${located(e, where)}`);
  }
}

const operationsOf = (doc: DocumentNode) =>
  doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);

function addFragments(pool: FragmentPool, doc: DocumentNode, file: string): void {
  for (const d of doc.definitions) {
    if (d.kind !== Kind.FRAGMENT_DEFINITION) continue;
    const name = d.name.value;
    const known = pool.get(name);
    if (known && known.node.loc?.source.body.slice(known.node.loc.start, known.node.loc.end) !== textOf(d)) {
      throw usageError(`fragment "${name}" is defined differently in ${known.file} and ${file}`);
    }
    if (!known) pool.set(name, { node: d, file });
  }
}

const textOf = (d: DefinitionNode) => d.loc?.source.body.slice(d.loc.start, d.loc.end);

/** The names of the fragments spread anywhere in `set` (a walk of selection sets only). */
function spreadsIn(set: SelectionSetNode, found: (name: string) => void): void {
  const stack: SelectionSetNode[] = [set];
  while (stack.length > 0) {
    for (const sel of (stack.pop() as SelectionSetNode).selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) found(sel.name.value);
      else if (sel.selectionSet) stack.push(sel.selectionSet);
    }
  }
}

/** The operation and the fragments it spreads, transitively; the first unknown fragment, if any. */
function withFragments(op: OperationDefinitionNode, pool: FragmentPool): { doc: DocumentNode; missing?: string } {
  const needed = new Map<string, FragmentDefinitionNode>();
  let missing: string | undefined;
  const stack: SelectionSetNode[] = [op.selectionSet];
  const found = (name: string) => {
    if (needed.has(name)) return;
    const fragment = pool.get(name);
    if (!fragment) {
      missing ??= name;
      return;
    }
    needed.set(name, fragment.node);
    stack.push(fragment.node.selectionSet);
  };
  while (stack.length > 0) spreadsIn(stack.pop() as SelectionSetNode, found);
  const doc: DocumentNode = { kind: Kind.DOCUMENT, definitions: [op, ...needed.values()] };
  return missing === undefined ? { doc } : { doc, missing };
}

/** Operations of GraphQL files, fragments resolved across all of them. */
function fromGraphQL(files: readonly InputFile[]): OperationItem[] {
  const pool: FragmentPool = new Map();
  const docs = files.map((f) => ({ file: f.path, doc: parseDocument(f.text, f.path) }));
  for (const { file, doc } of docs) addFragments(pool, doc, file);
  const items: OperationItem[] = [];
  for (const { file, doc } of docs) {
    for (const op of operationsOf(doc)) {
      const { doc: document, missing } = withFragments(op, pool);
      const name = op.name?.value ?? null;
      const loc = op.loc ? op.loc.source.body.slice(0, op.loc.start).split('\n') : [''];
      items.push({
        key: `${file}#${name ?? '(anonymous)'}`,
        name,
        file,
        line: loc.length,
        column: (loc[loc.length - 1] as string).length + 1,
        document,
        ...(missing ? { problem: `Unknown fragment "${missing}".` } : {}),
      });
    }
  }
  return items;
}

/** One item per operation of a persisted document (`id`, or `id#Name` when it holds several). */
function fromPersisted(file: string, id: string, body: unknown, name?: unknown): OperationItem[] {
  if (typeof body !== 'string') throw usageError(`${file}: operation "${id}" has no document string`);
  const document = parseDocument(body, `${file}#${id}`);
  let ops = operationsOf(document);
  if (typeof name === 'string' && ops.length > 1) ops = ops.filter((o) => o.name?.value === name);
  return ops.map((op) => ({
    key: ops.length > 1 ? `${id}#${op.name?.value}` : id,
    id,
    name: op.name?.value ?? null,
    file,
    line: 1,
    column: 1,
    document:
      ops.length > 1
        ? {
            ...document,
            definitions: document.definitions.filter((d) => d === op || d.kind !== Kind.OPERATION_DEFINITION),
          }
        : document,
  }));
}

/** Operations of a JSON file: an Apollo persisted query manifest or a persisted documents map. */
function fromJson(file: InputFile): OperationItem[] {
  let json: unknown;
  try {
    json = JSON.parse(file.text);
  } catch (e) {
    throw usageError(`invalid operations file: ${file.path} is not valid JSON: ${(e as Error).message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw usageError(`invalid operations file: ${file.path} is neither a persisted query manifest nor a documents map`);
  }
  const record = json as Record<string, unknown>;
  if (record.format === 'apollo-persisted-query-manifest') {
    if (record.version !== 1 || !Array.isArray(record.operations)) {
      throw usageError(`invalid operations file: ${file.path}: only version 1 manifests with "operations" are read`);
    }
    return record.operations.flatMap((entry: unknown) => {
      const e = (entry ?? {}) as Record<string, unknown>;
      return fromPersisted(file.path, String(e.id), e.body, e.name);
    });
  }
  return Object.entries(record).flatMap(([hash, body]) => fromPersisted(file.path, hash, body));
}

const looksLikeJson = (f: InputFile) => f.path.endsWith('.json') || (f.path === '-' && /^\s*\{\s*"/.test(f.text));

/** Every operation of the input files, in order (GraphQL files first, then JSON files). */
export function collectOperations(files: readonly InputFile[]): OperationItem[] {
  const graphql = files.filter((f) => !looksLikeJson(f));
  const json = files.filter(looksLikeJson);
  return [...fromGraphQL(graphql), ...json.flatMap(fromJson)];
}
