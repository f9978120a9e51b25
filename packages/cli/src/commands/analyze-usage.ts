/** The usage text of `rampart analyze`. */
export const ANALYZE_USAGE = `Usage: rampart analyze --schema <file|dir|glob>... <operations: file|dir|glob|->... [options]

Analyzes every operation (GraphQL files — fragments shared across files —, Apollo persisted query
manifests, persisted documents maps, standard input) against the schema in one process: depth,
height, aliases, root fields, directives, tokens, cost (Apollo) and field cost (IBM), the limits it
exceeds, the scopes/policies/authentication it requires and the @rateLimits it hits.

Schema:
  --schema <path>               SDL files, directories or globs (repeatable; merged), federation
                                subgraph SDL (@link imports and renames of @cost/@listSize), or
                                one introspection result (.json). Rampart's directives are known.
Operations (positional, or --query <path>, repeatable):
  op.graphql | dir (its .graphql/.gql) | 'ops/**/*.graphql' | manifest.json | documents.json | -
  --operation-name <name>       analyze only the operations of that name
Variables:
  --variables <json|@file>      values for variables by name (all operations)
  --variable-bounds <bounds>    worst case a client may send: 'first<=100', 'Query.orders(first:)<=50'
                                (repeatable, comma-separated); a slicing variable with neither a value
                                nor a bound is reported as unbounded
Limits (later wins: --config, --limits, flags; defaults otherwise):
  --config <module>             a Rampart options module (.js/.mjs; .ts with tsx installed) exporting
                                the rampart() options (default export or "options"): its limits
  --limits <json|@file>         limits options, as rampart({ limits })
  --max-depth <n|off>  --max-height <n|off>  --max-aliases <n|off>  --max-root-fields <n|off>
  --max-directives <n|off>  --max-cost <n|off>  --cost-model <apollo|ibm>
Output:
  --format <table|json|junit|sarif>   default table; --json is --format json
  --explain                     the cost each field adds
  --baseline <previous.json>    report operations whose cost or requirements grew since a --json report
  --fail-on-violation           exit 2 when an operation is over a limit or unbounded
  -h, --help                    this text

Exit codes: 0 analyzed; 1 an operation does not validate against the schema; 2 bad usage or input
(unknown option, unreadable file, unparsable schema or document) or, with --fail-on-violation, an
operation over a limit or unbounded; 3 with --baseline, something grew (2 and 1 take precedence).
`;
