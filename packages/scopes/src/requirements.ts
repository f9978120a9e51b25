import { getDirective } from '@graphql-tools/utils';
import { RampartConfigError } from '@rampart/core';
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInterfaceType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { directiveNames } from './directives.js';

/** A disjunction of conjunctions: outer list OR, inner list AND (Apollo's `[[Scope!]!]!`). */
export type Dnf = readonly (readonly string[])[];

/**
 * What a field, type, argument or input field requires. All parts must hold: authentication when
 * `authenticated`, every DNF of `scopes`, every DNF of `policies`. Interned: equal requirements are
 * the same object, so per-request results are memoised by identity.
 */
export interface Requirement {
  /** Canonical key (equal requirements have equal keys). */
  readonly key: string;
  /** The caller must be authenticated. */
  readonly authenticated: boolean;
  /** Each DNF must be satisfied by the caller's scopes. */
  readonly scopes: readonly Dnf[];
  /** Each DNF must be satisfied by the policy results. */
  readonly policies: readonly Dnf[];
}

function canonicalDnf(dnf: Dnf): { key: string; dnf: Dnf } {
  const alternatives = new Map<string, string[]>();
  for (const alt of dnf) {
    const sorted = [...new Set(alt)].sort();
    alternatives.set(JSON.stringify(sorted), sorted);
  }
  const keys = [...alternatives.keys()].sort();
  return { key: `[${keys.join(',')}]`, dnf: keys.map((k) => alternatives.get(k) as string[]) };
}

/** Interns requirements so equal ones are one object; merges them (most restrictive wins: all must hold). */
export class RequirementTable {
  readonly #byKey = new Map<string, Requirement>();
  readonly #merges = new Map<string, Requirement>();

  /** The requirement with these parts (`undefined` when it requires nothing). */
  make(authenticated: boolean, scopes: readonly Dnf[], policies: readonly Dnf[]): Requirement | undefined {
    const s = new Map<string, Dnf>();
    for (const d of scopes) {
      const c = canonicalDnf(d);
      s.set(c.key, c.dnf);
    }
    const p = new Map<string, Dnf>();
    for (const d of policies) {
      const c = canonicalDnf(d);
      p.set(c.key, c.dnf);
    }
    // A DNF with an empty alternative ([[]]) is always satisfied: drop it.
    for (const m of [s, p]) for (const [k, d] of m) if (d.some((alt) => alt.length === 0)) m.delete(k);
    if (!authenticated && s.size === 0 && p.size === 0) return undefined;
    const sk = [...s.keys()].sort();
    const pk = [...p.keys()].sort();
    const key = `${authenticated ? 'A' : '-'}|${sk.join('&')}|${pk.join('&')}`;
    let r = this.#byKey.get(key);
    if (!r) {
      r = Object.freeze({
        key,
        authenticated,
        scopes: Object.freeze(sk.map((k) => s.get(k) as Dnf)),
        policies: Object.freeze(pk.map((k) => p.get(k) as Dnf)),
      });
      this.#byKey.set(key, r);
    }
    return r;
  }

  /** Both requirements at once (`undefined` parts are ignored). */
  merge(a: Requirement | undefined, b: Requirement | undefined): Requirement | undefined {
    if (!a || a === b) return b ?? a;
    if (!b) return a;
    const mk = a.key < b.key ? `${a.key}#${b.key}` : `${b.key}#${a.key}`;
    let r = this.#merges.get(mk);
    if (!r) {
      r = this.make(a.authenticated || b.authenticated, [...a.scopes, ...b.scopes], [...a.policies, ...b.policies]);
      if (this.#merges.size < 10_000) this.#merges.set(mk, r as Requirement);
    }
    return r;
  }

  /** Merges many. */
  mergeAll(list: Iterable<Requirement | undefined>): Requirement | undefined {
    let r: Requirement | undefined;
    for (const x of list) r = this.merge(r, x);
    return r;
  }
}

/** What the model knows about one argument (or input field) that declares something. */
export interface ArgumentInfo {
  /** The argument's own requirement (merged with the same argument on the interfaces). */
  readonly requirement: Requirement | undefined;
  /** Its named type is an input object that contains guarded input fields (at any depth). */
  readonly inputGuarded: boolean;
}

/** What the model knows about one field of one object or interface type. */
export interface ScopedFieldInfo {
  /** Effective requirement of selecting the field on this parent type. */
  readonly requirement: Requirement | undefined;
  /** Arguments that declare something (directly or in their input type). */
  readonly args: ReadonlyMap<string, ArgumentInfo> | undefined;
}

/** Per interface field: the effective field information of every possible concrete type. */
export interface AbstractFieldInfo {
  /** Possible concrete types and their info for this field (only types where something is declared). */
  readonly perType: ReadonlyMap<string, ScopedFieldInfo>;
  /** Every possible type name, in schema order. */
  readonly possibleTypes: readonly string[];
  /** Info used when the interface has no implementation. */
  readonly own: ScopedFieldInfo | undefined;
}

/**
 * The requirement map of a schema, computed once: for every field coordinate, argument and input
 * field that declares something (directly, through its type, or through an interface).
 */
export class ScopesModel {
  /** The schema the model was built from. */
  readonly schema: GraphQLSchema;
  /** Interning table. */
  readonly table = new RequirementTable();
  /** Every policy name the schema uses. */
  readonly policyNames = new Set<string>();
  /** `Type` → `field` → info, only for object/interface fields where something is declared. */
  readonly #fields = new Map<string, Map<string, ScopedFieldInfo>>();
  /** `Interface` → `field` → per-implementation info, only where something is declared. */
  readonly #abstractFields = new Map<string, Map<string, AbstractFieldInfo>>();
  /** `Input` → `field` → info, only where something is declared. */
  readonly #inputFields = new Map<string, Map<string, ArgumentInfo>>();
  readonly #typeReq = new Map<string, Requirement | undefined>();
  readonly #inputGuarded = new Map<string, boolean>();

  constructor(schema: GraphQLSchema) {
    this.schema = schema;
    const types = Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith('__'));
    for (const t of types) if (isInputObjectType(t)) this.#computeInputGuarded(t.name, new Set());
    for (const t of types) {
      if (!isInputObjectType(t)) continue;
      for (const f of Object.values(t.getFields())) {
        const info = this.#inputInfo(t.name, f);
        if (info) this.#set(this.#inputFields, t.name, f.name, info);
      }
    }
    for (const t of types) {
      if (!isObjectType(t) && !isInterfaceType(t)) continue;
      for (const f of Object.values(t.getFields())) {
        const info = this.#fieldInfo(t, f);
        if (info) this.#set(this.#fields, t.name, f.name, info);
      }
    }
    for (const t of types) {
      if (!isInterfaceType(t)) continue;
      const possible = schema.getPossibleTypes(t);
      for (const f of Object.values(t.getFields())) {
        const perType = new Map<string, ScopedFieldInfo>();
        for (const o of possible) {
          const info = this.#fields.get(o.name)?.get(f.name);
          if (info) perType.set(o.name, info);
        }
        const own = this.#fields.get(t.name)?.get(f.name);
        if (perType.size > 0 || (possible.length === 0 && own)) {
          this.#set(this.#abstractFields, t.name, f.name, {
            perType,
            possibleTypes: possible.map((o) => o.name),
            own,
          });
        }
      }
    }
  }

  /** Info of `type.field` for an object (or interface) parent; `undefined` when nothing is declared. */
  field(typeName: string, fieldName: string): ScopedFieldInfo | undefined {
    return this.#fields.get(typeName)?.get(fieldName);
  }

  /** Per-implementation info of an interface field; `undefined` when no implementation declares anything. */
  abstractField(interfaceName: string, fieldName: string): AbstractFieldInfo | undefined {
    return this.#abstractFields.get(interfaceName)?.get(fieldName);
  }

  /** Info of an input field; `undefined` when nothing is declared. */
  inputField(inputName: string, fieldName: string): ArgumentInfo | undefined {
    return this.#inputFields.get(inputName)?.get(fieldName);
  }

  /** True when the input type holds guarded input fields at any depth. */
  inputGuarded(inputName: string): boolean {
    return this.#inputGuarded.get(inputName) ?? false;
  }

  /** True when nothing in the schema declares a requirement. */
  get empty(): boolean {
    return this.#fields.size === 0 && this.#inputFields.size === 0;
  }

  #set<V>(m: Map<string, Map<string, V>>, a: string, b: string, v: V): void {
    let inner = m.get(a);
    if (!inner) {
      inner = new Map();
      m.set(a, inner);
    }
    inner.set(b, v);
  }

  /** The requirement declared directly on a schema element. */
  own(
    node: GraphQLNamedType | GraphQLField<unknown, unknown> | GraphQLArgument | GraphQLInputField,
    coordinate: string,
  ) {
    const auth = getDirective(this.schema, node, directiveNames.authenticated);
    const scopes = getDirective(this.schema, node, directiveNames.requiresScopes);
    const policies = getDirective(this.schema, node, directiveNames.policy);
    const s: Dnf[] = [];
    const p: Dnf[] = [];
    for (const d of scopes ?? []) s.push(dnfOf(d.scopes, `@requiresScopes(scopes:) on ${coordinate}`));
    for (const d of policies ?? []) {
      const dnf = dnfOf(d.policies, `@policy(policies:) on ${coordinate}`);
      for (const alt of dnf) for (const name of alt) this.policyNames.add(name);
      p.push(dnf);
    }
    return this.table.make((auth?.length ?? 0) > 0, s, p);
  }

  /** Requirement of a named type (applies to every field returning it). */
  typeRequirement(t: GraphQLNamedType): Requirement | undefined {
    if (this.#typeReq.has(t.name)) return this.#typeReq.get(t.name);
    let r: Requirement | undefined;
    if (isObjectType(t) || isInterfaceType(t)) {
      r = this.own(t, t.name);
      for (const i of t.getInterfaces()) r = this.table.merge(r, this.own(i, i.name));
    } else if (isScalarType(t) || isEnumType(t)) {
      r = this.own(t, t.name);
    }
    this.#typeReq.set(t.name, r);
    return r;
  }

  #fieldInfo(
    parent: GraphQLObjectType | GraphQLInterfaceType,
    f: GraphQLField<unknown, unknown>,
  ): ScopedFieldInfo | undefined {
    const coordinate = `${parent.name}.${f.name}`;
    let r = this.table.merge(this.own(f, coordinate), this.typeRequirement(parent));
    r = this.table.merge(r, this.typeRequirement(getNamedType(f.type)));
    const interfaces = parent.getInterfaces();
    for (const i of interfaces) {
      const iField = i.getFields()[f.name];
      if (iField) r = this.table.merge(r, this.own(iField, `${i.name}.${f.name}`));
    }
    let args: Map<string, ArgumentInfo> | undefined;
    for (const a of f.args) {
      let ar = this.own(a, `${coordinate}(${a.name}:)`);
      for (const i of interfaces) {
        const ia = i.getFields()[f.name]?.args.find((x) => x.name === a.name);
        if (ia) ar = this.table.merge(ar, this.own(ia, `${i.name}.${f.name}(${a.name}:)`));
      }
      const named = getNamedType(a.type);
      const inputGuarded = isInputObjectType(named) && this.inputGuarded(named.name);
      if (ar || inputGuarded) {
        args ??= new Map();
        args.set(a.name, { requirement: ar, inputGuarded });
      }
    }
    if (!r && !args) return undefined;
    return { requirement: r, args };
  }

  #inputInfo(parentName: string, f: GraphQLInputField): ArgumentInfo | undefined {
    const r = this.own(f, `${parentName}.${f.name}`);
    const named = getNamedType(f.type);
    const inputGuarded = isInputObjectType(named) && this.inputGuarded(named.name);
    return r || inputGuarded ? { requirement: r, inputGuarded } : undefined;
  }

  #computeInputGuarded(name: string, visiting: Set<string>): boolean {
    const known = this.#inputGuarded.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return false;
    visiting.add(name);
    const t = this.schema.getType(name);
    let guarded = false;
    if (isInputObjectType(t)) {
      for (const f of Object.values(t.getFields())) {
        const a = getDirective(this.schema, f, directiveNames.authenticated);
        const s = getDirective(this.schema, f, directiveNames.requiresScopes);
        const p = getDirective(this.schema, f, directiveNames.policy);
        if (a?.length || s?.length || p?.length) guarded = true;
        const named = getNamedType(f.type);
        if (isInputObjectType(named) && this.#computeInputGuarded(named.name, visiting)) guarded = true;
      }
    }
    visiting.delete(name);
    // Only memoise outside a cycle in progress, or when true (a true answer is final).
    if (guarded || visiting.size === 0) this.#inputGuarded.set(name, guarded);
    return guarded;
  }
}

function dnfOf(value: unknown, where: string): Dnf {
  if (!Array.isArray(value) || !value.every((alt) => Array.isArray(alt) && alt.every((x) => typeof x === 'string'))) {
    throw new RampartConfigError(where, 'must be a list of lists of strings, e.g. [["orders:read"]]');
  }
  // An empty outer list ([]) has no alternative: nobody is granted. Keep it as an unsatisfiable DNF.
  return value as string[][];
}

const models = new WeakMap<GraphQLSchema, ScopesModel>();

/** The model of a schema, built on first use and cached per schema object. */
export function modelOf(schema: GraphQLSchema): ScopesModel {
  let m = models.get(schema);
  if (!m) {
    m = new ScopesModel(schema);
    models.set(schema, m);
  }
  return m;
}
