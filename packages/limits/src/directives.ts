/**
 * SDL of the `@cost` and `@listSize` directives, as Apollo Federation declares them
 * (https://specs.apollo.dev/cost/v0.1), so a schema means the same under Apollo Router.
 */
export const costDirectivesTypeDefs = `directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR

directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
`;
