import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type AuthOptions,
  authContext,
  createDevKeys,
  type DevKeys,
  generateApiKey,
  mintToken,
  rule,
  shield,
} from '@rampart/auth';
import { getSecurityState, RampartConfigError } from '@rampart/core';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { type JwksServer, ME, principalResolvers, principalTypeDefs, startJwksServer } from './helpers.js';
import { type CapturingLogger, capturingLogger, serveModule } from './module-server.js';

const issuer = 'https://issuer.test';
const audience = 'https://api.test';
const isAdmin = rule('isAdmin', { cache: 'contextual' })((_p, _a, ctx) =>
  getSecurityState(ctx)!.principal.roles.has('admin'),
);
const SECRET = 'warnings-test-secret-warnings-test-secret';

let keys: DevKeys;
const servers: TestServer<any>[] = [];
before(async () => {
  keys = await createDevKeys();
});
after(async () => {
  for (const s of servers) await s.stop();
});

async function start(options: AuthOptions, logger: CapturingLogger = capturingLogger()) {
  const s = await serveModule(options, logger);
  servers.push(s);
  return { server: s, logger };
}

describe('startup warning: rules but no source of roles', () => {
  const jwt = { issuer, audience, algorithms: ['HS256'], secret: SECRET };

  it('is logged once through the server logger, not per request', async () => {
    const { server, logger } = await start({ authentication: { jwt }, rules: shield({ Query: { me: isAdmin } }) });
    for (let i = 0; i < 3; i++) assert.equal((await postGraphQL(server.graphqlUrl, ME)).status, 403);
    assert.equal(logger.warnings.length, 1, logger.warnings.join('\n'));
    assert.match(logger.warnings[0] ?? '', /^\[rampart\] rules are configured but no principal can have roles/);
    assert.match(logger.warnings[0] ?? '', /rolesClaim/);
  });

  it('is not logged when roles can come from a claim, an API key or a custom authenticator, or without rules', async () => {
    const partner = generateApiKey();
    const rules = shield({ Query: { me: isAdmin } });
    const quiet: AuthOptions[] = [
      { authentication: { jwt: { ...jwt, rolesClaim: 'roles' } }, rules },
      {
        authentication: {
          jwt: [
            { ...jwt, issuer: 'https://other.test' },
            { ...jwt, rolesClaim: ['a', 'b'] },
          ],
        },
        rules,
      },
      { authentication: { apiKeys: { keys: [{ clientId: 'p', hash: partner.hash, roles: ['admin'] }] } }, rules },
      { authentication: { custom: () => undefined }, rules },
      { authentication: { jwt } },
    ];
    for (const options of quiet) {
      const { logger } = await start(options);
      assert.deepEqual(logger.warnings, [], JSON.stringify(Object.keys(options.authentication ?? {})));
    }
  });
});

describe('JWKS outage and recovery are logged once each, with the URL', () => {
  let jwks: JwksServer;
  before(async () => {
    jwks = await startJwksServer([keys.publicJwk]);
  });
  after(async () => {
    await jwks.close();
  });

  it('warns when the JWKS stops answering and when it answers again, once per outage', async () => {
    const port = Number(new URL(jwks.url).port);
    const { server, logger } = await start({
      authentication: {
        jwt: { issuer, audience, algorithms: ['RS256'], jwksUri: jwks.url, jwksCacheMaxAgeMs: 0, jwksTimeoutMs: 500 },
      },
    });
    const token = await mintToken(keys, { issuer, audience, subject: 'alice', scopes: ['a'], expiresIn: '10m' });
    const ask = async () =>
      (await postGraphQL(server.graphqlUrl, ME, { headers: { authorization: `Bearer ${token}` } })).status;

    assert.equal(await ask(), 200);
    assert.equal(logger.warnings.length, 0);

    await jwks.close();
    for (let i = 0; i < 3; i++) assert.equal(await ask(), 401);
    assert.equal(logger.warnings.length, 1, logger.warnings.join('\n'));
    assert.equal(
      logger.warnings[0]?.startsWith(`[rampart] the JWKS ${jwks.url} is unreachable (`),
      true,
      logger.warnings[0],
    );

    jwks = await startJwksServer([keys.publicJwk], port);
    for (let i = 0; i < 3; i++) assert.equal(await ask(), 200);
    assert.deepEqual(logger.warnings.slice(1), [`[rampart] the JWKS ${jwks.url} answers again`]);

    await jwks.close();
    assert.equal(await ask(), 401);
    assert.equal(await ask(), 401);
    assert.equal(logger.warnings.length, 3, 'a second outage is warned about again');
    assert.match(logger.warnings[2] ?? '', /is unreachable/);
    jwks = await startJwksServer([keys.publicJwk], port);
  });
});

describe('authentication.logger', () => {
  it('receives the warnings under authContext (no plugin), and must have warn and error', async () => {
    const logger = capturingLogger();
    const s = await startTestServer(
      { typeDefs: principalTypeDefs, resolvers: principalResolvers },
      {
        context: authContext({
          authentication: {
            jwt: {
              issuer,
              audience,
              algorithms: ['RS256'],
              jwksUri: 'http://127.0.0.1:9/jwks.json',
              jwksTimeoutMs: 300,
            },
            logger,
          },
        }) as never,
      },
    );
    servers.push(s);
    const token = await mintToken(keys, { issuer, audience, subject: 'alice', scopes: ['a'] });
    for (let i = 0; i < 2; i++) {
      const res = await postGraphQL(s.graphqlUrl, ME, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 401);
    }
    assert.equal(logger.warnings.length, 1);
    assert.match(logger.warnings[0] ?? '', /the JWKS http:\/\/127\.0\.0\.1:9\/jwks\.json is unreachable/);
    assert.throws(
      () => authContext({ authentication: { logger: { warn() {} } as never } }),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'authentication.logger',
    );
  });
});
