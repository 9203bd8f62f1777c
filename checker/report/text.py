"""The terminal report (Rich), sized to the terminal it runs in.

Reading order: the verdict; a tally of the rules that reported, by severity and count; the
results with their metric, accuracy and target; the findings grouped by result; the verdict
again. Which findings are listed is `show`: by default those that fail the run (errors, and
warnings under --strict), with a line saying how many were left out and how to list them.

Every string from the submission goes through `escape.term` (a Rich Text, escaped): markup
such as ``[link=…]`` and emoji codes stay literal, and control characters are shown as escapes.
"""

from __future__ import annotations

import io
import math
import os
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable

from rich import box
from rich.console import Console, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..findings import Finding, Report, ResultRecord, Severity
from .escape import term, visible

SHOW = ("errors", "warnings", "all")
STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
LABEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
WAIVED_STYLE = "cyan"
LISTED = {"errors": "errors", "warnings": "errors and warnings", "all": "all"}
# spaces Rich pads a line with, before any closing style codes
_TRAILING = re.compile(r"[ ]+((?:\x1b\[[0-9;]*m)*)$", re.MULTILINE)
NARROW = 100  # below this width results are listed on two lines each rather than in a table


def _fmt_value(v: float | None) -> str:
    if v is None:
        return "-"
    if not math.isfinite(v):
        return str(v)
    if v == int(v) and abs(v) < 1e12:
        return f"{int(v)}"
    return f"{v:.6g}"


def color_wanted(stream: object = None, flag: str = "auto") -> bool:
    """Colour for `stream`: --color always/never wins; then NO_COLOR, FORCE_COLOR, and a TTY."""
    if flag == "always":
        return True
    if flag == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    out = sys.stdout if stream is None else stream
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


def terminal_width(stream: object = None) -> int:
    """Rich's own width for `stream`: the terminal's, else $COLUMNS, else 80."""
    out = sys.stdout if stream is None else stream
    return Console(file=out).width  # type: ignore[arg-type]


def default_show(strict: bool) -> str:
    """The findings that fail the run: errors, and warnings too under --strict."""
    return "warnings" if strict else "errors"


def verdict(report: Report, strict: bool = False) -> tuple[str, str]:
    """(word, style) for the run: FAILED, FAILED (strict: N warnings), PASSED with warnings, PASSED."""
    s = report.summary
    if s["errors"]:
        return "FAILED", "bold red"
    if strict and s["warnings"]:
        return f"FAILED (strict: {s['warnings']} warning{'s' if s['warnings'] != 1 else ''})", "bold red"
    if s["warnings"]:
        return "PASSED with warnings", "bold yellow"
    return "PASSED", "bold green"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def verdict_line(report: Report, strict: bool = False) -> Text:
    """One line: the verdict, how many results are invalid, and the findings counted."""
    word, style = verdict(report, strict)
    s = report.summary
    line = Text()
    line.append(word, style=style)
    line.append("  ")
    if s["results"]:
        line.append(f"{s['invalid']} of {_plural(s['results'], 'result')} invalid; " if s["invalid"]
                    else f"{'all ' if s['results'] > 1 else ''}{_plural(s['results'], 'result')} valid; ")
    line.append(f"{_plural(s['errors'], 'error')}, {_plural(s['warnings'], 'warning')}, "
                f"{_plural(s['infos'], 'note')}" + (f", {s['waived']} waived" if s["waived"] else ""))
    return line


def _context_line(report: Report) -> Text:
    line = Text(style="dim")
    line.append(term(f"{report.tool} · {report.suite} {report.round} rules · root "))
    line.append(term(report.root))
    return line


def _tally(report: Report) -> Table:
    counts: Counter[tuple[Severity, str]] = Counter()
    waived: Counter[tuple[Severity, str]] = Counter()
    for f in report.findings:
        (waived if f.waived is not None else counts)[(f.severity, f.rule)] += 1
    keys = sorted(set(counts) | set(waived), key=lambda k: (-k[0].rank, -counts[k], k[1]))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True, overflow="fold")
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(no_wrap=True)
    for sev, rule in keys:
        n, w = counts[(sev, rule)], waived[(sev, rule)]
        # a rule whose every finding is waived is not shown as an error
        label = Text(LABEL[sev], style=STYLE[sev]) if n else Text("waived", style=WAIVED_STYLE)
        grid.add_row(label, term(rule), Text(f"×{n}" if n else ""),
                     Text(f"+{w} waived", style=WAIVED_STYLE) if w else Text(""))
    return grid


def _accuracy_cells(r: ResultRecord) -> tuple[str, str]:
    if r.accuracy is None:
        return "-", "-"
    shown = r.accuracy.rescored if r.accuracy.rescored is not None else r.accuracy.reported
    acc = _fmt_value(shown) + (" (re-scored)" if r.accuracy.rescored is not None else "")
    return acc, _fmt_value(r.accuracy.target)


def _metric_text(r: ResultRecord) -> str:
    if r.metric is None or r.metric.value is None:
        return "-"
    return f"{_fmt_value(r.metric.value)} {r.metric.unit}"


def _verdict_cell(r: ResultRecord) -> Text:
    return Text("valid", style="green") if r.valid else Text("INVALID", style="bold red")


def _results_table(report: Report, width: int) -> RenderableType:
    """A table when the terminal is wide; below NARROW columns, two lines per result (ids stay whole)."""
    if width < NARROW:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, min_width=7)
        grid.add_column(overflow="fold")
        for r in report.results:
            acc, target = _accuracy_cells(r)
            metric = _metric_text(r)
            line = "no metric" if metric == "-" else metric
            line += ", no accuracy" if r.accuracy is None else f", accuracy {acc} (target {target})"
            body = term(r.id)
            body.append("\n")
            body.append(term(line, "dim"))
            grid.add_row(_verdict_cell(r), body)
        return Padding(grid, (0, 0, 0, 1), expand=False)
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, expand=False)
    table.add_column("result", overflow="fold")
    table.add_column("benchmark", overflow="fold")
    table.add_column("scenario", overflow="fold")
    table.add_column("metric", overflow="fold", justify="right")
    table.add_column("accuracy", overflow="fold", justify="right")
    table.add_column("target", overflow="fold", justify="right")
    table.add_column("verdict", no_wrap=True)
    for r in report.results:
        acc, target = _accuracy_cells(r)
        table.add_row(term(r.id), term(r.benchmark), term(r.scenario or "-"), term(_metric_text(r)), term(acc),
                      term(target), _verdict_cell(r))
    return table


def _finding_body(f: Finding) -> Text:
    where = f.path + (f":{f.line}" if f.line else "")
    body = Text(overflow="fold")
    body.append(term(f.rule, "bold"))
    # the path once: left out when it is the result folder (the group's title) or the message names it
    if where and not (f.line is None and (f.path == f.result or (f.path and f.path in f.message))):
        body.append("  ")
        body.append(term(where, "dim"))
    body.append("\n")
    body.append(term(f.message))
    if f.waived is not None:
        body.append("\n")
        body.append(Text("waived: ", style=WAIVED_STYLE))
        body.append(term(f.waived, "italic"))
    return body


def _findings_grid(findings: Iterable[Finding]) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, min_width=7)
    grid.add_column(overflow="fold")
    for f in findings:
        label = Text("waived", style=WAIVED_STYLE) if f.waived is not None else Text(LABEL[f.severity],
                                                                                       style=STYLE[f.severity])
        grid.add_row(label, _finding_body(f))
    return grid


def _listed(f: Finding, show: str) -> bool:
    if f.waived is not None:
        return show == "all"
    if f.severity is Severity.ERROR:
        return True
    if f.severity is Severity.WARNING:
        return show in ("warnings", "all")
    return show == "all"


def _hidden_line(report: Report, show: str) -> Text | None:
    hidden: Counter[str] = Counter()
    for f in report.findings:
        if not _listed(f, show):
            hidden["waived" if f.waived is not None else LABEL[f.severity]] += 1
    if not hidden:
        return None
    parts = [_plural(hidden[k], k) if k != "waived" else f"{hidden[k]} waived"
             for k in ("warning", "note", "waived") if hidden[k]]
    how = "--show warnings (or --show all)" if hidden["warning"] and show == "errors" else "--show all"
    return Text(f"Not listed: {', '.join(parts)} (counted above); {how} lists them.", style="dim")


def render_text(report: Report, width: int | None = None, color: bool | None = None,
                show_info: bool = False, *, show: str | None = None, strict: bool = False) -> str:
    """The terminal report; plain text unless `color` (None: decided from the environment and stdout)."""
    if show is None:
        show = "all" if show_info else default_show(strict)
    if show not in SHOW:
        raise ValueError(f"show must be one of {', '.join(SHOW)}, not {show!r}")
    if color is None:
        color = color_wanted()
    if width is None:
        width = terminal_width()
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      color_system="standard" if color else None, markup=False, emoji=False, highlight=False,
                      soft_wrap=False, legacy_windows=False, force_interactive=False)
    head = verdict_line(report, strict)
    console.print(head)
    console.print(_context_line(report))
    if report.findings:
        console.print()
        console.print(Text("Rules that reported", style="bold"))
        console.print(Padding(_tally(report), (0, 0, 0, 2), expand=False))
        if any(f.source for f in report.findings):
            console.print(Text("  each rule's source (document, commit): mlcheck rules ID, or `source` in -f json",
                               style="dim"))
    if report.results:
        console.print()
        console.print(Text(f"Results ({len(report.results)})", style="bold"))
        console.print(_results_table(report, width))
    valid = {r.id: r.valid for r in report.results}
    groups: dict[str | None, list[Finding]] = defaultdict(list)
    for f in report.findings:
        if _listed(f, show):
            groups[f.result].append(f)
    if groups:
        console.print()
        console.print(Text(f"Findings ({LISTED[show]})", style="bold"))
    for key in sorted(groups, key=lambda k: (k is not None, k or "")):
        console.print()
        title = Text()
        if key is None:
            title.append("submission", style="bold")
            title.append(" (not tied to one result)", style="dim")
        else:
            title.append(term(key, "bold"))
            if key in valid:
                title.append("  ")
                title.append(Text("valid", style="green") if valid[key] else Text("INVALID", style="bold red"))
        console.print(title)
        console.print(Padding(_findings_grid(groups[key]), (0, 0, 0, 2), expand=False))
    hidden = _hidden_line(report, show)
    console.print()
    if hidden is not None:
        console.print(hidden)
    console.print(head)
    return _TRAILING.sub(r"\1", buf.getvalue())


def verdict_text(report: Report, strict: bool = False) -> str:
    """The verdict line as plain text (for stderr when the report goes to a file)."""
    return visible(verdict_line(report, strict).plain)
