/**
 * The operation walk: every field and argument the operation would use with these variables
 * (fragments, aliases and `@skip`/`@include` honoured), checked against the schema's requirements,
 * and what must be removed. Arguments' input values are walked by input-walk.ts; introspection
 * subtrees are marked by introspection-marks.ts.
 */
import { isIncluded, variableDefinitionsOf } from '@rampart/core';
import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLType,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';
import { combine, type Evaluator, GRANTED, type Verdict } from './evaluate.js';
import { InputWalk } from './input-walk.js';
import { IntrospectionMarks } from './introspection-marks.js';
import type { ScopedFieldInfo, ScopesModel } from './requirements.js';

/** Why a field (for some or all of its parent's possible types) is removed. */
export interface Removal {
  /** Removed whatever the runtime type of the parent object. */
  readonly all: boolean;
  /** Runtime type names for which it is removed (when not `all`). */
  readonly types: ReadonlySet<string>;
  /** Runtime type names for which it stays (parent is abstract and only some types are refused). */
  readonly allowedTypes: readonly string[];
  /** The verdict per refused runtime type name (the parent type name when the parent is concrete). */
  readonly verdicts: ReadonlyMap<string, Denial>;
}

/** One refused (field, runtime type) pair, for the security state and the errors. */
export interface Denial {
  /** `Type.field` or `Type.field(arg:)`: what the caller may not use. */
  readonly coordinate: string;
  /** Response path template (`users.@.email`, `@` for list items), from the first place it was met. */
  readonly path: string;
  /** The field node in the document. */
  readonly node: FieldNode;
  /** Why. */
  readonly verdict: Verdict;
}

/** The result of checking one operation. */
export interface Analysis {
  /** Field nodes refused (for some or all runtime types). */
  readonly removed: Map<FieldNode, Removal>;
  /** Field and inline-fragment nodes whose subtree holds a removal. */
  readonly dirty: Set<SelectionNode>;
  /** Fragments whose selection holds a removal. */
  readonly dirtyFragments: Set<string>;
  /** Every refusal, in document order. */
  readonly denials: Denial[];
  /** At least one leaf the client asked for (or `__typename`) stays. */
  readonly keptLeaf: boolean;
  /** Response keys starting with `__rampart` that the client used (the rewrite avoids them). */
  readonly reservedKeys: Set<string>;
  /** Named return type of every dirty field node with a selection set. */
  readonly returnTypes: Map<FieldNode, GraphQLCompositeType>;
  /** The operation reads `__schema` or `__type` and introspection filtering is on. */
  readonly introspection: boolean;
}

/** A linked response-path template. */
interface PathLink {
  readonly prev: PathLink | undefined;
  readonly key: string;
}

function pathString(path: PathLink | undefined): string {
  const keys: string[] = [];
  for (let link = path; link; link = link.prev) keys.push(link.key);
  return keys.reverse().join('.');
}

/** The path template below a field of `type`: its key, then `@` per list level. */
function childPath(path: PathLink | undefined, key: string, type: GraphQLType): PathLink {
  let link: PathLink = { prev: path, key };
  let nullable = isNonNullType(type) ? type.ofType : type;
  while (isListType(nullable)) {
    link = { prev: link, key: '@' };
    nullable = isNonNullType(nullable.ofType) ? nullable.ofType.ofType : nullable.ofType;
  }
  return link;
}

/** What a selection set (or fragment) contributes: a leaf that stays, a removal below. */
interface SetResult {
  kept: boolean;
  dirty: boolean;
}

const NOTHING: SetResult = { kept: false, dirty: false };
const BLOCKED: Verdict = Object.freeze({ ...GRANTED, ok: false });

/**
 * Checks every field, argument and input field the operation would use with these variables
 * (honouring fragments, aliases, `@skip`/`@include`), and returns what must be removed.
 * Linear in the document: each fragment is checked once (decisions do not depend on where it is spread).
 */
export function analyzeScopes(
  model: ScopesModel,
  evaluator: Evaluator,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Readonly<Record<string, unknown>> | undefined,
  filterIntrospection = false,
): Analysis {
  const check = new OperationCheck(model, evaluator, operation, fragments, variables ?? {}, filterIntrospection);
  return check.run(operation);
}

/** One walk of one operation for one caller and one request's variables. */
export class OperationCheck {
  readonly analysis: Analysis = {
    removed: new Map(),
    dirty: new Set(),
    dirtyFragments: new Set(),
    denials: [],
    keptLeaf: false,
    reservedKeys: new Set(),
    returnTypes: new Map(),
    introspection: false,
  };
  readonly #definitions: ReadonlyMap<string, VariableDefinitionNode>;
  readonly #inputs: InputWalk;
  /** The result of each fragment checked (a fragment is checked once). */
  readonly #fragmentResults = new Map<string, SetResult>();

  constructor(
    private readonly model: ScopesModel,
    private readonly evaluator: Evaluator,
    operation: OperationDefinitionNode,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly variables: Readonly<Record<string, unknown>>,
    private readonly filterIntrospection: boolean,
  ) {
    this.#definitions = variableDefinitionsOf(operation);
    this.#inputs = new InputWalk(model, variables, this.#definitions);
  }

  /** Walks the operation's root selection set; the analysis. */
  run(operation: OperationDefinitionNode): Analysis {
    const root = this.model.schema.getRootType(operation.operation);
    if (!root) return this.analysis;
    const result = this.#visitSet(operation.selectionSet, root, undefined);
    (this.analysis as { keptLeaf: boolean }).keptLeaf = result.kept;
    return this.analysis;
  }

  #visitSet(set: SelectionSetNode, parent: GraphQLCompositeType, path: PathLink | undefined): SetResult {
    let kept = false;
    let dirty = false;
    for (const selection of set.selections) {
      if (!isIncluded(selection.directives, this.variables, this.#definitions)) continue;
      let result: SetResult;
      if (selection.kind === Kind.FIELD) {
        result = this.#visitField(selection, parent, path);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition;
        const type = condition ? this.model.schema.getType(condition.name.value) : parent;
        result = type && isCompositeType(type) ? this.#visitSet(selection.selectionSet, type, path) : NOTHING;
        if (result.dirty) this.analysis.dirty.add(selection);
      } else {
        result = this.#visitFragment(selection.name.value, path);
      }
      kept ||= result.kept;
      dirty ||= result.dirty;
    }
    return { kept, dirty };
  }

  #visitFragment(name: string, path: PathLink | undefined): SetResult {
    const done = this.#fragmentResults.get(name);
    if (done) return done;
    const fragment = this.fragments.get(name);
    if (!fragment) return NOTHING;
    this.#fragmentResults.set(name, NOTHING); // cycle guard (validation forbids cycles)
    const type = this.model.schema.getType(fragment.typeCondition.name.value);
    const result = type && isCompositeType(type) ? this.#visitSet(fragment.selectionSet, type, path) : NOTHING;
    this.#fragmentResults.set(name, result);
    if (result.dirty) this.analysis.dirtyFragments.add(name);
    return result;
  }

  #visitField(node: FieldNode, parent: GraphQLCompositeType, path: PathLink | undefined): SetResult {
    const name = node.name.value;
    const responseKey = node.alias?.value ?? name;
    if (responseKey.startsWith('__rampart')) this.analysis.reservedKeys.add(responseKey);
    if (name.startsWith('__')) return this.#visitMetaField(node);
    if (!isObjectType(parent) && !isInterfaceType(parent)) return NOTHING; // unions have no fields but __typename
    const definition = parent.getFields()[name];
    if (!definition) return NOTHING;
    const removal = isObjectType(parent)
      ? this.#objectFieldRemoval(node, parent, definition, path)
      : this.#abstractFieldRemoval(node, parent, path);
    if (removal) {
      this.analysis.removed.set(node, removal);
      this.analysis.dirty.add(node);
      for (const denial of removal.verdicts.values()) this.analysis.denials.push(denial);
      if (removal.all) return { kept: false, dirty: true };
    }
    if (!node.selectionSet) return { kept: true, dirty: removal !== undefined };
    const child = getNamedType(definition.type);
    if (!isCompositeType(child)) return { kept: true, dirty: removal !== undefined };
    const result = this.#visitSet(node.selectionSet, child, childPath(path, responseKey, definition.type));
    if (result.dirty) {
      this.analysis.dirty.add(node);
      this.analysis.returnTypes.set(node, child);
    }
    return { kept: result.kept, dirty: result.dirty || removal !== undefined };
  }

  /** `__typename`, or introspection: marked for filtering when on, else left as is. */
  #visitMetaField(node: FieldNode): SetResult {
    const name = node.name.value;
    if (this.filterIntrospection && (name === '__schema' || name === '__type') && node.selectionSet) {
      const type = this.model.schema.getType(name === '__schema' ? '__Schema' : '__Type');
      if (type && isObjectType(type)) {
        new IntrospectionMarks(this.model.schema, this.fragments, this.analysis).mark(node, type);
        (this.analysis as { introspection: boolean }).introspection = true;
        return { kept: true, dirty: true };
      }
    }
    return { kept: true, dirty: false };
  }

  #objectFieldRemoval(
    node: FieldNode,
    parent: GraphQLObjectType,
    definition: GraphQLField<unknown, unknown>,
    path: PathLink | undefined,
  ): Removal | undefined {
    const info = this.model.field(parent.name, node.name.value);
    const denial = info ? this.#checkField(node, parent, definition, info, path) : undefined;
    if (!denial) return undefined;
    return { all: true, types: new Set([parent.name]), allowedTypes: [], verdicts: new Map([[parent.name, denial]]) };
  }

  /** The denial of `parent.field` for this node (field requirement, then argument requirements), if refused. */
  #checkField(
    node: FieldNode,
    parent: GraphQLObjectType | GraphQLInterfaceType,
    definition: GraphQLField<unknown, unknown>,
    info: ScopedFieldInfo,
    path: PathLink | undefined,
  ): Denial | undefined {
    const key = node.alias?.value ?? node.name.value;
    let verdict = this.evaluator.check(info.requirement);
    let coordinate = verdict.ok ? undefined : `${parent.name}.${definition.name}`;
    if (info.args && node.arguments && node.arguments.length > 0) {
      for (const argument of node.arguments) {
        const argumentInfo = info.args.get(argument.name.value);
        if (!argumentInfo || !this.#inputs.isPresent(argument.value)) continue;
        let argumentVerdict: Verdict;
        if (argumentInfo.inputGuarded) {
          const argumentDefinition = definition.args.find((candidate) => candidate.name === argument.name.value);
          const input = argumentDefinition
            ? this.#inputs.requirementOf(argument.value, argumentDefinition.type, argumentInfo.requirement)
            : { requirement: argumentInfo.requirement, blocked: false };
          argumentVerdict = input.blocked ? BLOCKED : this.evaluator.check(input.requirement);
        } else {
          argumentVerdict = this.evaluator.check(argumentInfo.requirement);
        }
        if (!argumentVerdict.ok) {
          coordinate ??= `${parent.name}.${definition.name}(${argument.name.value}:)`;
          verdict = combine(verdict, argumentVerdict);
        }
      }
    }
    if (verdict.ok) return undefined;
    return { coordinate: coordinate as string, path: pathString({ prev: path, key }), node, verdict };
  }

  /** An interface field: refused per possible runtime type. */
  #abstractFieldRemoval(
    node: FieldNode,
    parent: GraphQLInterfaceType,
    path: PathLink | undefined,
  ): Removal | undefined {
    const name = node.name.value;
    const abstractInfo = this.model.abstractField(parent.name, name);
    if (!abstractInfo) return undefined;
    const verdicts = new Map<string, Denial>();
    if (abstractInfo.possibleTypes.length === 0) {
      const definition = parent.getFields()[name];
      const own = abstractInfo.own;
      const denial = own && definition ? this.#checkField(node, parent, definition, own, path) : undefined;
      if (!denial) return undefined;
      verdicts.set(parent.name, denial);
      return { all: true, types: new Set([parent.name]), allowedTypes: [], verdicts };
    }
    const allowed: string[] = [];
    for (const typeName of abstractInfo.possibleTypes) {
      const info = abstractInfo.perType.get(typeName);
      const type = this.model.schema.getType(typeName) as GraphQLObjectType;
      const definition = type.getFields()[name];
      const denial = info && definition ? this.#checkField(node, type, definition, info, path) : undefined;
      if (denial) verdicts.set(typeName, denial);
      else allowed.push(typeName);
    }
    if (verdicts.size === 0) return undefined;
    return { all: allowed.length === 0, types: new Set(verdicts.keys()), allowedTypes: allowed, verdicts };
  }
}
