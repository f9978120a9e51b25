/**
 * `pii-not-sensitive`: personal-looking fields, arguments and input fields without `@sensitive` (on
 * the element or its type), so the audit log and error reports would carry their values.
 */
import type { SchemaElements } from '../elements.js';
import type { Finding } from '../model.js';
import { looksPersonal } from '../words.js';

/** The findings of personal-looking elements not marked `@sensitive`. */
export function sensitiveFindings(all: SchemaElements): Finding[] {
  return all.elements
    .filter((e) => looksPersonal(e.name) && !e.protection.sensitive)
    .map((e) => ({
      rule: 'pii-not-sensitive',
      severity: 'medium',
      coordinate: e.coordinate,
      message: `${e.kind} ${e.coordinate} looks like personal or secret data ("${e.name}") and is not @sensitive`,
      fix: `add @sensitive to ${e.coordinate} (the audit log and logs then redact its value)`,
    }));
}
