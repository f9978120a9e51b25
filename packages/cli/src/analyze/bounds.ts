/**
 * `--variable-bounds`: the largest value a client may send for an argument, by name (`first<=100`) or
 * by coordinate (`Query.orders(first:)<=50`, `Query.search(page.first:)<=20` for an input field). An
 * operation analysed without a value for a variable given to a bounded argument is analysed with the
 * bound: the worst case a client can send.
 */
import { Kind, type ValueNode } from 'graphql';
import { usageError } from '../cli.js';
import type { SelectedField } from './selection-walk.js';

/** Bounds by coordinate (`Type.field(path:)`) and by argument or input field name. */
export interface VariableBounds {
  readonly byCoordinate: ReadonlyMap<string, number>;
  readonly byName: ReadonlyMap<string, number>;
}

const BOUND = /^\s*(?:([A-Za-z_][\w]*\.[A-Za-z_][\w]*)\(([A-Za-z_][\w.]*):\)|([A-Za-z_][\w]*))\s*<=\s*(\d+)\s*$/;

/** Parses the `--variable-bounds` values (each a comma-separated list). */
export function parseBounds(values: readonly string[]): VariableBounds {
  const byCoordinate = new Map<string, number>();
  const byName = new Map<string, number>();
  for (const entry of values.flatMap((v) => v.split(',')).filter((e) => e.trim() !== '')) {
    const m = BOUND.exec(entry);
    if (!m) {
      throw usageError(`invalid --variable-bounds entry "${entry.trim()}": expected name<=N or Type.field(arg:)<=N`);
    }
    const max = Number.parseInt(m[4] as string, 10);
    if (m[1]) byCoordinate.set(`${m[1]}(${m[2]}:)`, max);
    else byName.set(m[3] as string, max);
  }
  return { byCoordinate, byName };
}

/** Calls `found(variable, path)` for each variable in `value`, with its path under the argument. */
function variablesIn(
  value: ValueNode,
  path: string[],
  found: (variable: string, path: readonly string[]) => void,
): void {
  if (value.kind === Kind.VARIABLE) found(value.name.value, path);
  else if (value.kind === Kind.OBJECT)
    for (const f of value.fields) variablesIn(f.value, [...path, f.name.value], found);
  else if (value.kind === Kind.LIST) for (const v of value.values) variablesIn(v, path, found);
}

/**
 * Values for the variables of the selected fields' arguments that have a bound and no value in
 * `given`: the bound (the largest when one variable feeds several bounded arguments).
 */
export function boundedVariables(
  fields: readonly SelectedField[],
  bounds: VariableBounds,
  given: Readonly<Record<string, unknown>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  if (bounds.byCoordinate.size === 0 && bounds.byName.size === 0) return out;
  for (const { parent, def, node } of fields) {
    for (const arg of node.arguments ?? []) {
      variablesIn(arg.value, [arg.name.value], (variable, path) => {
        if (Object.hasOwn(given, variable)) return;
        const coordinate = `${parent.name}.${def.name}(${path.join('.')}:)`;
        const bound = bounds.byCoordinate.get(coordinate) ?? bounds.byName.get(path[path.length - 1] as string);
        if (bound !== undefined) out[variable] = Math.max(out[variable] ?? 0, bound);
      });
    }
  }
  return out;
}
