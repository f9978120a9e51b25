import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postGraphQL } from '@rampart/testing';
import { nameMatcher, REPLACEMENT, sanitizeString, sanitizeValue, traceIdFrom } from '../src/sanitize.js';
import { rawPost, startAudited } from './helpers.js';

type Started = Awaited<ReturnType<typeof startAudited>>;
const USER = { 'x-test-user': 'u-42' };
const TOP_LEVEL = new Set([
  'log.level',
  '@timestamp',
  'message',
  'event',
  'http',
  'trace',
  'user',
  'client',
  'user_agent',
  'graphql',
  'error',
  'rampart',
  'seq',
  'chain',
  'prev',
  'mac',
]);

describe('sanitising untrusted strings', () => {
  it('neutralises CR, LF, ANSI escapes, C1 controls, U+2028/2029, bidi overrides and lone surrogates', () => {
    const hostile = 'a\r\nb\u001b[31mc\u009b1md\u2028e\u2029f\u202eg\ud800h\udc00i';
    const out = sanitizeString(hostile, 1000);
    assert.equal(
      out,
      `a${REPLACEMENT}${REPLACEMENT}b${REPLACEMENT}[31mc${REPLACEMENT}1md${REPLACEMENT}e${REPLACEMENT}f${REPLACEMENT}g${REPLACEMENT}h${REPLACEMENT}i`,
    );
    assert.equal(sanitizeString('emoji 😀 ok', 100), 'emoji 😀 ok', 'valid surrogate pairs are kept');
  });
  it('caps length and says by how much', () => {
    assert.equal(sanitizeString('x'.repeat(30), 10), `${'x'.repeat(10)}…[+20]`);
  });
  it('copies a __proto__ key as plain data, never as a prototype', () => {
    const v = sanitizeValue(JSON.parse('{"__proto__": {"polluted": true}, "a\\nb": 1}'), {
      maxStringLength: 100,
      maxItems: 10,
      maxDepth: 5,
    }) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(v), null, 'a dictionary: no prototype to change');
    assert.deepEqual(Object.keys(v), ['__proto__', `a${REPLACEMENT}b`]);
    assert.equal(JSON.stringify(v), `{"__proto__":{"polluted":true},"a${REPLACEMENT}b":1}`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
  it('the name backstop matches long names anywhere and short names exactly', () => {
    const m = nameMatcher(['password', 'token', 'pin', 'ssn']);
    assert.ok(m('newPassword'));
    assert.ok(m('x_api_TOKEN'));
    assert.ok(m('PIN'));
    assert.ok(!m('shipping'));
    assert.ok(!m('className'));
  });
  it('keeps only the trace id of a well-formed traceparent', () => {
    assert.equal(
      traceIdFrom('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'),
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    assert.equal(traceIdFrom('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nX: y'), undefined);
    assert.equal(traceIdFrom('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), undefined);
  });
});

describe('schema-driven redaction at request and response level', () => {
  let s: Started;
  before(async () => {
    s = await startAudited({ level: 'request', rules: [{ level: 'request', records: ['field'] }] });
  });
  after(async () => {
    await s.server.stop();
  });

  it('redacts a variable that flows into a @sensitive argument, though its type is a plain String', async () => {
    s.sink.clear();
    await postGraphQL(
      s.url,
      {
        query: 'mutation L($e: String!, $p: String!) { login(email: $e, password: $p) }',
        variables: { e: 'ada@example.com', p: 'hunter2' },
      },
      { headers: USER },
    );
    const [field, op] = s.sink.records as Record<string, any>[];
    assert.deepEqual(op?.graphql.variables, { e: 'ada@example.com', p: '[REDACTED]' });
    assert.deepEqual(field?.graphql.arguments, { email: 'ada@example.com', password: '[REDACTED]' });
    assert.ok(!s.sink.lines.join('\n').includes('hunter2'));
  });

  it('redacts @sensitive input fields and backstop names at any depth of nested inputs and lists', async () => {
    s.sink.clear();
    const input = {
      name: 'Ada',
      ssn: '123-45-6789',
      keys: [
        { label: 'github', apiToken: 'ghp_topsecret1' },
        { label: 'npm', apiToken: 'npm_topsecret2' },
      ],
    };
    const card = { number: '4111111111111111', holder: 'Ada L' };
    await postGraphQL(
      s.url,
      {
        query:
          'mutation U($input: ProfileInput!, $card: CardInput!) { updateProfile(input: $input) { id } placeOrder(card: $card, note: "gift") { id } }',
        variables: { input, card, undeclared: 'never logged' },
      },
      { headers: USER },
    );
    const records = s.sink.records as Record<string, any>[];
    const op = records.find((r) => r.event.action === 'graphql.operation') as Record<string, any>;
    assert.deepEqual(op.graphql.variables, {
      input: {
        name: 'Ada',
        ssn: '[REDACTED]',
        keys: [
          { label: 'github', apiToken: '[REDACTED]' },
          { label: 'npm', apiToken: '[REDACTED]' },
        ],
      },
      card: { number: '[REDACTED]', holder: 'Ada L' },
    });
    const place = records.find((r) => r.graphql.field?.coordinate === 'Mutation.placeOrder') as Record<string, any>;
    assert.deepEqual(place.graphql.arguments, { card: { number: '[REDACTED]', holder: 'Ada L' }, note: 'gift' });
    const text = s.sink.lines.join('\n');
    for (const secret of ['123-45-6789', 'ghp_topsecret1', 'npm_topsecret2', '4111111111111111', 'never logged']) {
      assert.ok(!text.includes(secret), `${secret} must not be logged`);
    }
  });

  it('redacts inline literals inside lists of nested inputs (field arguments)', async () => {
    s.sink.clear();
    await postGraphQL(
      s.url,
      {
        query: 'mutation { placeOrder(card: { number: "5500000000000004", holder: "Bob" }) { id } }',
      },
      { headers: USER },
    );
    const field = (s.sink.records as Record<string, any>[]).find((r) => r.event.action === 'graphql.field');
    assert.deepEqual(field?.graphql.arguments, { card: { number: '[REDACTED]', holder: 'Bob' } });
    assert.ok(!s.sink.lines.join('\n').includes('5500000000000004'));
  });

  it('a variable used inside a nested input literal at a @sensitive position is redacted', async () => {
    s.sink.clear();
    await postGraphQL(
      s.url,
      {
        query:
          'query S($n: String!, $t: String) { search(filter: { text: $t, nested: [{ card: { number: $n, holder: "x" } }] }) { id } }',
        variables: { n: '6011000000000004', t: 'shoes' },
      },
      { headers: USER },
    );
    const op = s.sink.records.find((r) => r.event.action === 'graphql.operation') as Record<string, any>;
    assert.deepEqual(op.graphql.variables, { n: '[REDACTED]', t: 'shoes' });
  });
});

describe('log injection', () => {
  let s: Started;
  before(async () => {
    s = await startAudited({ level: 'response' });
  });
  after(async () => {
    await s.server.stop();
  });

  it('hostile names, headers, variables and error messages cannot forge keys, lines or terminal output', async () => {
    s.sink.clear();
    const evil =
      'x","log.level":"fatal","@timestamp":"1970","message":"forged\r\n{"log.level":60}\u001b[2J\u2028\u2029\ud800';
    const status = await rawPost(
      s.url,
      {
        query:
          'query Q($level: String, $time: String!) { search(filter: { text: $level, tags: [$time] }) { id } boom }',
        operationName: 'Q',
        variables: JSON.parse(
          JSON.stringify({ level: evil, time: evil, msg: evil }).replace('{', `{"__proto__":${JSON.stringify(evil)},`),
        ),
      },
      {
        ...USER,
        // obs-text bytes reach the server as C1 controls: 0x9b is CSI, 0x85 is NEL.
        'user-agent': 'ua \u009b31m red \u0085 next',
        'x-request-id': 'bad id\twith tab',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "x":"y',
      },
    );
    assert.equal(status, 200);
    // A syntactically invalid document whose operationName is hostile: the raw name is logged sanitised.
    await postGraphQL(s.url, { query: '{', operationName: evil }, { headers: USER });
    assert.equal(s.sink.lines.length, 2);
    for (const line of s.sink.lines) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the test.
      assert.ok(!/[\r\u001b\u0085\u009b\u2028\u2029]/.test(line), 'no raw CR, ESC, CSI, NEL, U+2028/2029 in a line');
      assert.ok(!/\\u001b|\\r|\\n|\\ud800|\\u2028|\\u009b/i.test(line), 'not even as JSON escapes');
      const r = JSON.parse(line) as Record<string, any>;
      for (const key of Object.keys(r)) assert.ok(TOP_LEVEL.has(key), `unexpected top-level key ${key}`);
      // Lines carry no `log.level` and no `message` (it would repeat `event.action`): none can be forged either.
      assert.equal(r['log.level'], undefined);
      assert.equal(r.message, undefined);
      assert.notEqual(r['@timestamp'], '1970');
      assert.match(r.event.action, /^graphql\./);
      // Duplicate keys would make JSON.parse keep the last one: check the raw text too.
      assert.equal(line.split('"log.level":').length, 1);
      assert.equal(line.split('"@timestamp":').length, 2);
    }
    const op = s.sink.records[0] as Record<string, any>;
    assert.equal(op.graphql.variables.level.includes('\r'), false);
    assert.equal(op.user_agent.original, 'ua \uFFFD31m red \uFFFD next');
    assert.equal(op.graphql.variables.msg, undefined, 'undeclared variables are not logged');
    assert.equal(op.trace, undefined, 'a malformed traceparent is dropped');
    assert.match(op.http.request.id, /^[0-9a-f-]{36}$/, 'a malformed x-request-id is replaced');
    assert.deepEqual(op.error.code, ['BOOM']);
    assert.ok(op.error.message[0].startsWith('exploded'));
    const bad = s.sink.records[1] as Record<string, any>;
    assert.ok(bad.graphql.operation.name.startsWith('x","log.level'));
    assert.equal(bad['log.level'], undefined);
  });
});
