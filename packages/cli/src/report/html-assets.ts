/**
 * The inline stylesheet and script of the HTML report (no network: nothing is fetched). The script
 * sorts the coordinates table when a header is clicked (again: the other direction) and at load from
 * the URL hash (`#sort=severity`, `#sort=-coordinate` for descending), so a link keeps its order.
 */

/** The stylesheet. */
export const REPORT_CSS = `
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; background: #f6f7f9; }
body { margin: 0 auto; max-width: 1400px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; }
.sources { color: #5a6272; margin: 0; font-size: 13px; }
#summary { display: flex; gap: 12px; margin-top: 16px; flex-wrap: wrap; }
.count { border-radius: 8px; padding: 12px 20px; min-width: 110px; background: #fff; border: 1px solid #d9dde5; }
.count .n { display: block; font-size: 32px; font-weight: 700; }
.count.high { background: #fde8e8; border-color: #e8a0a0; color: #8a1c1c; }
.count.medium { background: #fff4dd; border-color: #e8c680; color: #7a4d00; }
.count.low { background: #e8f1fd; border-color: #9fbde8; color: #1c4a8a; }
.sev { display: inline-block; border-radius: 4px; padding: 1px 6px; font-size: 12px; font-weight: 600; text-transform: uppercase; }
.sev.high { background: #c62828; color: #fff; } .sev.medium { background: #ef8f00; color: #fff; } .sev.low { background: #2f6fc4; color: #fff; }
#findings ol { padding-left: 22px; } #findings li { margin: 6px 0; }
.fix { color: #3c6e3c; font-size: 13px; } .rule { color: #5a6272; font-size: 12px; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 13px; }
th, td { border-bottom: 1px solid #e3e6ec; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #eceff4; cursor: pointer; user-select: none; position: sticky; top: 0; }
th[aria-sort="ascending"]::after { content: " \\25B2"; } th[aria-sort="descending"]::after { content: " \\25BC"; }
td.coordinate { font-family: ui-monospace, Menlo, monospace; } .desc { color: #5a6272; font-family: system-ui, sans-serif; }
tr:target { outline: 2px solid #2f6fc4; background: #eef4ff; } .public { color: #8a1c1c; }
`;

/** The script (sorting). */
export const REPORT_JS = `
(function () {
  var table = document.getElementById('coordinates');
  var body = table.tBodies[0];
  var headers = table.tHead.rows[0].cells;
  function value(row, key) { return row.getAttribute('data-' + key) || ''; }
  function sort(key, descending) {
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = key === 'severity';
    rows.sort(function (a, b) {
      var x = value(a, key), y = value(b, key);
      var c = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      if (c === 0) c = value(a, 'coordinate').localeCompare(value(b, 'coordinate'));
      return descending ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    for (var i = 0; i < headers.length; i++) {
      var k = headers[i].getAttribute('data-key');
      if (k === key) headers[i].setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      else headers[i].removeAttribute('aria-sort');
    }
    table.setAttribute('data-sorted', (descending ? '-' : '') + key);
  }
  for (var i = 0; i < headers.length; i++) {
    headers[i].addEventListener('click', function (event) {
      var key = event.currentTarget.getAttribute('data-key');
      var descending = table.getAttribute('data-sorted') === key;
      sort(key, descending);
      if (history.replaceState) history.replaceState(null, '', '#sort=' + (descending ? '-' : '') + key);
    });
  }
  var match = /^#sort=(-?)([a-z]+)$/.exec(location.hash);
  if (match && table.tHead.querySelector('[data-key="' + match[2] + '"]')) sort(match[2], match[1] === '-');
})();
`;
