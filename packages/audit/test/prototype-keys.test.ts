import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ownProperty } from '@rampart/core';
import { postGraphQL } from '@rampart/testing';
import { startAudited } from './helpers.js';

// Request variables are untrusted JSON: `JSON.parse` makes "__proto__", "constructor" and "prototype"
// own keys. Bodies are sent as raw JSON text so those keys reach the server as written, and the
// records are read back from a real (synchronously written) file.

type Started = Awaited<ReturnType<typeof startAudited>>;
const USER = { 'x-test-user': 'u-42' };
const dir = mkdtempSync(join(tmpdir(), 'rampart-audit-proto-'));
const path = join(dir, 'audit.log');

function body(query: string, variablesJson: string): string {
  return `{"query":${JSON.stringify(query)},"variables":${variablesJson}}`;
}

/** Every line of the audit file, as text and parsed (JSON.parse keeps "__proto__" as an own key). */
function lines(): { text: string; records: Record<string, any>[] } {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  return {
    text,
    records: text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  };
}

/** The records written since `from` characters of the file. */
function since(from: number): { text: string; records: Record<string, any>[] } {
  const all = lines();
  const text = all.text.slice(from);
  return {
    text,
    records: text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  };
}

/** Keys of every object in a JSON value, depth first, as paths (same order as the JSON text). */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  const out: string[] = [];
  for (const k of Object.keys(value)) {
    out.push(`${prefix}/${k}`);
    out.push(...keyPaths(ownProperty(value, k), `${prefix}/${k}`));
  }
  return out;
}

describe('audit records of variables with prototype-like keys', () => {
  let s: Started;
  before(async () => {
    s = await startAudited({
      destination: path,
      level: 'response',
      rules: [{ level: 'response', records: ['field'] }],
    });
  });
  after(async () => {
    await s.server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a "__proto__" entry in an input object cannot smuggle a @sensitive value into the record', async () => {
    const from = lines().text.length;
    const variables =
      '{"c":{"__proto__":{"number":"4111111111111111","holder":"Proto"},"number":"4222222222222222","holder":"Ada"}}';
    const r = await postGraphQL(s.url, body('mutation P($c: CardInput!) { placeOrder(card: $c) { id } }', variables), {
      headers: USER,
    });
    assert.equal(r.status, 400, 'graphql-js refuses the unknown input field "__proto__"');
    const { text, records } = since(from);
    const op = records.find((x) => x.event.action === 'graphql.operation') as Record<string, any>;
    const logged = op.graphql.variables;
    assert.equal(
      JSON.stringify(logged),
      '{"c":{"__proto__":{"number":"[REDACTED]","holder":"Proto"},"number":"[REDACTED]","holder":"Ada"}}',
    );
    // The record has exactly the keys the request's JSON has.
    assert.deepEqual(keyPaths(logged), keyPaths(JSON.parse(variables)));
    for (const secret of ['4111111111111111', '4222222222222222']) assert.ok(!text.includes(secret), secret);
  });

  it('prototype keys nested in input objects and lists are redacted by the same rules, at any depth', async () => {
    const from = lines().text.length;
    const variables = JSON.stringify({
      f: {
        text: 'shoes',
        nested: [
          { text: 'a', card: { number: '6011000000000001', holder: 'x' } },
          {
            text: 'b',
            constructor: { card: { number: '6011000000000002' } },
            prototype: { number: '6011000000000003' },
          },
        ],
        card: { holder: 'y', number: '6011000000000005' },
      },
    }).replace('{"text":"shoes"', '{"__proto__":{"nested":[{"card":{"number":"6011000000000004"}}]},"text":"shoes"');
    const r = await postGraphQL(s.url, body('query S($f: SearchInput) { search(filter: $f) { id } }', variables), {
      headers: USER,
    });
    assert.equal(r.status, 400);
    const { text, records } = since(from);
    const op = records.find((x) => x.event.action === 'graphql.operation') as Record<string, any>;
    const logged = op.graphql.variables;
    assert.deepEqual(keyPaths(logged), keyPaths(JSON.parse(variables)));
    const f = ownProperty(logged, 'f') as Record<string, any>;
    assert.equal(JSON.stringify(ownProperty(f, '__proto__')), '{"nested":[{"card":{"number":"[REDACTED]"}}]}');
    assert.equal(f.nested[1].text, 'b');
    assert.equal(JSON.stringify(ownProperty(f.nested[1], 'constructor')), '{"card":{"number":"[REDACTED]"}}');
    assert.equal(JSON.stringify(ownProperty(f.nested[1], 'prototype')), '{"number":"[REDACTED]"}');
    for (let i = 1; i <= 5; i++) assert.ok(!text.includes(`601100000000000${i}`), `card ${i} must not be logged`);
  });

  it('backstop names inside a "__proto__" entry are redacted too', async () => {
    const from = lines().text.length;
    const variables = '{"input":{"__proto__":{"password":"hunter2","ssn":"123-45-6789"},"name":"Ada"}}';
    await postGraphQL(
      s.url,
      body('mutation U($input: ProfileInput!) { updateProfile(input: $input) { id } }', variables),
      { headers: USER },
    );
    const { text, records } = since(from);
    const op = records.find((x) => x.event.action === 'graphql.operation') as Record<string, any>;
    assert.equal(
      JSON.stringify(op.graphql.variables),
      '{"input":{"__proto__":{"password":"[REDACTED]","ssn":"[REDACTED]"},"name":"Ada"}}',
    );
    assert.ok(!text.includes('hunter2') && !text.includes('123-45-6789'));
  });

  it('top-level "__proto__": an undeclared entry is left out, a declared $__proto__ is redacted by its type', async () => {
    const from = lines().text.length;
    const variables =
      '{"__proto__":{"number":"4000000000000001","c":{"number":"4000000000000002"}},' +
      '"c":{"number":"4000000000000003","holder":"Ada"}}';
    const r1 = await postGraphQL(s.url, body('mutation P($c: CardInput!) { placeOrder(card: $c) { id } }', variables), {
      headers: USER,
    });
    assert.equal(r1.status, 200);
    const declared = '{"__proto__":{"number":"4000000000000004","holder":"Bo"},"e":"a@b.c","constructor":"pw-123"}';
    const r2 = await postGraphQL(
      s.url,
      body(
        'mutation Q($__proto__: CardInput!, $e: String!, $constructor: String!) { placeOrder(card: $__proto__) { id } login(email: $e, password: $constructor) }',
        declared,
      ),
      { headers: USER },
    );
    assert.equal(r2.status, 200);
    assert.deepEqual(r2.body.data, { placeOrder: { id: 'o9' }, login: 'session-abc' });
    const { text, records } = since(from);
    const ops = records.filter((x) => x.event.action === 'graphql.operation');
    assert.equal(JSON.stringify(ops[0]?.graphql.variables), '{"c":{"number":"[REDACTED]","holder":"Ada"}}');
    assert.equal(
      JSON.stringify(ops[1]?.graphql.variables),
      '{"__proto__":{"number":"[REDACTED]","holder":"Bo"},"e":"a@b.c","constructor":"[REDACTED]"}',
    );
    const place = records.filter((x) => x.graphql.field?.coordinate === 'Mutation.placeOrder');
    for (const p of place)
      assert.deepEqual(p.graphql.arguments, {
        card: { number: '[REDACTED]', holder: ownProperty(p.graphql.arguments.card, 'holder') },
      });
    for (let i = 1; i <= 4; i++) assert.ok(!text.includes(`400000000000000${i}`), `card ${i} must not be logged`);
    assert.ok(!text.includes('pw-123'));
  });

  it('a response key "__proto__" (an alias) is summarised under its own key', async () => {
    const from = lines().text.length;
    await postGraphQL(s.url, { query: '{ __proto__: me { id } constructor: plain }' }, { headers: USER });
    const { records } = since(from);
    const op = records.find((x) => x.event.action === 'graphql.operation') as Record<string, any>;
    assert.equal(
      JSON.stringify(op.graphql.result),
      '{"data":"present","fields":{"__proto__":{"type":"object"},"constructor":{"type":"scalar"}}}',
    );
  });
});
