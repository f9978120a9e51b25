/**
 * `recursive-type`: fields that close a cycle of types (`Product.category` → `Category.products` →
 * `Product`) reachable from a root type: a query can nest them as deep as the depth limit allows.
 * High when the config turns the depth limit off (`limits.depth: false` or `limits: false`); low
 * otherwise, unless the config sets a depth for the field in `limits.overrides`.
 */
import {
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isObjectType,
} from 'graphql';
import type { Finding } from '../model.js';
import { compositeTypes } from '../protection.js';
import type { ReportSettings } from '../settings.js';

/** Type name → the names of the types its fields (or possible types) lead to. */
function typeGraph(schema: GraphQLSchema): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const type of Object.values(schema.getTypeMap()) as GraphQLNamedType[]) {
    if (type.name.startsWith('__')) continue;
    const next = new Set<string>();
    if (isAbstractType(type)) for (const t of schema.getPossibleTypes(type)) next.add(t.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const f of Object.values(type.getFields())) next.add(getNamedType(f.type).name);
    }
    graph.set(type.name, next);
  }
  return graph;
}

/** The strongly connected component of each type (Tarjan, iterative enough for schema sizes). */
function components(graph: Map<string, Set<string>>): Map<string, number> {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const component = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  let counter = 0;
  let components = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.set(w, components);
    } while (w !== v);
    components++;
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return component;
}

/** The types reachable from the root types. */
function reachable(schema: GraphQLSchema, graph: Map<string, Set<string>>): Set<string> {
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
  const seen = new Set<string>(roots.flatMap((r) => (r ? [r.name] : [])));
  const todo = [...seen];
  for (let t = todo.pop(); t !== undefined; t = todo.pop()) {
    for (const n of graph.get(t) ?? []) if (!seen.has(n)) seen.add(n) && todo.push(n);
  }
  return seen;
}

function finding(coordinate: string, target: string, depthOff: boolean): Finding {
  return depthOff
    ? {
        rule: 'recursive-type',
        severity: 'high',
        coordinate,
        message: `${coordinate} leads back to ${target} (a cycle of types) and the depth limit is off: queries may nest without bound`,
        fix: `turn limits.depth on, or set limits.overrides["${coordinate}"] = { depth: N }`,
      }
    : {
        rule: 'recursive-type',
        severity: 'low',
        coordinate,
        message: `${coordinate} leads back to ${target} (a cycle of types): queries may nest it up to the global depth limit`,
        fix: `set limits.overrides["${coordinate}"] = { depth: N } to the depth its clients need`,
      };
}

/** The findings of fields inside a cycle of types. */
export function recursionFindings(settings: ReportSettings): Finding[] {
  const { schema } = settings;
  const graph = typeGraph(schema);
  const component = components(graph);
  const live = reachable(schema, graph);
  const depthOff = settings.config?.depth === false;
  const out: Finding[] = [];
  for (const type of compositeTypes(Object.values(schema.getTypeMap()))) {
    if (!live.has(type.name)) continue;
    for (const field of Object.values(type.getFields())) {
      const target = getNamedType(field.type).name;
      if (component.get(target) === undefined || component.get(target) !== component.get(type.name)) continue;
      const coordinate = `${type.name}.${field.name}`;
      const override = settings.config?.overrides?.[coordinate]?.depth;
      if (typeof override === 'number') continue;
      out.push(finding(coordinate, target, depthOff));
    }
  }
  return out;
}
