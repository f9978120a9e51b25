/**
 * The schema of an analysis: SDL files (several, merged; Apollo Federation subgraphs too) or an
 * introspection result. Every Rampart directive is known (its SDL taken from the packages' exports),
 * `@cost`/`@listSize` renamed by `@link(import:)` are read as such, and other directives the SDL uses
 * without defining them (`@key`, `@shareable`, `@link`, …) are set aside and listed.
 */
import { auditTypeDefs } from '@rampart/audit';
import { costDirectivesTypeDefs } from '@rampart/limits';
import { rateLimitTypeDefs } from '@rampart/rate-limit';
import { scopesTypeDefs } from '@rampart/scopes';
import {
  buildASTSchema,
  buildClientSchema,
  type DefinitionNode,
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  type IntrospectionQuery,
  Kind,
  parse,
  visit,
} from 'graphql';
import { usageError } from '../cli.js';
import { costRenames } from './federation.js';

/** One schema file as read. */
export interface SchemaFile {
  readonly path: string;
  readonly text: string;
}

/** The schema and what was done to read it. */
export interface LoadedSchema {
  readonly schema: GraphQLSchema;
  readonly files: readonly string[];
  /** Directives used but not defined in the SDL, and not Rampart's: left out of the analysis. */
  readonly ignoredDirectives: readonly string[];
  /** Directive renames applied (`myCost` → `cost`, from `@link`), those the SDL uses. */
  readonly renamedDirectives: Readonly<Record<string, string>>;
}

/** `file:line:column: message` for a GraphQL error. */
export function located(e: unknown, file: string): string {
  if (e instanceof GraphQLError) {
    const loc = e.locations?.[0];
    return `${file}${loc ? `:${loc.line}:${loc.column}` : ''}: ${e.message}`;
  }
  return `${file}: ${(e as Error).message}`;
}

/** The SDL of every Rampart directive (and the types they use), `@rateLimit` under `rateLimitName`. */
export function rampartTypeDefs(rateLimitName = 'rateLimit'): DocumentNode {
  return parse([costDirectivesTypeDefs, scopesTypeDefs, rateLimitTypeDefs(rateLimitName), auditTypeDefs].join('\n'));
}

const EXTENSION_KINDS: Partial<Record<string, Kind>> = {
  [Kind.OBJECT_TYPE_EXTENSION]: Kind.OBJECT_TYPE_DEFINITION,
  [Kind.INTERFACE_TYPE_EXTENSION]: Kind.INTERFACE_TYPE_DEFINITION,
  [Kind.INPUT_OBJECT_TYPE_EXTENSION]: Kind.INPUT_OBJECT_TYPE_DEFINITION,
  [Kind.UNION_TYPE_EXTENSION]: Kind.UNION_TYPE_DEFINITION,
  [Kind.ENUM_TYPE_EXTENSION]: Kind.ENUM_TYPE_DEFINITION,
  [Kind.SCALAR_TYPE_EXTENSION]: Kind.SCALAR_TYPE_DEFINITION,
};

/** Federation 1 subgraphs `extend type Query` without defining it: the first extension becomes the definition. */
function adoptOrphanExtensions(definitions: DefinitionNode[]): DefinitionNode[] {
  const defined = new Set<string>();
  for (const d of definitions) if ('name' in d && d.name && !(d.kind in EXTENSION_KINDS)) defined.add(d.name.value);
  return definitions.map((d) => {
    const kind = EXTENSION_KINDS[d.kind];
    if (!kind || !('name' in d) || !d.name || defined.has(d.name.value)) return d;
    defined.add(d.name.value);
    return { ...d, kind } as DefinitionNode;
  });
}

/** Renames, then drops the usages of directives nobody defines; `extend schema` left empty goes. */
function normalizeDirectives(
  doc: DocumentNode,
  renames: ReadonlyMap<string, string>,
  defined: ReadonlySet<string>,
  ignored: Set<string>,
  used: Set<string>,
): DocumentNode {
  const renamed = visit(doc, {
    DirectiveDefinition: (node) => (renames.has(node.name.value) ? null : undefined),
    Directive: (node) => {
      const name = renames.get(node.name.value) ?? node.name.value;
      if (name !== node.name.value) used.add(node.name.value);
      if (defined.has(name))
        return name === node.name.value ? undefined : { ...node, name: { ...node.name, value: name } };
      ignored.add(node.name.value);
      return null;
    },
  });
  const definitions = renamed.definitions.filter(
    (d) => d.kind !== Kind.SCHEMA_EXTENSION || (d.directives?.length ?? 0) + (d.operationTypes?.length ?? 0) > 0,
  );
  return { ...renamed, definitions };
}

/** Builds the schema from SDL files (merged into one document). */
export function loadSdl(files: readonly SchemaFile[], rateLimitName?: string): LoadedSchema {
  const definitions: DefinitionNode[] = [];
  for (const file of files) {
    try {
      definitions.push(...parse(file.text).definitions);
    } catch (e) {
      throw usageError(`invalid schema: ${located(e, file.path)}`);
    }
  }
  let doc: DocumentNode = { kind: Kind.DOCUMENT, definitions };
  const renames = costRenames(doc);
  const own = new Set(definitions.flatMap((d) => (d.kind === Kind.DIRECTIVE_DEFINITION ? [d.name.value] : [])));
  const ownTypes = new Set(definitions.flatMap((d) => ('name' in d && d.name ? [d.name.value] : [])));
  const extra = rampartTypeDefs(rateLimitName).definitions.filter((d) =>
    d.kind === Kind.DIRECTIVE_DEFINITION
      ? !own.has(d.name.value)
      : !('name' in d && d.name && ownTypes.has(d.name.value)),
  );
  const defined = new Set([
    ...own,
    ...extra.flatMap((d) => (d.kind === Kind.DIRECTIVE_DEFINITION ? [d.name.value] : [])),
  ]);
  for (const name of ['skip', 'include', 'deprecated', 'specifiedBy', 'oneOf']) defined.add(name);
  for (const alias of renames.keys()) defined.delete(alias);
  const ignored = new Set<string>();
  const used = new Set<string>();
  doc = normalizeDirectives(doc, renames, defined, ignored, used);
  doc = { ...doc, definitions: [...extra, ...adoptOrphanExtensions([...doc.definitions])] };
  const label = files.map((f) => f.path).join(', ');
  let schema: GraphQLSchema;
  try {
    schema = buildASTSchema(doc);
  } catch (e) {
    throw usageError(`invalid schema: ${located(e, label)}`);
  }
  return {
    schema,
    files: files.map((f) => f.path),
    ignoredDirectives: [...ignored].sort(),
    renamedDirectives: Object.fromEntries([...renames].filter(([alias]) => used.has(alias))),
  };
}

/** Builds the schema from an introspection result (`{ data: { __schema } }` or `{ __schema }`). */
export function loadIntrospection(file: SchemaFile): LoadedSchema {
  let json: unknown;
  try {
    json = JSON.parse(file.text);
  } catch (e) {
    throw usageError(`invalid schema: ${file.path} is not valid JSON: ${(e as Error).message}`);
  }
  const data = (json as { data?: unknown } | null)?.data ?? json;
  if (!data || typeof data !== 'object' || !('__schema' in data)) {
    throw usageError(`invalid schema: ${file.path} is not an introspection result (no "__schema")`);
  }
  try {
    const schema = buildClientSchema(data as IntrospectionQuery);
    return { schema, files: [file.path], ignoredDirectives: [], renamedDirectives: {} };
  } catch (e) {
    throw usageError(`invalid schema: ${file.path}: ${(e as Error).message}`);
  }
}

/** The schema of `files`: one introspection JSON file, or SDL files. */
export function loadSchema(files: readonly SchemaFile[], rateLimitName?: string): LoadedSchema {
  const json = files.filter((f) => f.path.endsWith('.json'));
  if (json.length === 0) return loadSdl(files, rateLimitName);
  if (files.length > 1) {
    throw usageError(`an introspection result (${json[0]?.path}) must be the only --schema input`);
  }
  return loadIntrospection(files[0] as SchemaFile);
}
