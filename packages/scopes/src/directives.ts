/** Where the three directives may be written: Apollo Router's locations plus arguments and input fields. */
const LOCATIONS =
  'OBJECT | FIELD_DEFINITION | INTERFACE | SCALAR | ENUM | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION';

/**
 * SDL of `@authenticated`, `@requiresScopes` and `@policy`, declared as Apollo Federation declares them
 * (`scalar Scope`, `scalar Policy`, outer list OR, inner list AND), extended to
 * `ARGUMENT_DEFINITION` and `INPUT_FIELD_DEFINITION`.
 */
export const scopesTypeDefs = /* GraphQL */ `
"""An OAuth2 scope, e.g. "orders:read"."""
scalar Scope
"""The name of a policy function given to Rampart's scopes options."""
scalar Policy
"""Only an authenticated caller may select this field, this type, or pass this argument or input field."""
directive @authenticated on ${LOCATIONS}
"""The caller needs all the scopes of at least one inner list (outer list OR, inner list AND)."""
directive @requiresScopes(scopes: [[Scope!]!]!) on ${LOCATIONS}
"""All the policies of at least one inner list must grant (outer list OR, inner list AND)."""
directive @policy(policies: [[Policy!]!]!) on ${LOCATIONS}
`;

/** The directive names this package reads. */
export const directiveNames = Object.freeze({
  authenticated: 'authenticated',
  requiresScopes: 'requiresScopes',
  policy: 'policy',
});
