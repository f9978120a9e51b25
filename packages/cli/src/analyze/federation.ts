/**
 * Apollo Federation's `@link(url:, as:, import:)` for the cost spec (and the federation spec, which
 * re-exports `@cost`/`@listSize` from v2.9): which directive names of a subgraph mean Rampart's `@cost`
 * and `@listSize` (`import: [{ name: "@cost", as: "@myCost" }]`, a namespace `@cost__listSize`).
 */
import { type ConstDirectiveNode, type DocumentNode, Kind, valueFromASTUntyped } from 'graphql';

/** The directives of the cost spec the analysis reads. */
const COST_DIRECTIVES = ['cost', 'listSize'];
/** Specs whose `@link` may carry `@cost`/`@listSize`. */
const SPEC_URL = /\/(cost|federation)\/v[\d.]+\/?$/;

/** Directives on `schema` / `extend schema` nodes named `link`. */
function links(doc: DocumentNode): ConstDirectiveNode[] {
  const out: ConstDirectiveNode[] = [];
  for (const d of doc.definitions) {
    if (d.kind !== Kind.SCHEMA_DEFINITION && d.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of d.directives ?? []) if (directive.name.value === 'link') out.push(directive);
  }
  return out;
}

function argument(directive: ConstDirectiveNode, name: string): unknown {
  const node = directive.arguments?.find((a) => a.name.value === name);
  return node ? valueFromASTUntyped(node.value) : undefined;
}

const bare = (name: string) => name.replace(/^@/, '');

/** Adds the renames one `@link` of the cost or federation spec declares. */
function addLink(directive: ConstDirectiveNode, renames: Map<string, string>): void {
  const url = argument(directive, 'url');
  const match = typeof url === 'string' ? SPEC_URL.exec(url) : null;
  if (!match) return;
  const spec = match[1] as string;
  const as = argument(directive, 'as');
  const namespace = typeof as === 'string' ? bare(as) : spec;
  // Not imported: `@<namespace>__listSize`; the spec's own directive (`@cost` of the cost spec) is `@<namespace>`.
  for (const name of COST_DIRECTIVES) renames.set(`${namespace}__${name}`, name);
  if (spec === 'cost' && namespace !== 'cost') renames.set(namespace, 'cost');
  const imports = argument(directive, 'import');
  for (const entry of Array.isArray(imports) ? imports : []) {
    const name = typeof entry === 'string' ? entry : (entry as { name?: unknown } | null)?.name;
    const alias = typeof entry === 'string' ? entry : ((entry as { as?: unknown }).as ?? name);
    if (typeof name !== 'string' || typeof alias !== 'string') continue;
    if (COST_DIRECTIVES.includes(bare(name))) renames.set(bare(alias), bare(name));
  }
}

/**
 * The directive names of `doc` that mean `@cost`/`@listSize` under another name (alias → name), from
 * its `@link`s. Empty for a schema without `@link`.
 */
export function costRenames(doc: DocumentNode): Map<string, string> {
  const renames = new Map<string, string>();
  for (const directive of links(doc)) addLink(directive, renames);
  for (const [alias, name] of renames) if (alias === name) renames.delete(alias);
  return renames;
}
