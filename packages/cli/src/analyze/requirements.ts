/**
 * What an operation requires (`@authenticated`, `@requiresScopes`, `@policy` on the fields it selects,
 * their parent and return types, the arguments it passes, the same field of the interfaces a type
 * implements and, through an abstract type, of every implementation) and the `@rateLimit`s it hits
 * (on the field, the interface field, else the object type). Read from the schema's SDL nodes.
 */
import {
  type ConstDirectiveNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  valueFromASTUntyped,
} from 'graphql';
import type { SelectedField } from './selection-walk.js';

/** A disjunction of conjunctions (outer list OR, inner list AND), as in `@requiresScopes`. */
export type Dnf = readonly (readonly string[])[];

/** One schema element's requirement. */
export interface FieldRequirement {
  readonly coordinate: string;
  readonly authenticated: boolean;
  readonly scopes: readonly Dnf[];
  readonly policies: readonly Dnf[];
}

/** The requirements of one operation: all must hold. */
export interface Requirements {
  readonly authenticated: boolean;
  /** Distinct scope DNFs, each to satisfy. */
  readonly scopes: readonly Dnf[];
  readonly policies: readonly Dnf[];
  /** Per schema coordinate, sorted. */
  readonly fields: readonly FieldRequirement[];
}

/** One `@rateLimit` the operation hits. */
export interface RateLimitHit {
  readonly coordinate: string;
  readonly limit: number;
  readonly duration: number;
  readonly by?: string;
  readonly name?: string;
}

type Node = { readonly directives?: readonly ConstDirectiveNode[] | undefined } | null | undefined;

function directives(nodes: readonly Node[], name: string): ConstDirectiveNode[] {
  return nodes.flatMap((n) => (n?.directives ?? []).filter((d) => d.name.value === name));
}

function argumentOf(d: ConstDirectiveNode, name: string): unknown {
  const a = d.arguments?.find((x) => x.name.value === name);
  return a ? valueFromASTUntyped(a.value) : undefined;
}

const dnfOf = (v: unknown): Dnf =>
  Array.isArray(v) ? v.map((alt) => (Array.isArray(alt) ? alt.map(String) : [String(alt)])) : [];
const dnfKey = (d: Dnf) => JSON.stringify(d);

/** What one SDL node declares (parsed once per node: the schema is shared by every operation of a run). */
interface Declared {
  readonly authenticated: boolean;
  readonly scopes: readonly Dnf[];
  readonly policies: readonly Dnf[];
}

const NOTHING: Declared = { authenticated: false, scopes: [], policies: [] };
const declaredCache = new WeakMap<object, Declared>();

function declared(node: Node): Declared {
  if (!node?.directives || node.directives.length === 0) return NOTHING;
  let d = declaredCache.get(node);
  if (!d) {
    const authenticated = directives([node], 'authenticated').length > 0;
    const scopes = directives([node], 'requiresScopes').map((x) => dnfOf(argumentOf(x, 'scopes')));
    const policies = directives([node], 'policy').map((x) => dnfOf(argumentOf(x, 'policies')));
    d = authenticated || scopes.length > 0 || policies.length > 0 ? { authenticated, scopes, policies } : NOTHING;
    declaredCache.set(node, d);
  }
  return d;
}

class RequirementSet {
  readonly #byCoordinate = new Map<
    string,
    { authenticated: boolean; scopes: Map<string, Dnf>; policies: Map<string, Dnf> }
  >();

  add(coordinate: string, nodes: readonly Node[]): void {
    const parts = nodes.map(declared).filter((d) => d !== NOTHING);
    if (parts.length === 0) return;
    const authenticated = parts.some((d) => d.authenticated);
    const scopes = parts.flatMap((d) => d.scopes);
    const policies = parts.flatMap((d) => d.policies);
    let entry = this.#byCoordinate.get(coordinate);
    if (!entry) {
      entry = { authenticated: false, scopes: new Map(), policies: new Map() };
      this.#byCoordinate.set(coordinate, entry);
    }
    entry.authenticated ||= authenticated;
    for (const s of scopes) entry.scopes.set(dnfKey(s), s);
    for (const p of policies) entry.policies.set(dnfKey(p), p);
  }

  result(): Requirements {
    const fields: FieldRequirement[] = [...this.#byCoordinate.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([coordinate, e]) => ({
        coordinate,
        authenticated: e.authenticated,
        scopes: [...e.scopes.values()],
        policies: [...e.policies.values()],
      }));
    const distinct = (pick: (f: FieldRequirement) => readonly Dnf[]) => [
      ...new Map(fields.flatMap(pick).map((d) => [dnfKey(d), d])).values(),
    ];
    return {
      authenticated: fields.some((f) => f.authenticated),
      scopes: distinct((f) => f.scopes),
      policies: distinct((f) => f.policies),
      fields,
    };
  }
}

/** The field of the same name on the interfaces of `parent`, and on every implementation of an abstract `parent`. */
function relatedFields(
  schema: GraphQLSchema,
  parent: GraphQLCompositeType,
  name: string,
): GraphQLField<unknown, unknown>[] {
  const types: (GraphQLObjectType | GraphQLInterfaceType)[] = isAbstractType(parent)
    ? [...schema.getPossibleTypes(parent)]
    : [];
  if (isObjectType(parent) || isInterfaceType(parent)) types.push(...parent.getInterfaces());
  return types.flatMap((t) => {
    const f = t.getFields()[name];
    return f ? [f] : [];
  });
}

/** The requirements of the selected fields. */
export function requirementsOf(
  schema: GraphQLSchema,
  fields: readonly SelectedField[],
  rootType?: string,
): Requirements {
  const set = new RequirementSet();
  const root = rootType ? schema.getType(rootType) : undefined;
  if (root) set.add(root.name, [root.astNode, ...root.extensionASTNodes]);
  for (const { parent, def, node } of fields) {
    const coordinate = `${parent.name}.${def.name}`;
    set.add(coordinate, [def.astNode]);
    for (const other of relatedFields(schema, parent, def.name)) set.add(coordinate, [other.astNode]);
    const type = getNamedType(def.type);
    set.add(type.name, [type.astNode, ...(type.extensionASTNodes ?? [])]);
    for (const arg of node.arguments ?? []) {
      const argDef = def.args.find((a) => a.name === arg.name.value);
      if (argDef) set.add(`${coordinate}(${argDef.name}:)`, [argDef.astNode]);
    }
  }
  return set.result();
}

/** The `@rateLimit`s (under `directiveName`) the selected fields hit, one entry per limit and coordinate. */
export function rateLimitsOf(
  schema: GraphQLSchema,
  fields: readonly SelectedField[],
  directiveName = 'rateLimit',
): RateLimitHit[] {
  const hits = new Map<string, RateLimitHit>();
  for (const { parent, def } of fields) {
    const coordinate = `${parent.name}.${def.name}`;
    let found = directives([def.astNode], directiveName);
    if (found.length === 0)
      found = relatedFields(schema, parent, def.name).flatMap((f) => directives([f.astNode], directiveName));
    if (found.length === 0) found = directives([parent.astNode, ...parent.extensionASTNodes], directiveName);
    for (const d of found) {
      const by = argumentOf(d, 'by');
      const name = argumentOf(d, 'name');
      const hit: RateLimitHit = {
        coordinate,
        limit: Number(argumentOf(d, 'limit')),
        duration: Number(argumentOf(d, 'duration')),
        ...(typeof by === 'string' ? { by } : {}),
        ...(typeof name === 'string' ? { name } : {}),
      };
      hits.set(JSON.stringify(hit), hit);
    }
  }
  return [...hits.values()].sort((a, b) => a.coordinate.localeCompare(b.coordinate));
}
