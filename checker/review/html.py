"""One self-contained HTML page: sortable tables and server-side matplotlib plots inlined as SVG.

No network references: no scripts, fonts or styles are fetched; the few lines of JavaScript that
sort the tables are inline.
"""

from __future__ import annotations

import html
import io
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .tables import Table

_SORT_JS = """
document.querySelectorAll('table.sortable th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0], i = th.cellIndex;
    var asc = th.getAttribute('data-dir') !== 'asc';
    th.setAttribute('data-dir', asc ? 'asc' : 'desc');
    var key = function (tr) { var t = tr.cells[i].textContent.trim(), n = parseFloat(t.replace(/,/g, ''));
      return isNaN(n) ? t.toLowerCase() : n; };
    Array.from(body.rows).sort(function (a, b) { var x = key(a), y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1); }).forEach(function (tr) { body.appendChild(tr); });
  });
});
"""

_CSS = """
body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em 0;font-size:0.85em}
th,td{border:1px solid #bbb;padding:2px 6px;text-align:left}
th{background:#eee;cursor:pointer}
.plots{display:flex;flex-wrap:wrap;gap:1em}
.plot{border:1px solid #ddd;padding:4px}
.note{color:#666;font-style:italic}
"""


def _table_html(t: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in t.rows)
    note = f'<p class="note">{html.escape(t.note)}</p>' if t.note else ""
    return (f"<h2>{html.escape(t.title)}</h2>{note}<table class=\"sortable\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def svg_bar_chart(title: str, labels: list[str], values: list[float], xlabel: str) -> str:
    """A horizontal bar chart on a log scale, as an inline <svg> element (no XML prolog, no external refs)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0, 1.4 + 0.25 * max(len(labels), 1)))
    ax = fig.add_subplot()
    ax.barh(range(len(values)), values, color="#4a7ab5")
    ax.set_yticks(range(len(values)), labels=labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "mlcheck"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = svg[svg.find("<svg"):]  # drop the XML prolog and DOCTYPE (which name a remote DTD)
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    # inline SVG in HTML needs no namespace declarations; dropping them leaves no URL in the page
    return re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)


def _plots(results: list[dict[str, Any]], training: list[dict[str, Any]]) -> str:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in results:
        if r.get("metric") and r["metric"] > 0:
            groups.setdefault((r["benchmark_name"], r["scenario"]), []).append(r)
    blocks = []
    for (bench, scen), rows in sorted(groups.items()):
        rows.sort(key=lambda x: (x["metric"], x["submitter"], x["system"]))
        labels = [f"{x['submitter']} {x['system']}" + ("" if x["valid"] else " (invalid)") for x in rows]
        svg = svg_bar_chart(f"{bench} — {scen}", labels, [x["metric"] for x in rows], f"{rows[0]['unit']} (log)")
        blocks.append(f'<div class="plot" data-benchmark="{html.escape(bench)}" data-scenario="{scen}">{svg}</div>')
    tgroups: dict[str, list[dict[str, Any]]] = {}
    for r in training:
        if r.get("metric") and r["metric"] > 0:
            tgroups.setdefault(r["benchmark"], []).append(r)
    for bench, rows in sorted(tgroups.items()):
        rows.sort(key=lambda x: x["metric"])
        labels = [f"{x['submitter']} {x['system']}" for x in rows]
        svg = svg_bar_chart(f"{bench} — time to train", labels, [x["metric"] for x in rows], "minutes (log)")
        blocks.append(f'<div class="plot" data-benchmark="{html.escape(bench)}" data-training="1">{svg}</div>')
    if not blocks:
        return "<p>No results with a metric to plot.</p>"
    return '<div class="plots">' + "".join(blocks) + "</div>"


def render_html(tables: list[Table], results: list[dict[str, Any]], training: list[dict[str, Any]],
                title: str = "MLPerf results review") -> str:
    """The whole page: tables first, then one plot per benchmark and scenario (and per training benchmark)."""
    body = "".join(_table_html(t) for t in tables)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>{body}<h2>Plots</h2>"
            "<p class=\"note\">Per benchmark and scenario, the headline metric of each system on a log scale.</p>"
            f"{_plots(results, training)}<script>{_SORT_JS}</script></body></html>\n")
