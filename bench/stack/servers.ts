// The servers bench/stack compares, all on the same schema, data and token:
//   bare: Apollo Server with its defaults; bare:nocache: without its cache-control plugin;
//   peers: the peer stack (peers.ts); rampart: Rampart with everything on (rampart.ts);
//   rampart:chained: with the shop's chained, checkpointed audit log;
//   rampart:noaudit and rampart:noauth: the same without the audit log or without authentication
//   (without authentication, Query.orders is refused: only for the small and 100-item queries);
//   rampart:nowrite: every audit record built and then dropped (the file write's cost, by difference);
//   rampart:sync: the audit log with `durability: 'sync'` (a write per record, not per event-loop turn);
//   rampart:nodeadline: without audit and without the execution deadline (what its resolver checks cost).
import { mkdtempSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { BenchData } from './data.js';
import { buildPeerStack } from './peers.js';
import { buildRampart } from './rampart.js';
import { benchResolvers, benchTypeDefs, declarationsOnly } from './schema.js';

/** A server of the benchmark and the context function it is served with. */
export interface StackServer {
  server: ApolloServer<any>;
  context: (args: { req: IncomingMessage }) => Promise<any>;
  /** The audit log it writes, if any. */
  auditPath?: string;
}

/** The modes {@link buildStackServer} knows. */
export const stackModes = [
  'bare',
  'bare:nocache',
  'peers',
  'rampart',
  'rampart:noaudit',
  'rampart:noauth',
  'rampart:chained',
  'rampart:nowrite',
  'rampart:sync',
  'rampart:nodeadline',
];

/** Builds the server of one mode (see the header); its audit log goes to a fresh temporary folder. */
export async function buildStackServer(mode: string): Promise<StackServer> {
  const data = new BenchData();
  const auditPath = join(mkdtempSync(join(tmpdir(), 'rampart-bench-stack-')), 'audit.log');
  if (mode === 'bare' || mode === 'bare:nocache') {
    const schema = makeExecutableSchema({
      typeDefs: [declarationsOnly.listSize, declarationsOnly.requiresScopes, declarationsOnly.rateLimit, benchTypeDefs],
      resolvers: benchResolvers,
    });
    const plugins = mode === 'bare:nocache' ? [ApolloServerPluginCacheControlDisabled()] : [];
    return { server: new ApolloServer({ schema, plugins }), context: async () => ({ data }) };
  }
  if (mode === 'peers') return { ...(await buildPeerStack(data, auditPath)), auditPath };
  if (mode.startsWith('rampart')) {
    const variant = mode.split(':')[1] ?? '';
    return { ...buildRampart(data, auditPath, variant), auditPath };
  }
  throw new Error(`unknown mode ${mode}: ${stackModes.join(', ')}`);
}
