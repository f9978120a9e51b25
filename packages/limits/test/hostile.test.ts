// The hostile corpus against the analyzer directly (the HTTP side is in plugin.test.ts): every case
// is analyzed with linear work (asserted on the work counter, not on time: time is measured by
// bench/limits) and refused with the expected code.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'graphql';
import { analyzeLimits } from '../src/index.js';
import { hostileCorpus } from './corpus.js';
import { shopSchema } from './fixtures.js';

const schema = shopSchema();

describe('hostile corpus, analyzer directly', () => {
  for (const c of hostileCorpus()) {
    it(c.name, () => {
      const doc = parse(c.query, { maxTokens: 10_000_000 });
      const a = analyzeLimits(schema, doc, { variables: c.variables });
      // Linear: at most two work units per character of the document.
      assert.ok(a.work <= 2 * c.query.length, `work ${a.work} for ${c.query.length} characters`);
      assert.equal(a.violations[0]?.code ?? null, c.code, JSON.stringify(a.violations[0] ?? a.problems));
    });
  }
  it('the 2^30-expansion DAG is counted, not expanded', () => {
    const c = hostileCorpus().find((x) => x.name.includes('fields between') && x.name.includes('DAG')) as {
      query: string;
    };
    const a = analyzeLimits(schema, parse(c.query), { depth: false });
    assert.equal(a.height, 2 + (2 ** 31 - 2) + 2 ** 30);
    assert.equal(a.violations[0]?.rule, 'aliases');
  });
  it('the same-key sibling fields merge into one (height 2), with linear work', () => {
    const c = hostileCorpus().find((x) => x.name === '150,000 sibling fields (same key)') as { query: string };
    const a = analyzeLimits(schema, parse(c.query, { maxTokens: 10_000_000 }));
    assert.equal(a.height, 2);
  });
  it('a work budget stops documents beyond it with MAX_HEIGHT_LIMIT', () => {
    const c = hostileCorpus().find((x) => x.name === '150,000 sibling fields (aliased)') as { query: string };
    const a = analyzeLimits(schema, parse(c.query, { maxTokens: 10_000_000 }), { workBudget: 1000 });
    assert.equal(a.violations[0]?.rule, 'workBudget');
    assert.equal(a.violations[0]?.code, 'MAX_HEIGHT_LIMIT');
    assert.ok(a.work <= 1001);
  });
});
