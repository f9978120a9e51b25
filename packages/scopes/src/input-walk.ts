/**
 * The input walk: the requirement of the input fields an argument value uses (literal, variable, or a
 * variable's declared default), down every guarded input object. Request variables are untrusted
 * JSON: own properties only are read, and values deeper than {@link MAX_INPUT_DEPTH} are refused.
 */
import { hasOwnKey, ownProperty } from '@rampart/core';
import {
  type GraphQLInputType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  type ValueNode,
  type VariableDefinitionNode,
} from 'graphql';
import type { Requirement, ScopesModel } from './requirements.js';

/** Deepest input value the argument check walks (deeper, hostile values are refused). */
export const MAX_INPUT_DEPTH = 128;

/** What one argument's value needs: its requirement merged with its input fields'. */
export interface InputRequirement {
  /** The merged requirement. */
  requirement: Requirement | undefined;
  /** The value is deeper than {@link MAX_INPUT_DEPTH}: refused whoever calls. */
  blocked: boolean;
}

/** The input walk of one operation's arguments with one request's variables. */
export class InputWalk {
  constructor(
    private readonly model: ScopesModel,
    private readonly variables: Readonly<Record<string, unknown>>,
    private readonly definitions: ReadonlyMap<string, VariableDefinitionNode>,
  ) {}

  /** An argument or input field counts as passed unless it is a variable that was not given and has no default. */
  isPresent(value: ValueNode): boolean {
    if (value.kind !== Kind.VARIABLE) return true;
    const name = value.name.value;
    return hasOwnKey(this.variables, name) || this.definitions.get(name)?.defaultValue !== undefined;
  }

  /** The requirement of an argument whose own requirement is `requirement`, given `value` of `type`. */
  requirementOf(value: ValueNode, type: GraphQLInputType, requirement: Requirement | undefined): InputRequirement {
    const result: InputRequirement = { requirement, blocked: false };
    this.#fromAst(value, type, result, 0);
    return result;
  }

  #fromAst(value: ValueNode, type: GraphQLInputType, result: InputRequirement, depth: number): void {
    if (depth > MAX_INPUT_DEPTH) {
      result.blocked = true;
      return;
    }
    if (value.kind === Kind.VARIABLE) {
      const name = value.name.value;
      if (hasOwnKey(this.variables, name)) {
        this.#fromJson(ownProperty(this.variables, name), type, result, depth + 1);
      } else {
        const declared = this.definitions.get(name)?.defaultValue;
        if (declared) this.#fromAst(declared, type, result, depth + 1);
      }
      return;
    }
    if (value.kind === Kind.NULL) return;
    const nullable = isNonNullType(type) ? type.ofType : type;
    if (isListType(nullable)) {
      const item = nullable.ofType as GraphQLInputType;
      if (value.kind === Kind.LIST) for (const element of value.values) this.#fromAst(element, item, result, depth + 1);
      else this.#fromAst(value, item, result, depth + 1);
      return;
    }
    if (!isInputObjectType(nullable) || value.kind !== Kind.OBJECT) return;
    const fields = nullable.getFields();
    for (const field of value.fields) {
      const info = this.model.inputField(nullable.name, field.name.value);
      if (!info || !this.isPresent(field.value)) continue;
      result.requirement = this.model.table.merge(result.requirement, info.requirement);
      const definition = fields[field.name.value];
      if (info.inputGuarded && definition) this.#fromAst(field.value, definition.type, result, depth + 1);
    }
  }

  #fromJson(value: unknown, type: GraphQLInputType, result: InputRequirement, depth: number): void {
    if (depth > MAX_INPUT_DEPTH) {
      result.blocked = true;
      return;
    }
    if (value === null || value === undefined) return;
    const nullable = isNonNullType(type) ? type.ofType : type;
    if (isListType(nullable)) {
      const item = nullable.ofType as GraphQLInputType;
      if (Array.isArray(value)) for (const element of value) this.#fromJson(element, item, result, depth + 1);
      else this.#fromJson(value, item, result, depth + 1);
      return;
    }
    if (!isInputObjectType(nullable) || typeof value !== 'object' || Array.isArray(value)) return;
    const fields = nullable.getFields();
    for (const key of Object.keys(value)) {
      const info = this.model.inputField(nullable.name, key);
      if (!info) continue;
      result.requirement = this.model.table.merge(result.requirement, info.requirement);
      const definition = fields[key];
      if (info.inputGuarded && definition) this.#fromJson(ownProperty(value, key), definition.type, result, depth + 1);
    }
  }
}
