/**
 * `unbounded-list`: list fields with neither `@listSize` nor a slicing argument (`first`, `last`,
 * `limit`, `take`, `pageSize`, `perPage`, or the config's `limits.cost.slicingArgumentNames`): the
 * client cannot say how many it wants, and the cost analysis can only assume a default size.
 */
import { getNullableType, isListType } from 'graphql';
import type { SchemaElements } from '../elements.js';
import type { Finding } from '../model.js';
import type { ReportSettings } from '../settings.js';
import { SLICING_ARGUMENTS } from '../words.js';

/** The findings of list fields without a size. */
export function listFindings(all: SchemaElements, settings: ReportSettings): Finding[] {
  const names = settings.config?.slicingArgumentNames ?? SLICING_ARGUMENTS;
  const out: Finding[] = [];
  for (const e of all.elements) {
    if (e.kind !== 'field' || !e.field || !isListType(getNullableType(e.field.type))) continue;
    if (e.protection.listSize) continue;
    if (e.field.args.some((a) => names.includes(a.name))) continue;
    out.push({
      rule: 'unbounded-list',
      severity: 'medium',
      coordinate: e.coordinate,
      message: `list field ${e.coordinate} has no @listSize and no slicing argument (${names.join(', ')})`,
      fix: `add a slicing argument with @listSize(slicingArguments: ["first"]), or @listSize(assumedSize: N) if the list is bounded`,
    });
  }
  return out;
}
