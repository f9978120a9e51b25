/**
 * The GraphQL semantics every package needs, implemented once: which operation of a document runs
 * and its fragments, whether `@skip`/`@include` keep a selection, thenables, and the RFC 6750
 * `Bearer` challenge.
 */
import {
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';
import { hasOwnKey, ownProperty } from './untrusted.js';

/** The operation of a document that runs, and the document's fragments. */
export interface SelectedOperation {
  /** The operation graphql-js executes for `operationName` (absent when none can be chosen). */
  readonly operation?: OperationDefinitionNode;
  /** The fragments by name (the first definition of each name, as graphql-js keeps). */
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /** Why no operation was chosen (absent when one was). */
  readonly problem?: string;
}

/**
 * Chooses the operation graphql-js would execute: the one named `operationName`, or the only one
 * when no name is given; collects the fragments on the way.
 */
export function selectOperation(document: DocumentNode, operationName?: string | null): SelectedOperation {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  let operationCount = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      if (!fragments.has(definition.name.value)) fragments.set(definition.name.value, definition);
    } else if (definition.kind === Kind.OPERATION_DEFINITION) {
      operationCount++;
      const chosen = operationName ? definition.name?.value === operationName : operation === undefined;
      if (chosen) operation = definition;
    }
  }
  if (operationName && !operation) return { fragments, problem: `Unknown operation named "${operationName}".` };
  if (!operationName && operationCount > 1) {
    return { fragments, problem: 'Must provide an operation name when the document has several operations.' };
  }
  if (!operation) return { fragments, problem: 'The document has no operation.' };
  return { operation, fragments };
}

/** The variable definitions of an operation by name (for {@link isIncluded}'s declared defaults). */
export function variableDefinitionsOf(
  operation: OperationDefinitionNode | undefined,
): ReadonlyMap<string, VariableDefinitionNode> {
  const definitions = new Map<string, VariableDefinitionNode>();
  for (const definition of operation?.variableDefinitions ?? []) {
    definitions.set(definition.variable.name.value, definition);
  }
  return definitions;
}

/**
 * Whether `@skip`/`@include` keep a selection with these variables. A condition is a literal
 * boolean, or a variable: its own boolean value when sent, else its declared boolean default. A
 * condition that is neither (execution will refuse it while coercing) keeps the selection, so an
 * analysis stays an upper bound. `onVariable` is called whenever a condition reads a variable.
 *
 * @param directives - the directives of a field, fragment spread or inline fragment.
 * @param variables - the request's variables, untrusted JSON (own properties only are read).
 * @param definitions - the operation's variable definitions (for defaults); see {@link variableDefinitionsOf}.
 */
export function isIncluded(
  directives: readonly DirectiveNode[] | undefined,
  variables: Readonly<Record<string, unknown>> | undefined,
  definitions?: ReadonlyMap<string, VariableDefinitionNode>,
  onVariable?: () => void,
): boolean {
  if (directives === undefined || directives.length === 0) return true;
  for (const directive of directives) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const condition = directive.arguments?.find((argument) => argument.name.value === 'if')?.value;
    if (condition === undefined) continue;
    let value: boolean | undefined;
    if (condition.kind === Kind.BOOLEAN) value = condition.value;
    else if (condition.kind === Kind.VARIABLE) {
      onVariable?.();
      value = variableBoolean(condition.name.value, variables, definitions);
    }
    if (value === undefined) continue;
    if (name === 'skip' && value) return false;
    if (name === 'include' && !value) return false;
  }
  return true;
}

function variableBoolean(
  name: string,
  variables: Readonly<Record<string, unknown>> | undefined,
  definitions: ReadonlyMap<string, VariableDefinitionNode> | undefined,
): boolean | undefined {
  if (variables !== undefined && hasOwnKey(variables, name)) {
    const sent = ownProperty(variables, name);
    return typeof sent === 'boolean' ? sent : undefined;
  }
  const declared = definitions?.get(name)?.defaultValue;
  return declared?.kind === Kind.BOOLEAN ? declared.value : undefined;
}

/** True for a promise or any object with a `then` method. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** The `realm` of every Rampart `WWW-Authenticate` challenge unless configured otherwise. */
export const DEFAULT_REALM = 'graphql';

/** What a `Bearer` challenge says besides its realm (RFC 6750 §3). */
export interface BearerChallengeParts {
  /** `invalid_request`, `invalid_token` or `insufficient_scope`. */
  readonly error?: string;
  /** Human-readable detail; sent only when given. */
  readonly description?: string;
  /** Space-separated scopes the resource needs (with `insufficient_scope`). */
  readonly scope?: string;
}

/**
 * An RFC 6750 `WWW-Authenticate: Bearer` value. Quotes and backslashes are removed from every
 * parameter so a value cannot break out of its quoted string.
 */
export function bearerChallenge(realm: string = DEFAULT_REALM, parts: BearerChallengeParts = {}): string {
  return authChallenge('Bearer', {
    realm,
    error: parts.error,
    error_description: parts.error ? parts.description : undefined,
    scope: parts.scope,
  });
}

/**
 * One `WWW-Authenticate` challenge (RFC 9110 §11.6.1): `scheme` and its parameters as quoted strings,
 * in the order given, empty ones left out. Quotes, backslashes and line breaks are removed from every
 * value so a value cannot break out of its quoted string (or the header).
 */
export function authChallenge(scheme: string, params: Readonly<Record<string, string | undefined>>): string {
  let value = scheme;
  let first = true;
  for (const [name, raw] of Object.entries(params)) {
    if (!raw) continue;
    value += `${first ? ' ' : ', '}${name}="${quotable(raw)}"`;
    first = false;
  }
  return value;
}

function quotable(text: string): string {
  return text.replace(/["\\\r\n]/g, '');
}
