import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authContext, authModule, generateApiKey, hashApiKey } from '@rampart/auth';
import { RampartConfigError, SecurityState } from '@rampart/core';
import { postGraphQL, startTestServer, type TestServer } from '@rampart/testing';
import { AddressList, clientAddress, IpFilter } from '../src/ip.js';
import { ME, principalResolvers, principalTypeDefs } from './helpers.js';

describe('API key helpers', () => {
  it('generates 32 random bytes (43 base64url characters) with a prefix, and its SHA-256', () => {
    const { key, hash } = generateApiKey();
    assert.match(key, /^rk_[A-Za-z0-9_-]{43}$/);
    assert.match(hash, /^sha256:[0-9a-f]{64}$/);
    assert.equal(hashApiKey(key), hash);
    assert.notEqual(generateApiKey().key, key);
    assert.match(generateApiKey({ prefix: 'shop_' }).key, /^shop_/);
    assert.throws(() => generateApiKey({ bytes: 8 }), RangeError);
  });
  it('refuses plaintext keys, bad hashes and duplicates at startup', () => {
    const { key, hash } = generateApiKey();
    const build = (keys: unknown[]) => () => authModule({ authentication: { apiKeys: { keys: keys as never } } });
    assert.throws(
      build([{ clientId: 'a', hash: key }]),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'authentication.apiKeys.keys[0].hash',
    );
    assert.throws(
      build([
        { clientId: 'a', hash },
        { clientId: 'b', hash: hash.slice(7) },
      ]),
      /duplicate key hash/,
    );
    assert.throws(build([{ hash }]), /clientId and hash are mandatory/);
    assert.throws(build([{ clientId: 'a', hash, allowedCidrs: ['10.0.0.0/33'] }]), /bad CIDR prefix/);
  });
});

describe('client address and IP lists', () => {
  const trusted = new AddressList(['10.0.0.0/8', '::1', '2001:db8::/32'], 'test');
  it('canonicalises the client address: mapped IPv4, ports, brackets, zones, RFC 5952; rejects non-addresses', () => {
    assert.equal(clientAddress('::ffff:192.0.2.7', undefined, undefined), '192.0.2.7');
    assert.equal(clientAddress('192.0.2.7:5555', undefined, undefined), '192.0.2.7');
    assert.equal(clientAddress('[2001:DB8::1]:443', undefined, undefined), '2001:db8::1');
    assert.equal(clientAddress('2001:0db8:0:0::1', undefined, undefined), '2001:db8::1');
    assert.equal(clientAddress('fe80::1%eth0', undefined, undefined), 'fe80::1');
    assert.equal(clientAddress('10.0.0.1', '2001:0DB9:0000::0:7', trusted), '2001:db9::7');
    assert.equal(clientAddress('unknown', undefined, undefined), undefined);
    assert.equal(clientAddress('_hidden', undefined, undefined), undefined);
  });
  it('lists match every spelling of an address, also an IPv4-mapped CIDR', () => {
    const list = new AddressList(['2001:0DB8::1', '::ffff:10.0.0.0/104'], 'test');
    for (const a of ['2001:db8::1', '2001:DB8:0:0::1', '[2001:db8:0000::1]:80', '10.1.2.3', '::ffff:a01:203']) {
      assert.equal(list.has(a), true, a);
    }
    assert.equal(list.has('11.0.0.1'), false);
    assert.throws(() => new AddressList(['::ffff:10.0.0.0/80'], 'test'), /bad CIDR prefix/);
  });
  it('uses the socket peer unless it is a trusted proxy', () => {
    assert.equal(clientAddress('203.0.113.9', '1.2.3.4', trusted), '203.0.113.9');
    assert.equal(clientAddress('203.0.113.9', '1.2.3.4', undefined), '203.0.113.9');
  });
  it('behind trusted proxies, takes the right-most untrusted X-Forwarded-For entry, never the spoofable left-most', () => {
    // client sent "1.1.1.1" itself; the real client 198.51.100.4 was appended by the proxy 10.0.0.2
    assert.equal(clientAddress('10.0.0.1', '1.1.1.1, 198.51.100.4, 10.0.0.2', trusted), '198.51.100.4');
    assert.equal(clientAddress('::ffff:10.0.0.1', '198.51.100.4', trusted), '198.51.100.4');
    assert.equal(clientAddress('::1', '2001:db9::5, 2001:db8:1::9', trusted), '2001:db9::5');
    // a malformed hop stops the walk at the proxy that added it
    assert.equal(clientAddress('10.0.0.1', '198.51.100.4, garbage, 10.0.0.2', trusted), '10.0.0.2');
    // everything trusted: the left-most (the first hop's view)
    assert.equal(clientAddress('10.0.0.1', '10.9.9.9, 10.0.0.2', trusted), '10.9.9.9');
  });
  it('allow/deny with CIDRs, deny wins, IPv4 and IPv6', () => {
    const f = new IpFilter(['192.0.2.0/24', '2001:db8::/32'], ['192.0.2.66']);
    assert.deepEqual(
      ['192.0.2.1', '192.0.2.66', '198.51.100.1', '2001:db8::7', '2001:db9::1', undefined].map(
        (a) => f.check(a).allowed,
      ),
      [true, false, false, true, false, false],
    );
    assert.equal(new IpFilter([], ['0.0.0.0/0']).check('8.8.8.8').allowed, false);
    assert.equal(new IpFilter([], []).active, false);
    assert.throws(
      () => new IpFilter(['300.1.1.1'], []),
      (e: unknown) => e instanceof RampartConfigError && e.option === 'ipFilter.allow[0]',
    );
  });
});

describe('API keys and IP filtering over HTTP', () => {
  const partner = generateApiKey({ prefix: 'partner_' });
  const office = generateApiKey();
  const servers: TestServer<any>[] = [];
  let server: TestServer<any>;
  const context = (ipFilter: Record<string, unknown>) =>
    authContext({
      authentication: {
        apiKeys: {
          keys: [
            { clientId: 'partner-integration', hash: partner.hash, scopes: ['orders:read'], roles: ['partner'] },
            { clientId: 'office-tool', hash: office.hash, scopes: ['admin'], allowedCidrs: ['192.0.2.0/24'] },
          ],
        },
      },
      ipFilter,
    }) as never;
  before(async () => {
    server = await startTestServer(
      { typeDefs: principalTypeDefs, resolvers: principalResolvers },
      { context: context({ trustedProxies: ['127.0.0.1'], deny: ['203.0.113.0/24'] }) },
    );
    servers.push(server);
  });
  after(async () => {
    for (const s of servers) await s.stop();
  });

  it('authenticates a key from x-api-key and from Authorization: ApiKey', async () => {
    for (const headers of [{ 'x-api-key': partner.key }, { authorization: `ApiKey ${partner.key}` }] as Record<
      string,
      string
    >[]) {
      const res = await postGraphQL(server.graphqlUrl, ME, { headers });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data.me, {
        id: 'partner-integration',
        kind: 'service',
        scopes: ['orders:read'],
        roles: ['partner'],
        clientId: 'partner-integration',
        ip: '127.0.0.1',
        authMethod: 'api-key',
      });
    }
  });

  it('rejects unknown, short, over-long and doubled keys with 401 and a challenge', async () => {
    const cases: Record<string, string>[] = [
      { 'x-api-key': generateApiKey().key },
      { 'x-api-key': 'short' },
      { 'x-api-key': `${partner.key}x` },
      { 'x-api-key': 'k'.repeat(5000) },
      { 'x-api-key': partner.key, authorization: `ApiKey ${partner.key}` },
      { 'x-api-key': partner.key, authorization: 'Bearer abc.def.ghi' },
    ];
    for (const headers of cases) {
      const res = await postGraphQL(server.graphqlUrl, ME, { headers });
      assert.equal(res.status, 401, JSON.stringify(headers).slice(0, 80));
      assert.equal(res.body.errors[0].extensions.code, 'UNAUTHENTICATED');
      assert.match(
        res.headers.get('www-authenticate') ?? '',
        /^Bearer realm="graphql", error="(invalid_token|invalid_request)"/,
      );
    }
  });

  it('resolves the client from X-Forwarded-For behind the trusted proxy and denies listed addresses with 403', async () => {
    const ok = await postGraphQL(server.graphqlUrl, ME, {
      headers: { 'x-forwarded-for': '203.0.113.5, 198.51.100.4' },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.data.me.ip, '198.51.100.4');
    const denied = await postGraphQL(server.graphqlUrl, ME, {
      headers: { 'x-forwarded-for': '198.51.100.4, 203.0.113.5' },
    });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.errors[0].extensions.code, 'FORBIDDEN');
    assert.equal(denied.body.data, undefined);
  });

  it('behind the trusted proxy, the principal ip is canonical and the lists match any spelling', async () => {
    const s = await startTestServer(
      { typeDefs: principalTypeDefs, resolvers: principalResolvers },
      { context: context({ trustedProxies: ['127.0.0.1'], deny: ['2001:db8::1', '203.0.113.0/24'] }) },
    );
    servers.push(s);
    const from = (ip: string, headers: Record<string, string> = {}) =>
      postGraphQL(s.graphqlUrl, ME, { headers: { ...headers, 'x-forwarded-for': ip } });
    for (const spelling of ['2001:DB8::2', '2001:0db8:0:0::2', '[2001:db8:0000:0:0:0:0:2]:443']) {
      const ok = await from(spelling);
      assert.equal(ok.status, 200, spelling);
      assert.equal(ok.body.data.me.ip, '2001:db8::2', spelling);
    }
    const mapped = await from('::ffff:c633:6404');
    assert.equal(mapped.status, 200);
    assert.equal(mapped.body.data.me.ip, '198.51.100.4');
    for (const spelling of ['2001:DB8::1', '2001:0db8:0:0::1', '::ffff:203.0.113.5', '::FFFF:CB00:7105']) {
      const denied = await from(spelling);
      assert.equal(denied.status, 403, spelling);
      assert.equal(denied.body.errors[0].extensions.code, 'FORBIDDEN');
    }
    const keyFrom = await from('::ffff:c000:20a', { 'x-api-key': office.key });
    assert.equal(keyFrom.status, 200);
    assert.deepEqual([keyFrom.body.data.me.id, keyFrom.body.data.me.ip], ['office-tool', '192.0.2.10']);
  });

  it('enforces per-key CIDRs with 403', async () => {
    const from = (ip: string) =>
      postGraphQL(server.graphqlUrl, ME, { headers: { 'x-api-key': office.key, 'x-forwarded-for': ip } });
    const inside = await from('192.0.2.10');
    assert.equal(inside.status, 200);
    assert.equal(inside.body.data.me.id, 'office-tool');
    const outside = await from('198.51.100.4');
    assert.equal(outside.status, 403);
    assert.equal(outside.body.errors[0].extensions.code, 'FORBIDDEN');
  });

  it('without trusted proxies, X-Forwarded-For is ignored', async () => {
    const s = await startTestServer(
      { typeDefs: principalTypeDefs, resolvers: principalResolvers },
      { context: context({ deny: ['198.51.100.0/24'] }) },
    );
    servers.push(s);
    const res = await postGraphQL(s.graphqlUrl, ME, { headers: { 'x-forwarded-for': '198.51.100.4' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.me.ip, '127.0.0.1');
    const allowOnly = await startTestServer(
      { typeDefs: principalTypeDefs, resolvers: principalResolvers },
      { context: context({ allow: ['192.0.2.0/24'] }) },
    );
    servers.push(allowOnly);
    assert.equal((await postGraphQL(allowOnly.graphqlUrl, ME)).status, 403);
  });
});

describe('authModule records decisions in the security state', () => {
  it('records ip-filter and auth decisions; required authentication refuses anonymous with a bare challenge', async () => {
    const { key, hash } = generateApiKey();
    const m = authModule({
      authentication: { apiKeys: { keys: [{ clientId: 'c', hash }] } },
      ipFilter: { allow: ['127.0.0.0/8'] },
    });
    const state = new SecurityState();
    await m.onRequest!(state, { headers: new Map([['x-api-key', key]]), remoteAddress: '127.0.0.1' });
    assert.equal(state.principal.id, 'c');
    assert.deepEqual(
      state.events.map((e) => [e.source, e.outcome]),
      [
        ['ip-filter', 'allowed'],
        ['auth', 'allowed'],
      ],
    );
    const denied = new SecurityState();
    await assert.rejects(
      Promise.resolve(m.onRequest!(denied, { headers: new Map(), remoteAddress: '198.51.100.1' })),
      (e: any) => e.extensions.code === 'FORBIDDEN' && e.extensions.http.status === 403,
    );
    assert.deepEqual(
      denied.events.map((e) => [e.source, e.outcome, e.code]),
      [['ip-filter', 'denied', 'FORBIDDEN']],
    );
    assert.equal(denied.events[0]?.details?.ip, '198.51.100.1');

    const required = authModule({ authentication: { required: true, apiKeys: { keys: [{ clientId: 'c', hash }] } } });
    const s3 = new SecurityState();
    await assert.rejects(
      Promise.resolve(required.onRequest!(s3, { headers: new Map(), remoteAddress: '127.0.0.1' })),
      (e: any) =>
        e.extensions.http.status === 401 &&
        e.extensions.http.headers.get('www-authenticate') === 'Bearer realm="graphql"',
    );
  });
});
