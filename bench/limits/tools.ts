/** The analyzers compared by bench/limits, each as `run(document)`. */
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { analyzeLimits } from '@rampart/limits';
import type { DocumentNode, GraphQLSchema, ValidationRule } from 'graphql';
import { validate } from 'graphql';
import depthLimit from 'graphql-depth-limit';
import { createComplexityRule, fieldExtensionsEstimator, simpleEstimator } from 'graphql-query-complexity';

/** Tool names, in table order. */
export const TOOLS = ['rampart', 'depth-limit+query-complexity', 'armor'] as const;
/** A tool name. */
export type ToolName = (typeof TOOLS)[number];

/** A function analyzing one document with the tool; returns a short verdict. */
export function toolRunner(
  tool: ToolName,
  schema: GraphQLSchema,
  variables?: Record<string, unknown>,
): (doc: DocumentNode) => string {
  switch (tool) {
    case 'rampart':
      return (doc) => {
        const a = analyzeLimits(schema, doc, { variables });
        return a.violations[0]?.code ?? 'accepted';
      };
    case 'depth-limit+query-complexity': {
      const rules: ValidationRule[] = [
        depthLimit(10) as ValidationRule,
        createComplexityRule({
          maximumComplexity: 5000,
          variables: variables ?? {},
          estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
        }),
      ];
      return (doc) => {
        const errors = validate(schema, doc, rules);
        return errors.length ? `rejected (${errors.length} errors)` : 'accepted';
      };
    }
    case 'armor': {
      const { validationRules } = new ApolloArmor({
        maxDepth: { n: 10 },
        maxAliases: { n: 30 },
        maxDirectives: { n: 50 },
        costLimit: { maxCost: 5000 },
        maxTokens: { enabled: false },
        blockFieldSuggestion: { enabled: false },
      }).protect();
      const rules = validationRules as ValidationRule[];
      return (doc) => {
        const errors = validate(schema, doc, rules);
        return errors.length ? `rejected (${errors.length} errors)` : 'accepted';
      };
    }
  }
}
