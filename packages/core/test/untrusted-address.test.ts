import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKey, canonicalAddress, createDictionary, hasOwnKey, ownProperty, toDictionary } from '@rampart/core';

describe('untrusted JSON', () => {
  const hostile = JSON.parse('{"__proto__":{"first":5},"constructor":{"x":1},"a":1}') as Record<string, unknown>;

  it('ownProperty reads own keys only, never the prototype chain', () => {
    assert.equal(ownProperty(hostile, 'first'), undefined);
    assert.deepEqual(ownProperty(hostile, '__proto__'), { first: 5 });
    assert.equal(ownProperty(hostile, 'a'), 1);
    assert.equal(ownProperty({}, 'toString'), undefined);
    assert.equal(ownProperty({}, '__proto__'), undefined);
    assert.equal(ownProperty(null, 'a'), undefined);
    assert.equal(ownProperty('text', 'length'), undefined);
    assert.equal(hasOwnKey({}, 'hasOwnKey'), false);
  });

  it('dictionaries have no prototype and keep "__proto__" as an ordinary key', () => {
    const copy = toDictionary(hostile);
    assert.equal(Object.getPrototypeOf(copy), null);
    assert.deepEqual(Object.keys(copy), ['__proto__', 'constructor', 'a']);
    assert.equal((copy as Record<string, unknown>).first, undefined);
    const d = createDictionary<number>();
    const key = '__proto__';
    d[key] = 1;
    assert.equal(Object.getPrototypeOf(d), null);
    assert.deepEqual(Object.keys(d), ['__proto__']);
  });
});

describe('addresses', () => {
  it('every spelling of an address has one canonical text (RFC 5952)', () => {
    for (const spelling of [
      '2001:DB8::1',
      '2001:0db8:0000:0000:0000:0000:0000:0001',
      '[2001:db8::1]:8080',
      '2001:db8:0::0:1',
    ]) {
      assert.equal(canonicalAddress(spelling), '2001:db8::1');
    }
    assert.equal(canonicalAddress('fe80::1%eth0'), 'fe80::1');
    assert.equal(canonicalAddress('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(canonicalAddress('::ffff:a00:1'), '10.0.0.1');
    assert.equal(canonicalAddress('10.0.0.1:443'), '10.0.0.1');
    assert.equal(canonicalAddress('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
    assert.equal(canonicalAddress('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1');
    assert.equal(canonicalAddress('not an address'), undefined);
    assert.equal(canonicalAddress(''), undefined);
  });

  it('IPv6 keys aggregate to the prefix; IPv4 stays whole', () => {
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:DB8:1:2:bbbb::9'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8:1:2:bbbb::9', 48), '2001:db8:1::/48');
    assert.equal(addressKey('2001:db8:1:2:bbbb::9', 56), '2001:db8:1::/56');
    assert.equal(addressKey('2001:db8:1:2ff:bbbb::9', 56), '2001:db8:1:200::/56');
    assert.equal(addressKey('2001:db8::9', 128), '2001:db8::9');
    assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey(undefined), 'unknown');
    assert.equal(addressKey('junk'), 'unknown');
  });
});
