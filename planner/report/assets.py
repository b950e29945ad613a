"""The report's inline CSS and JavaScript (no external resources, no libraries)."""

CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
       "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")

CSS = """
:root { --ink: #1d2430; --muted: #5b6575; --line: #d8dde5; --band: #f4f6f9; --accent: #1f5fa8; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 0 24px 48px; color: var(--ink);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { border-bottom: 3px solid var(--accent); padding: 20px 0 12px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 32px 0 8px; font-size: 20px; border-bottom: 1px solid var(--line); }
h3 { margin: 20px 0 6px; font-size: 16px; }
.lede, .note, figcaption, footer { color: var(--muted); }
nav { margin: 10px 0 0; } nav a { margin-right: 14px; color: var(--accent); }
ul.findings li { margin: 3px 0; }
.scroll { overflow-x: auto; max-height: 560px; overflow-y: auto; border: 1px solid var(--line); }
table { border-collapse: collapse; font-size: 12.5px; width: 100%; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
thead th { position: sticky; top: 0; background: var(--band); text-align: left; cursor: pointer;
           user-select: none; }
thead th[aria-sort="ascending"]::after { content: " \\25B2"; font-size: 10px; }
thead th[aria-sort="descending"]::after { content: " \\25BC"; font-size: 10px; }
tbody tr:nth-child(even) { background: #fafbfc; }
tbody tr.muted { color: var(--muted); }
figure { margin: 18px 0; } figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dt { font-weight: 600; } dd { margin: 0; font-family: ui-monospace, monospace; word-break: break-all; }
footer { margin-top: 40px; border-top: 1px solid var(--line); padding-top: 8px; font-size: 12px; }
@media print { .scroll { max-height: none; overflow: visible; } thead th { position: static; } }
"""

# Runs first: records uncaught errors on <html data-js-errors> so a headless check can see them.
ERROR_TRAP = """
window.addEventListener("error", function (event) {
  var root = document.documentElement;
  root.setAttribute("data-js-errors", (root.getAttribute("data-js-errors") || "") +
                    (event.message || "error") + ";");
});
"""

# Click (or Enter on) a header to sort its table; again to reverse. Numbers sort numerically
# by their data-v value; blanks and text sort after numbers. Stable.
SORT = """
(function () {
  "use strict";
  function key(cell) {
    var raw = cell.getAttribute("data-v");
    if (raw === null) { raw = cell.textContent.trim(); }
    var n = Number(raw);
    return raw !== "" && !isNaN(n) ? n : raw.toLowerCase();
  }
  function compare(a, b) {
    var an = typeof a === "number", bn = typeof b === "number";
    if (an && bn) { return a - b; }
    if (an !== bn) { return an ? -1 : 1; }
    return a < b ? -1 : (a > b ? 1 : 0);
  }
  function sortBy(table, th, index) {
    var body = table.tBodies[0];
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    Array.prototype.forEach.call(th.parentNode.cells, function (h) {
      h.setAttribute("aria-sort", "none");
    });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var rows = Array.prototype.map.call(body.rows, function (row, i) {
      return [key(row.cells[index]), i, row];
    });
    rows.sort(function (x, y) { return dir * compare(x[0], y[0]) || x[1] - y[1]; });
    rows.forEach(function (x) { body.appendChild(x[2]); });
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      th.setAttribute("aria-sort", "none");
      th.tabIndex = 0;
      th.title = "Click to sort";
      th.addEventListener("click", function () { sortBy(table, th, index); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortBy(table, th, index);
        }
      });
    });
  });
  document.documentElement.setAttribute("data-sortable-tables", String(tables.length));
})();
"""
