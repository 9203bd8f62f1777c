"""The review page: one self-contained HTML file with sortable tables and server-side matplotlib SVG plots.

`render_review(reports, context)` is what `mlcheck report --format html` writes: a header (round,
suite, ruleset digest, mlcheck version, date, roots, every option used, verdict counts), the
round's tables, every result with its accuracy and target and, when invalid, the error rule ids
that make it so (linked to the findings, and highlighted), one chart per division, benchmark and
scenario (MLPerf never compares closed with open), and the findings.

No network references: no scripts, fonts or styles are fetched; the few lines of JavaScript that
sort the tables are inline. Every string from a submission is escaped (escape.html_text), and plot
labels too (escape.plot_label: matplotlib reads $…$ as math); a chart that cannot be drawn becomes
a note, never a failed report.
"""

from __future__ import annotations

import io
import math
import os
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..findings import Finding, Report, ResultRecord, Severity
from ..report.escape import html_text as esc
from ..report.escape import plot_label

if TYPE_CHECKING:
    from .tables import Table

# Sorting keeps rows marked "total" at the bottom, whatever the column and direction.
_SORT_JS = """
document.querySelectorAll('table.sortable th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0], i = th.cellIndex;
    var asc = th.getAttribute('data-dir') !== 'asc';
    table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('data-dir'); });
    th.setAttribute('data-dir', asc ? 'asc' : 'desc');
    var key = function (tr) { var c = tr.cells[i]; var t = c ? (c.getAttribute('data-sort') || c.textContent).trim() : '';
      var n = parseFloat(t.replace(/,/g, '')); return isNaN(n) ? t.toLowerCase() : n; };
    var rows = Array.from(body.rows), totals = rows.filter(function (tr) { return tr.classList.contains('total'); });
    rows.filter(function (tr) { return !tr.classList.contains('total'); }).sort(function (a, b) {
      var x = key(a), y = key(b);
      if (typeof x !== typeof y) { x = String(x); y = String(y); }
      return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
    }).concat(totals).forEach(function (tr) { body.appendChild(tr); });
  });
});
"""

_CSS = """
body{font-family:sans-serif;margin:1.5em;color:#222}
header{border-bottom:2px solid #444;margin-bottom:1em;padding-bottom:0.5em}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 1em;font-size:0.9em}
dl.meta dt{font-weight:bold}
dl.meta dd{margin:0}
table{border-collapse:collapse;margin:0.5em 0 1.5em 0;font-size:0.85em}
th,td{border:1px solid #bbb;padding:2px 6px;text-align:left}
th{background:#eee;cursor:pointer}
th[data-dir=asc]::after{content:" \\25B2"}
th[data-dir=desc]::after{content:" \\25BC"}
td.num{text-align:right;white-space:nowrap}
tr.total td{font-weight:bold;background:#f4f4f4}
tr.invalid td{background:#fde2e2}
td.invalid{background:#fde2e2}
.verdict-invalid{color:#a00;font-weight:bold}
.plots{display:flex;flex-wrap:wrap;gap:1em}
.plot{border:1px solid #ddd;padding:4px}
.note{color:#666;font-style:italic}
.counts td{text-align:right}
li.error b{color:#a00}
li.warning b{color:#8a6d00}
li:target{background:#ffef9f}
code{font-size:0.95em}
"""


@dataclass
class PageContext:
    """What the header states about the run that made the page."""

    roots: list[str] = field(default_factory=list)
    options: list[tuple[str, str]] = field(default_factory=list)  # (option, value as shown)
    generated: str = ""  # ISO date; SOURCE_DATE_EPOCH when set, for reproducible pages
    version: str = ""
    title: str = "MLPerf results review"


def generated_at() -> str:
    """Now in UTC, or SOURCE_DATE_EPOCH when set (a page that can be rebuilt byte for byte)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch and epoch.isdigit() else datetime.now(UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")


# ------------------------------------------------------------------------------ tables

def _table_html(t: Table, table_id: str = "") -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in t.header)
    rows = []
    for r in t.rows:
        cls = ' class="total"' if r and r[0] == "total" else ""
        rows.append(f"<tr{cls}>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>")
    note = f'<p class="note">{esc(t.note)}</p>' if t.note else ""
    tid = f' id="{esc(table_id)}"' if table_id else ""
    return (f"<h3>{esc(t.title)}</h3>{note}<table class=\"sortable\"{tid}><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


# ------------------------------------------------------------------------------ plots

def _tick(v: float, _pos: object = None) -> str:
    """A compact tick label: 2k, 50k, 1.5M, 0.2."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


def svg_bar_chart(title: str, labels: list[str], values: list[float], xlabel: str,
                  lower_is_better: bool = False, invalid: list[bool] | None = None) -> str:
    """A horizontal bar chart on a log scale, as an inline <svg> element (no XML prolog, no external refs).

    Best first (at the top); major ticks only, labelled compactly: 1, 2 and 5 per decade when the
    view spans under three decades, decades only beyond that, so that tick labels never overlap.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

    fig = Figure(figsize=(6.0, 1.5 + 0.25 * max(len(labels), 1)))
    ax = fig.add_subplot()
    bad = invalid or [False] * len(values)
    colors = ["#c44" if b else "#4a7ab5" for b in bad]
    ax.barh(range(len(values)), values, color=colors)
    ax.set_yticks(range(len(values)), labels=[plot_label(x) for x in labels], fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    lo, hi = min(values), max(values)
    # at least a decade in view, so that 1-2-5 ticks always give two labels or more (with fewer,
    # matplotlib falls back to crowded linear ticks)
    left, right = lo / 3, hi * 3
    ax.set_xlim(left, right)
    decades = math.log10(right) - math.log10(left)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if decades < 3 else (1.0,), numticks=12))
    ax.xaxis.set_major_formatter(FuncFormatter(_tick))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(plot_label(xlabel + (" — lower is better" if lower_is_better else " — higher is better")),
                  fontsize=8)
    if title:  # the page titles each chart in HTML; a chart drawn for elsewhere can carry its own
        ax.set_title(plot_label(title), fontsize=9)
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


def _lower_is_better(unit: str, metric_name: str = "") -> bool:
    return unit in ("ms", "s", "minutes", "min") or metric_name.startswith("latency")


LABEL_MAX = 48  # characters of a bar's label; the tables hold the full names


def _short(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[:LABEL_MAX - 1] + "…"


def _chart(attrs: dict[str, str], title: str, rows: list[dict[str, Any]], unit: str, lower: bool,
           draw: Callable[..., str]) -> str:
    rows = sorted(rows, key=lambda x: (x["metric"] if lower else -x["metric"], x["submitter"], x["system"]))
    labels = [_short(f"{x['submitter']} {x['system']}") + ("" if x.get("valid", True) else " (invalid)") for x in rows]
    attr = "".join(f' data-{k}="{esc(v)}"' for k, v in attrs.items())
    attr += f' data-better="{"lower" if lower else "higher"}"'
    try:
        svg = draw("", labels, [float(x["metric"]) for x in rows], f"{unit} (log scale)", lower,
                   [not x.get("valid", True) for x in rows])
    except Exception as exc:  # noqa: BLE001 - a plot is an illustration: never why a review page is missing
        return (f'<div class="plot failed"{attr}><p class="note">{esc(title)}: this chart could not be drawn '
                f"({esc(type(exc).__name__)}: {esc(exc)}); the table above holds its values.</p></div>")
    return f'<div class="plot"{attr}><p><b>{esc(title)}</b></p>{svg}</div>'


def _plots(results: list[dict[str, Any]], training: list[dict[str, Any]],
           draw: Callable[..., str] = svg_bar_chart) -> str:
    """One chart per division, benchmark and scenario (inference) or division and benchmark (training)."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        m = r.get("metric")
        if isinstance(m, (int, float)) and math.isfinite(m) and m > 0:
            groups[(str(r.get("division", "")).lower(), r["benchmark_name"], r["scenario"])].append(r)
    blocks = []
    for (div, bench, scen), rows in sorted(groups.items()):
        unit = str(rows[0].get("unit") or "")
        lower = _lower_is_better(unit)
        blocks.append(_chart({"division": div, "benchmark": bench, "scenario": scen},
                             f"{div} division — {bench} — {scen}", rows, unit, lower, draw))
    tgroups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in training:
        m = r.get("metric")
        if isinstance(m, (int, float)) and math.isfinite(m) and m > 0:
            tgroups[(str(r.get("division", "")).lower(), r["benchmark"])].append(r)
    for (div, bench), rows in sorted(tgroups.items()):
        blocks.append(_chart({"division": div, "benchmark": bench, "training": "1"},
                             f"{div} division — {bench} — time to train", rows, "minutes", True, draw))
    if not blocks:
        return '<p class="note">No results with a metric to plot.</p>'
    return '<div class="plots">' + "".join(blocks) + "</div>"


def _num(v: float | None) -> str:
    if v is None:
        return ""
    if not math.isfinite(v):
        return str(v)
    return f"{v:.4g}" if abs(v) < 1000 else f"{v:,.0f}"


def _acc(v: float | None) -> str:
    """An accuracy or target as the rules state it (75.6954, not 75.7)."""
    return "" if v is None else f"{v:.6g}"


class _Anchors:
    """Ids for the findings listed on the page, so that a result's reasons can link to them."""

    def __init__(self) -> None:
        self.ids: dict[int, str] = {}

    def of(self, f: Finding) -> str:
        return self.ids.setdefault(id(f), f"f{len(self.ids) + 1}")


def _reasons(report: Report) -> dict[str, list[Finding]]:
    """result id -> the error findings that make it invalid (its own, and those of files it depends on)."""
    by_path: dict[str, list[Finding]] = defaultdict(list)
    own: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        if f.severity is not Severity.ERROR or f.waived is not None:
            continue
        if f.result is not None:
            own[f.result].append(f)
        else:
            by_path[f.path].append(f)
    return {r.id: own.get(r.id, []) + [f for d in r.depends for f in by_path.get(d, [])] for r in report.results}


def _header(reports: list[Report], ctx: PageContext) -> str:
    rounds = sorted({f"{r.suite} {r.round}" for r in reports})
    digests = sorted({(f"{r.suite} {r.round}", str(r.ruleset.get("digest", ""))) for r in reports})
    files = sorted({f for r in reports for f in r.ruleset.get("files", [])})
    total: defaultdict[str, int] = defaultdict(int)
    for r in reports:
        for k, v in r.summary.items():
            total[k] += v
    meta: list[tuple[str, str]] = [
        ("round", ", ".join(rounds) or "-"),
        ("suite", ", ".join(sorted({r.suite for r in reports})) or "-"),
        ("ruleset", "; ".join(f"{n}: sha256 {d[:16]}…" if d else f"{n}: (no digest)" for n, d in digests)
         + (f" ({', '.join(files)})" if files else "")),
        ("mlcheck", ctx.version or (reports[0].tool if reports else "")),
        ("date", ctx.generated or generated_at()),
        ("root" if len(ctx.roots or reports) == 1 else "roots", ", ".join(ctx.roots or [r.root for r in reports])),
    ]
    meta += ctx.options
    dl = "".join(f"<dt>{esc(k)}</dt><dd data-field=\"{esc(k)}\">{esc(v)}</dd>" for k, v in meta)
    keys = ("results", "valid", "invalid", "errors", "warnings", "infos", "waived")
    names = {"infos": "notes"}
    counts = ("<table class=\"counts\" id=\"verdict-counts\"><thead><tr>"
              + "".join(f"<th>{names.get(k, k)}</th>" for k in keys) + "</tr></thead><tbody><tr>"
              + "".join(f"<td data-count=\"{k}\">{total[k]}</td>" for k in keys) + "</tr></tbody></table>")
    verdict = "FAILED" if total["errors"] else ("passed with warnings" if total["warnings"] else "passed")
    return (f"<header id=\"run\"><h1>{esc(ctx.title)}</h1>"
            f"<p id=\"verdict\" class=\"{'verdict-invalid' if total['errors'] else ''}\">{esc(verdict)}: "
            f"{total['invalid']} of {total['results']} results invalid</p>"
            f"<dl class=\"meta\">{dl}</dl>{counts}</header>")


def _accel(r: ResultRecord) -> str:
    sysd: dict[str, Any] = r.extra.get("system_description") or {}
    acc = str(sysd.get("accelerator_model_name") or "")
    n = sysd.get("accelerators_per_node")
    if acc and n not in (None, 0, "0"):
        return f"{acc} x{n}"
    return acc or str(sysd.get("host_processor_model_name") or "")


def _inference_results(reports: list[Report], anchors: _Anchors) -> str:
    head = ["division", "submitter", "system", "accelerator", "benchmark", "scenario", "metric", "accuracy",
            "target", "verdict", "why invalid"]
    rows = []
    for rep in reports:
        reasons = _reasons(rep)
        for r in rep.results:
            metric = f"{_num(r.metric.value)} {r.metric.unit}".strip() if r.metric else ""
            acc = r.accuracy
            shown = (acc.rescored if acc.rescored is not None else acc.reported) if acc else None
            accuracy = _acc(shown) + (" (re-scored)" if acc and acc.rescored is not None else "")
            target = _acc(acc.target) if acc else ""
            if acc and acc.target is None and r.division.lower() == "open":
                target = "none (open)"
            why: dict[str, Finding] = {}
            for f in reasons.get(r.id, []):
                why.setdefault(f.rule, f)
            links = ", ".join(f'<a href="#{anchors.of(f)}"><code>{esc(rule)}</code></a>' for rule, f in why.items())
            cls = "" if r.valid else ' class="invalid"'
            verdict = "valid" if r.valid else '<span class="verdict-invalid">INVALID</span>'
            cells = [esc(r.division), esc(r.submitter), esc(r.system), esc(_accel(r)), esc(r.benchmark),
                     esc(r.scenario)]
            rows.append(f'<tr{cls} data-result="{esc(r.id)}">' + "".join(f"<td>{c}</td>" for c in cells)
                        + f'<td class="num" data-sort="{r.metric.value if r.metric and r.metric.value else ""}">'
                        f"{esc(metric)}</td><td class=\"num\">{esc(accuracy)}</td><td class=\"num\">{esc(target)}"
                        f"</td><td>{verdict}</td><td class=\"why\">{links}</td></tr>")
    return ("<h3>Every result</h3><p class=\"note\">Accuracy as re-scored when ground truth was given, else as "
            "reported, with the round's target (reference × fraction; the open division has none). An invalid "
            "result lists the error rules that make it so, linked to the findings.</p>"
            "<table class=\"sortable\" id=\"results\"><thead><tr>" + "".join(f"<th>{h}</th>" for h in head)
            + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _training_table(reports: list[Report]) -> tuple[str, list[dict[str, Any]]]:
    """The round's published results table, with its invalid marks; and the rows for the charts."""
    from ..suites.training.tables import HEAD, LEGEND, build_rows, columns, fixed_cells

    cols = columns(reports)
    rows, benches = build_rows(reports, cols)
    head = "".join(f"<th>{esc(h)}</th>" for h in [*HEAD, *(f"{cols.title(b)} (min)" for b in benches)])
    body = []
    for row in rows:
        cells = "".join(f"<td>{esc(c)}</td>" for c in fixed_cells(row))
        for b in benches:
            c = row.cells.get(b)
            if c is None:
                cells += "<td></td>"
                continue
            cls = "num" + ("" if c.valid else " invalid")
            cells += (f'<td class="{cls}" data-result="{esc(c.id)}" data-sort="{"" if c.minutes is None else c.minutes}"'
                      f">{esc(c.text())}</td>")
        body.append(f"<tr>{cells}</tr>")
    table = ("<h3>MLPerf Training results (minutes to train)</h3>"
             f"<p class=\"note\">{esc(LEGEND)}</p><table class=\"sortable\" id=\"training-results\"><thead><tr>"
             f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
    plot_rows = [{"submitter": row.submitter, "system": row.system, "division": row.division, "benchmark": cols.title(b),
                  "metric": c.minutes, "valid": c.valid} for row in rows for b, c in row.cells.items()]
    return table, plot_rows


def _findings(reports: list[Report], anchors: _Anchors) -> str:
    parts = []
    notes = 0
    for rep in reports:
        groups: dict[str | None, list[Finding]] = defaultdict(list)
        for f in rep.findings:
            if f.severity is Severity.INFO and f.waived is None:
                notes += 1
                continue
            groups[f.result].append(f)
        for key in sorted(groups, key=lambda k: (k is not None, k or "")):
            items = []
            for f in groups[key]:
                label = "waived" if f.waived is not None else f.severity.value
                where = f.path + (f":{f.line}" if f.line else "")
                waived = f" — waived: {esc(f.waived)}" if f.waived is not None else ""
                items.append(f'<li id="{anchors.of(f)}" class="{esc(label)}" data-rule="{esc(f.rule)}"><b>{label}</b> '
                             f"<code>{esc(f.rule)}</code> <code>{esc(where)}</code>: {esc(f.message)}{waived}</li>")
            title = esc(key) if key else f"{esc(rep.root)} (not tied to one result)"
            parts.append(f"<h4>{title}</h4><ul>{''.join(items)}</ul>")
    note = f'<p class="note">{notes} notes are not listed (the JSON report of `mlcheck validate` has them).</p>'
    return "<h2 id=\"findings\">Findings</h2>" + note + "".join(parts)


def render_review(reports: list[Report], ctx: PageContext, draw: Callable[..., str] = svg_bar_chart) -> str:
    """The whole review page for validated reports (inference and training)."""
    anchors = _Anchors()
    inference = [r for r in reports if r.suite == "inference"]
    training = [r for r in reports if r.suite == "training"]
    body = [_header(reports, ctx)]
    plot_results: list[dict[str, Any]] = []
    plot_training: list[dict[str, Any]] = []
    if inference:
        from ..suites.inference.tables import build_tables

        t = build_tables(inference)
        body.append("<h2 id=\"inference\">Inference</h2>")
        body += [_table_html(x) for x in (*t.counts, *t.valid_counts, t.matrix, t.unknown) if x is not None]
        body.append(_inference_results(inference, anchors))
        plot_results = t.raw_results
    if training:
        body.append("<h2 id=\"training\">Training</h2>")
        table, plot_training = _training_table(training)
        body.append(table)
    body.append("<h2 id=\"plots\">Plots</h2><p class=\"note\">One chart per division, benchmark and scenario "
                "(MLPerf does not compare closed with open results), the headline metric of each system on a "
                "log scale, best first; invalid results in red.</p>")
    body.append(_plots(plot_results, plot_training, draw))
    body.append(_findings(reports, anchors))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(ctx.title)}</title><style>{_CSS}</style></head><body>"
            + "".join(body) + f"<script>{_SORT_JS}</script></body></html>\n")
