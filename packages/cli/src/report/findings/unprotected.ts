/**
 * Who may use it: mutations (`unprotected-mutation`) and personal-looking fields (`unprotected-pii`)
 * with no shield rule, `@requiresScopes`, `@policy` or `@authenticated`. Login-like mutations are
 * public by design (their guard is a rate limit: see `login-without-rate-limit`), and so are the
 * fields of types only they return (the token a login hands out).
 */
import type { Element, SchemaElements } from '../elements.js';
import type { Finding } from '../model.js';
import { isGuarded } from '../protection.js';
import type { ReportSettings } from '../settings.js';
import { looksLikeLogin, looksPersonal } from '../words.js';

/** Whether every field returning `type` is a login-like mutation. */
function onlyFromLogin(type: string, all: SchemaElements, mutation: string | undefined): boolean {
  const from = all.returnedBy.get(type) ?? [];
  return (
    from.length > 0 &&
    from.every(
      (c) => mutation !== undefined && c.startsWith(`${mutation}.`) && looksLikeLogin(c.slice(mutation.length + 1)),
    )
  );
}

function unprotectedMutation(e: Element): Finding {
  return {
    rule: 'unprotected-mutation',
    severity: 'high',
    coordinate: e.coordinate,
    message: `mutation ${e.coordinate} has no rule, scope, policy or @authenticated: anyone may call it`,
    fix: 'add @requiresScopes/@authenticated to the field, or a shield rule for it in the options module',
  };
}

function unprotectedPii(e: Element): Finding {
  return {
    rule: 'unprotected-pii',
    severity: 'high',
    coordinate: e.coordinate,
    message: `${e.coordinate} looks like personal or secret data ("${e.name}") and has no rule, scope, policy or @authenticated`,
    fix: 'restrict it: @requiresScopes/@authenticated on the field or its type, or a shield rule (owner or admin)',
  };
}

/** The findings of fields nobody is kept from. */
export function unprotectedFindings(all: SchemaElements, settings: ReportSettings): Finding[] {
  const mutation = settings.schema.getMutationType()?.name;
  const out: Finding[] = [];
  for (const e of all.elements) {
    if (e.kind !== 'field' || isGuarded(e.protection)) continue;
    if (e.parent === mutation) {
      if (!looksLikeLogin(e.name)) out.push(unprotectedMutation(e));
    } else if (looksPersonal(e.name) && !onlyFromLogin(e.parent, all, mutation)) {
      out.push(unprotectedPii(e));
    }
  }
  return out;
}
