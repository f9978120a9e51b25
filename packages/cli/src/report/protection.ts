/**
 * What protects each schema element, with Apollo Router's meaning of the requirement directives: on a
 * type, `@authenticated`/`@requiresScopes`/`@policy` apply to the fields returning it (and here to the
 * type's own fields too, since they are reached through those); an interface field's directives apply
 * to the implementations; an argument is guarded by its field's requirements too.
 */
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInterfaceType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  getNamedType,
  isInterfaceType,
  isObjectType,
} from 'graphql';
import { type Directed, directive, directiveUses, dnfOf } from './directives.js';
import type { Dnf, Protection } from './model.js';
import type { ReportSettings } from './settings.js';

type Composite = GraphQLObjectType | GraphQLInterfaceType;

/** Requirements gathered from several elements. */
interface Gathered {
  authenticated: boolean;
  scopes: Map<string, Dnf>;
  policies: Map<string, Dnf>;
}

function gather(elements: readonly (Directed | undefined)[], into: Gathered): Gathered {
  for (const e of elements) {
    if (directive(e, 'authenticated')) into.authenticated = true;
    for (const use of directiveUses(e, 'requiresScopes')) {
      const dnf = dnfOf(use.scopes);
      into.scopes.set(JSON.stringify(dnf), dnf);
    }
    for (const use of directiveUses(e, 'policy')) {
      const dnf = dnfOf(use.policies);
      into.policies.set(JSON.stringify(dnf), dnf);
    }
  }
  return into;
}

const empty = (): Gathered => ({ authenticated: false, scopes: new Map(), policies: new Map() });

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function costOf(elements: readonly (Directed | undefined)[]): number | undefined {
  for (const e of elements) {
    const weight = numberOf(directive(e, 'cost')?.weight);
    if (weight !== undefined) return weight;
  }
  return undefined;
}

/** The same field on the interfaces `type` implements. */
function interfaceFields(type: Composite, name: string): GraphQLField<unknown, unknown>[] {
  return type.getInterfaces().flatMap((i) => {
    const f = i.getFields()[name];
    return f ? [f] : [];
  });
}

/** The requirements of a field: its own, its interfaces', its parent type's and its return type's. */
function fieldRequirements(type: Composite, field: GraphQLField<unknown, unknown>): Gathered {
  const named = getNamedType(field.type) as GraphQLNamedType;
  return gather([field, ...interfaceFields(type, field.name), type, named], empty());
}

function rateLimitsOf(elements: readonly (Directed | undefined)[], name: string): string[] {
  return elements.flatMap((e) =>
    directiveUses(e, name).map((u) => `${String(u.limit)}/${String(u.duration)}s${u.by ? ` by ${String(u.by)}` : ''}`),
  );
}

function finish(g: Gathered, rest: Omit<Protection, 'authenticated' | 'scopes' | 'policies'>): Protection {
  return {
    ...rest,
    authenticated: g.authenticated,
    scopes: [...g.scopes.values()],
    policies: [...g.policies.values()],
  };
}

/** The protection of `Type.field`. */
export function fieldProtection(
  settings: ReportSettings,
  type: Composite,
  field: GraphQLField<unknown, unknown>,
): Protection {
  const coordinate = `${type.name}.${field.name}`;
  const named = getNamedType(field.type) as GraphQLNamedType;
  const own = [field, ...interfaceFields(type, field.name)];
  const listSize = own.map((f) => directive(f, 'listSize')).find((d) => d !== undefined);
  const audit = own.map((f) => directive(f, 'audit')).find((d) => d !== undefined);
  const rule = settings.rules?.get(coordinate);
  const rateLimitName = settings.config?.rateLimitDirective ?? 'rateLimit';
  const fieldRateLimits = rateLimitsOf(own, rateLimitName);
  const override = settings.config?.overrides?.[coordinate]?.depth;
  const cost = costOf([...own, named]);
  return finish(fieldRequirements(type, field), {
    rules: rule ? [rule] : [],
    ...(cost !== undefined ? { cost } : {}),
    ...(listSize
      ? {
          listSize: {
            ...(numberOf(listSize.assumedSize) !== undefined ? { assumedSize: listSize.assumedSize as number } : {}),
            ...(Array.isArray(listSize.slicingArguments)
              ? { slicingArguments: listSize.slicingArguments.map(String) }
              : {}),
          },
        }
      : {}),
    rateLimits: [
      ...(fieldRateLimits.length > 0 ? fieldRateLimits : rateLimitsOf([type], rateLimitName)),
      ...(settings.config?.bruteForceFields?.includes(coordinate) ? ['brute-force guard'] : []),
    ],
    ...(audit ? { audit: String(audit.level ?? 'METADATA') } : {}),
    sensitive: own.some((f) => directive(f, 'sensitive') !== undefined) || directive(named, 'sensitive') !== undefined,
    ...(override !== undefined ? { depthOverride: override } : {}),
  });
}

/** The protection of `Type.field(arg:)`: the argument's own requirements and its field's. */
export function argumentProtection(
  settings: ReportSettings,
  type: Composite,
  field: GraphQLField<unknown, unknown>,
  arg: GraphQLArgument,
): Protection {
  const named = getNamedType(arg.type) as GraphQLNamedType;
  const g = gather([arg, named], fieldRequirements(type, field));
  const rule = settings.rules?.get(`${type.name}.${field.name}`);
  const cost = costOf([arg, named]);
  return finish(g, {
    rules: rule ? [rule] : [],
    ...(cost !== undefined ? { cost } : {}),
    rateLimits: [],
    sensitive: directive(arg, 'sensitive') !== undefined || directive(named, 'sensitive') !== undefined,
  });
}

/** The protection of `Input.field`. */
export function inputFieldProtection(field: GraphQLInputField): Protection {
  const named = getNamedType(field.type) as GraphQLNamedType;
  const cost = costOf([field, named]);
  return finish(gather([field, named], empty()), {
    rules: [],
    ...(cost !== undefined ? { cost } : {}),
    rateLimits: [],
    sensitive: directive(field, 'sensitive') !== undefined || directive(named, 'sensitive') !== undefined,
  });
}

/** Whether anything says who may use the element (a rule, a scope, a policy, `@authenticated`). */
export function isGuarded(p: Protection): boolean {
  return p.rules.length > 0 || p.authenticated || p.scopes.length > 0 || p.policies.length > 0;
}

/** The object and interface types of the schema users define (no introspection types). */
export function compositeTypes(types: readonly GraphQLNamedType[]): Composite[] {
  return types.filter((t): t is Composite => (isObjectType(t) || isInterfaceType(t)) && !t.name.startsWith('__'));
}
