// Peers without type declarations, used only by the benchmarks.
declare module 'graphql-depth-limit';
