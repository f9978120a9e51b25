/** Short readable labels of a coordinate's protection, shared by the text and HTML formats. */
import type { Dnf, Protection } from './model.js';

const dnf = (d: Dnf): string => d.map((and) => and.join(' & ')).join(' | ');

/** Who may use the element: rules, `@authenticated`, scopes, policies (empty: anyone). */
export function accessLabels(p: Protection): string[] {
  return [
    ...p.rules.map((r) => `rule ${r}`),
    ...(p.authenticated ? ['@authenticated'] : []),
    ...p.scopes.map((s) => `scopes ${dnf(s)}`),
    ...p.policies.map((s) => `policy ${dnf(s)}`),
  ];
}

/** How much it may cost or be called: cost, list size, rate limits, depth override. */
export function limitLabels(p: Protection): string[] {
  const size = p.listSize;
  return [
    ...(p.cost !== undefined ? [`cost ${p.cost}`] : []),
    ...(size?.slicingArguments ? [`sliced by ${size.slicingArguments.join(', ')}`] : []),
    ...(size?.assumedSize !== undefined ? [`assumed size ${size.assumedSize}`] : []),
    ...p.rateLimits.map((r) => (r.includes('/') ? `rate ${r}` : r)),
    ...(p.depthOverride !== undefined ? [`depth ${p.depthOverride === false ? 'off' : p.depthOverride}`] : []),
  ];
}

/** What is recorded and redacted: audit level, `@sensitive`. */
export function dataLabels(p: Protection): string[] {
  return [...(p.audit ? [`audit ${p.audit}`] : []), ...(p.sensitive ? ['@sensitive'] : [])];
}
