/** Files of the `rampart report` tests: a small hostile schema, options modules, the shop's files. */
import { fileURLToPath } from 'node:url';

/** A schema with each finding class once (without --config; see the tests for the list). */
export const HOSTILE_SDL = `type Query {
  me: User @authenticated
  "Every tag."
  tags: [String!]!
}

type User {
  id: ID!
  "Contact <script>alert(1)</script> & more"
  email: String @sensitive
  manager: User @authenticated
}

type Mutation {
  deleteUser(id: ID!): Boolean
  login(username: String!, password: String!): String
}
`;

/** Options that make things worse: introspection on, the depth limit off. */
export const HOSTILE_OPTIONS = `export default { hardening: { introspection: true }, limits: { depth: false } };\n`;

const authSource = fileURLToPath(new URL('../../auth/src/index.ts', import.meta.url));

/** Options with a shield rule on Mutation.deleteUser and a brute-force guard on Mutation.login. */
export const RULED_OPTIONS = `import { rule, shield } from ${JSON.stringify(authSource)};
const isAdmin = rule('isAdmin')(() => false);
export const options = {
  hardening: { introspection: false },
  limits: { overrides: { 'User.manager': { depth: 3 } } },
  rules: shield({ Mutation: { deleteUser: isAdmin } }),
  rateLimit: { bruteForce: [{ field: 'Mutation.login', identifierArgument: 'username' }] },
};
`;

/** The shop's schema and options module. */
export const SHOP = {
  schema: fileURLToPath(new URL('../../../examples/shop/src/schema.graphql', import.meta.url)),
  config: fileURLToPath(new URL('../../../examples/shop/rampart.options.ts', import.meta.url)),
};

/** A finding reduced to what the tests compare. */
export function brief(f: { severity: string; coordinate: string; rule: string }): string {
  return `${f.severity} ${f.coordinate} ${f.rule}`;
}
