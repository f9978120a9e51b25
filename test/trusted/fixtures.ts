/** Shared fixtures of the trusted-documents tests: manifests, a server, requests by id and by text. */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { type RampartOptions, rampart } from '@rampart/apollo';
import { hashApiKey } from '@rampart/auth';
import { type GraphQLHttpResponse, LogSink, postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { testSchema } from '../preset-fixtures.js';

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export const HELLO = 'query Hello { hello }';
export const ITEMS = 'query Items($n: Int) { items(n: $n) { id a } }';
export const NODE = 'query Node { node { id name } }';
/** Deeper than the default depth limit (10) unless `$deep` is false. */
export const DEEP = `query Deep($deep: Boolean!) { node { id child @include(if: $deep) { ${'child { '.repeat(10)}id${' }'.repeat(10)} } } }`;
/** A document of the schema that is in no manifest. */
export const UNLISTED = '{ node { id child { id } } }';

/** Apollo's persisted query manifest of `operations`. */
export function apolloManifest(operations: { name: string; body: string; id?: string }[]): object {
  return {
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: operations.map((o) => ({ id: o.id ?? sha256(o.body), name: o.name, type: 'query', body: o.body })),
  };
}

/** A manifest file in a fresh temporary folder. */
export function manifestFile(content: object | string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-trusted-'));
  const path = join(dir, 'manifest.json');
  writeManifest(path, content);
  return path;
}

export function writeManifest(path: string, content: object | string): void {
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
}

/** The back office's API key (allowed to send any document in `'allow-untrusted'` mode). */
export const BACK_OFFICE_KEY = 'back-office-key-0123456789abcdefghijklmnop';
export const PARTNER_KEY = 'partner-key-0123456789abcdefghijklmnopqrstu';

/** A server with trusted documents, an audit sink and a count of Apollo's parses. */
export interface TrustedServer {
  readonly server: TestServer<BaseContext>;
  readonly security: ReturnType<typeof rampart>;
  readonly audit: LogSink;
  /** Documents Apollo parsed (its `parsingDidStart`). */
  parses: number;
  post(body: unknown, headers?: Record<string, string>): Promise<GraphQLHttpResponse<any>>;
}

/** Starts a standalone server with `trustedDocuments` and back-office / partner API keys. */
export async function startTrusted(
  trustedDocuments: NonNullable<RampartOptions['trustedDocuments']>,
  hardening: RampartOptions['hardening'] = {},
): Promise<TrustedServer> {
  const audit = new LogSink();
  const security = rampart({
    trustedDocuments,
    hardening,
    authentication: {
      apiKeys: {
        keys: [
          { clientId: 'back-office', hash: hashApiKey(BACK_OFFICE_KEY), roles: ['staff'] },
          { clientId: 'partner', hash: hashApiKey(PARTNER_KEY) },
        ],
      },
    },
    audit: { destination: { stream: audit } },
  });
  const counter: ApolloServerPlugin<BaseContext> = {
    async requestDidStart() {
      return {
        async parsingDidStart() {
          out.parses++;
        },
      };
    },
  };
  const schema = security.transformSchema(testSchema());
  const server = await startTestServer(
    { schema, ...security.serverOptions, plugins: [...security.plugins, counter] },
    { context: security.context() },
  );
  const out: TrustedServer = {
    server,
    security,
    audit,
    parses: 0,
    post: (body, headers) => postGraphQL(server.graphqlUrl, body, headers ? { headers } : {}),
  };
  return out;
}

/** Apollo's persisted-query extension for `hash`. */
export function persisted(hash: string): { persistedQuery: { version: 1; sha256Hash: string } } {
  return { persistedQuery: { version: 1, sha256Hash: hash } };
}

/** The operation records written so far (pino writes them by the end of the response's turn). */
export async function auditRecords(sink: LogSink, count: number): Promise<Record<string, any>[]> {
  for (let i = 0; i < 100 && sink.records.length < count; i++) await new Promise((r) => setImmediate(r));
  return sink.records;
}
