import { makeExecutableSchema } from '@graphql-tools/schema';
import { ErrorCode, rampartError } from '@rampart/core';
import { GraphQLError } from 'graphql';

/** A manual clock for deadline tests. */
export class ManualClock {
  t = 1_700_000_000_000;
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export const typeDefs = /* GraphQL */ `
  type Node {
    id: ID!
    name: String
    child: Node
  }
  type Item {
    id: ID!
    a: Int
    b: Int
    c: String
    d: Boolean
    slow: Int
  }
  type Query {
    hello: String
    node: Node
    items(n: Int = 10): [Item!]!
    boom: String
    badInput: String
    limited: String
  }
`;

export function testSchema(hooks: { onSlow?: () => void; calls?: { n: number } } = {}) {
  const node = (depth: number): Record<string, unknown> => ({
    id: String(depth),
    name: `n${depth}`,
    child: () => node(depth + 1),
  });
  return makeExecutableSchema({
    typeDefs,
    resolvers: {
      Query: {
        hello: () => 'world',
        node: () => node(0),
        items: (_: unknown, { n }: { n: number }) =>
          Array.from({ length: n }, (_, i) => ({ id: String(i), a: i, b: i * 2, c: `c${i}`, d: i % 2 === 0 })),
        boom: () => {
          throw new Error('database password=hunter2 leaked in message');
        },
        limited: () => {
          throw rampartError(ErrorCode.FORBIDDEN, 'not for you', { scope: 'field' });
        },
        badInput: () => {
          throw new GraphQLError('name is too long', { extensions: { code: 'BAD_USER_INPUT' } });
        },
      },
      Item: {
        slow: (item: { a: number }) => {
          if (hooks.calls) hooks.calls.n++;
          hooks.onSlow?.();
          return item.a;
        },
      },
    },
  });
}
