/** The schema's elements the report lists: fields, arguments and input fields, with their protection. */
import {
  type GraphQLField,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  getNamedType,
  isInputObjectType,
} from 'graphql';
import type { CoordinateKind, Protection } from './model.js';
import { argumentProtection, compositeTypes, fieldProtection, inputFieldProtection } from './protection.js';
import type { ReportSettings } from './settings.js';

/** One schema element and what protects it. */
export interface Element {
  readonly coordinate: string;
  readonly kind: CoordinateKind;
  /** The type defining the element (the field's type for an argument). */
  readonly parent: string;
  /** The element's own name (field, argument or input field). */
  readonly name: string;
  readonly type: string;
  readonly description?: string;
  readonly protection: Protection;
  /** Fields and arguments: the field (for an argument, the field taking it). */
  readonly field?: GraphQLField<unknown, unknown>;
}

/** Every element of the schema, and which fields return each type. */
export interface SchemaElements {
  readonly elements: readonly Element[];
  /** Type name → the coordinates of the fields returning it. */
  readonly returnedBy: ReadonlyMap<string, readonly string[]>;
}

function describe(d: string | null | undefined): { description?: string } {
  return d ? { description: d } : {};
}

function fieldElements(settings: ReportSettings, type: GraphQLObjectType | GraphQLInterfaceType): Element[] {
  const out: Element[] = [];
  for (const field of Object.values(type.getFields())) {
    const coordinate = `${type.name}.${field.name}`;
    out.push({
      coordinate,
      kind: 'field',
      parent: type.name,
      name: field.name,
      type: String(field.type),
      ...describe(field.description),
      protection: fieldProtection(settings, type, field),
      field,
    });
    for (const arg of field.args) {
      out.push({
        coordinate: `${coordinate}(${arg.name}:)`,
        kind: 'argument',
        parent: type.name,
        name: arg.name,
        type: String(arg.type),
        ...describe(arg.description),
        protection: argumentProtection(settings, type, field, arg),
        field,
      });
    }
  }
  return out;
}

/** Walks the schema once. */
export function schemaElements(settings: ReportSettings): SchemaElements {
  const types = Object.values(settings.schema.getTypeMap()).filter((t) => !t.name.startsWith('__'));
  const elements: Element[] = [];
  const returnedBy = new Map<string, string[]>();
  for (const type of compositeTypes(types)) {
    elements.push(...fieldElements(settings, type));
    for (const field of Object.values(type.getFields())) {
      const target = getNamedType(field.type).name;
      returnedBy.set(target, [...(returnedBy.get(target) ?? []), `${type.name}.${field.name}`]);
    }
  }
  for (const type of types) {
    if (!isInputObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      elements.push({
        coordinate: `${type.name}.${field.name}`,
        kind: 'input field',
        parent: type.name,
        name: field.name,
        type: String(field.type),
        ...describe(field.description),
        protection: inputFieldProtection(field),
      });
    }
  }
  elements.sort((a, b) => (a.coordinate < b.coordinate ? -1 : a.coordinate > b.coordinate ? 1 : 0));
  return { elements, returnedBy };
}
