import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { rampart, workspace } from './bin.js';
import { chromium, readPng, requireChromium } from './report-chromium.js';
import { HOSTILE_SDL } from './report-fixtures.js';

const ws = workspace('rampart-report-html-');
after(() => rmSync(ws.dir, { recursive: true, force: true }));
ws.file('hostile.graphql', HOSTILE_SDL);
const page = join(ws.dir, 'report.html');
const url = pathToFileURL(page).href;

before(() => {
  requireChromium();
  const r = rampart(['report', '--schema', 'hostile.graphql', '--format', 'html', '--out', 'report.html'], ws.dir);
  assert.equal(r.code, 0, r.err);
});

/** The ids of the coordinate rows, in DOM order. */
function rowIds(dom: string): string[] {
  return [...dom.matchAll(/<tr id="(c-[^"]+)"/g)].map((m) => m[1] as string);
}

describe('rampart report --format html', () => {
  it('is one self-contained page: inline style and script, no external URL', () => {
    const html = readFileSync(page, 'utf8');
    assert.doesNotMatch(html, /https?:|\bsrc=|<link\b|@import/);
    assert.equal(html.match(/<script>/g)?.length, 1);
    assert.equal(html.match(/<style>/g)?.length, 1);
  });
  it('renders the counts, the findings linked to their rows, and a row per coordinate', () => {
    const dom = chromium(['--dump-dom', url]);
    for (const [sev, n] of [
      ['high', 3],
      ['medium', 2],
      ['low', 1],
      ['coordinates', 10],
    ] as const) {
      assert.match(dom, new RegExp(`id="count-${sev}"><span class="n">${n}</span>`), sev);
    }
    const ids = rowIds(dom);
    assert.equal(ids.length, 10);
    assert.equal(ids[0], 'c-Mutation.deleteUser');
    const links = [...dom.matchAll(/<li id="finding-\d+" class="finding (\w+)">.*?<a href="#([^"]+)">/g)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    assert.deepEqual(links, [
      'high c-Mutation.deleteUser',
      'high c-Mutation.login',
      'high c-User.email',
      'medium c-Mutation.login_password__',
      'medium c-Query.tags',
      'low c-User.manager',
    ]);
    for (const link of links) assert.ok(ids.includes(link.split(' ')[1] as string), link);
  });
  it('renders a description with <script> as text', () => {
    const dom = chromium(['--dump-dom', url]);
    assert.match(dom, /<div class="desc">Contact &lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; more<\/div>/);
    assert.doesNotMatch(dom, /<script>alert/);
  });
  it('sorts the table from the URL hash at load (#sort=severity, #sort=-coordinate)', () => {
    const bySeverity = chromium(['--dump-dom', `${url}#sort=severity`]);
    assert.match(bySeverity, /<table id="coordinates" data-sorted="severity">/);
    assert.match(bySeverity, /<th data-key="severity" scope="col" aria-sort="ascending">/);
    assert.deepEqual(rowIds(bySeverity).slice(0, 6), [
      'c-Mutation.deleteUser',
      'c-Mutation.login',
      'c-User.email',
      'c-Mutation.login_password__',
      'c-Query.tags',
      'c-User.manager',
    ]);
    const descending = rowIds(chromium(['--dump-dom', `${url}#sort=-coordinate`]));
    assert.deepEqual(descending, [...rowIds(bySeverity)].sort().reverse());
  });
  it('takes a screenshot of the given size that is not blank', () => {
    const png = join(ws.dir, 'report.png');
    chromium([`--screenshot=${png}`, '--window-size=1280,900', url]);
    assert.ok(existsSync(png));
    const info = readPng(png);
    assert.deepEqual([info.width, info.height], [1280, 900]);
    assert.ok(info.colours > 20, `only ${info.colours} colours`);
  });
});
