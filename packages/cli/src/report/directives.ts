/** Reading Rampart's directives from a schema element's SDL nodes (definition and extensions). */
import { type ConstDirectiveNode, valueFromASTUntyped } from 'graphql';

/** Any schema element that may carry directives in its SDL. */
export interface Directed {
  readonly astNode?: { readonly directives?: readonly ConstDirectiveNode[] } | null | undefined;
  readonly extensionASTNodes?: readonly { readonly directives?: readonly ConstDirectiveNode[] }[];
}

/** The arguments of every use of directive `name` on `element` (several for repeatable ones). */
export function directiveUses(element: Directed | undefined, name: string): Record<string, unknown>[] {
  if (!element) return [];
  const nodes = [element.astNode, ...(element.extensionASTNodes ?? [])];
  const uses: Record<string, unknown>[] = [];
  for (const node of nodes) {
    for (const d of node?.directives ?? []) {
      if (d.name.value !== name) continue;
      uses.push(Object.fromEntries((d.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)])));
    }
  }
  return uses;
}

/** The arguments of the first use of directive `name`, if any. */
export function directive(element: Directed | undefined, name: string): Record<string, unknown> | undefined {
  return directiveUses(element, name)[0];
}

/** A DNF argument (`scopes`, `policies`) as lists of strings. */
export function dnfOf(value: unknown): string[][] {
  if (!Array.isArray(value)) return [];
  return value.map((group) => (Array.isArray(group) ? group.map(String) : [String(group)]));
}
