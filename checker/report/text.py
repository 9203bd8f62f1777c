"""The terminal report (Rich): a per-result table and the findings grouped by result."""

from __future__ import annotations

import io
import math
import os
from collections import defaultdict

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..findings import Finding, Report, Severity

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
LABEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}


def _fmt_value(v: float | None) -> str:
    if v is None:
        return "-"
    if not math.isfinite(v):
        return str(v)
    if v == int(v) and abs(v) < 1e12:
        return f"{int(v)}"
    return f"{v:.6g}"


def render_text(report: Report, width: int | None = None, color: bool | None = None,
                show_info: bool = False) -> str:
    """Render for a terminal; plain text when not on one (color=None decides from the environment)."""
    buf = io.StringIO()
    if color is None:
        color = bool(os.environ.get("FORCE_COLOR")) and not os.environ.get("NO_COLOR")
    if width is None:
        # wide enough that result ids (folder paths) are not folded mid-name
        longest = max((len(r.id) for r in report.results), default=0)
        width = max(140, longest + 95)
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      highlight=False, soft_wrap=False)
    console.print(f"[bold]mlcheck[/] {report.suite} {report.round} — {escape(report.root)}")
    if report.results:
        table = Table(show_lines=False, header_style="bold")
        for col in ("result", "benchmark", "scenario", "metric", "accuracy", "target", "verdict"):
            table.add_column(col, overflow="fold")
        for r in report.results:
            metric = f"{_fmt_value(r.metric.value)} {r.metric.unit}" if r.metric else "-"
            acc = "-"
            target = "-"
            if r.accuracy is not None:
                shown = r.accuracy.rescored if r.accuracy.rescored is not None else r.accuracy.reported
                acc = _fmt_value(shown)
                if r.accuracy.rescored is not None:
                    acc += " (re-scored)"
                target = _fmt_value(r.accuracy.target)
            verdict = "[green]valid[/]" if r.valid else "[bold red]INVALID[/]"
            table.add_row(escape(r.id), r.benchmark, r.scenario, metric, acc, target, verdict)
        console.print(table)
    groups: dict[str | None, list[Finding]] = defaultdict(list)
    for f in report.findings:
        if f.severity is Severity.INFO and not show_info:
            continue
        groups[f.result].append(f)
    for key in sorted(groups, key=lambda k: (k is not None, k or "")):
        console.print()
        console.print(f"[bold]{escape(key) if key else 'submission'}[/]")
        for f in groups[key]:
            where = f.path + (f":{f.line}" if f.line else "")
            console.print(f"  [{STYLE[f.severity]}]{LABEL[f.severity]:7}[/] {f.rule:34} {escape(f.message)}")
            console.print(f"  {'':7} {'':34} [dim]at {escape(where)}[/]")
            if f.source:
                console.print(f"  {'':7} {'':34} [dim]rule from {escape(f.source)}[/]")
    s = report.summary
    console.print()
    line = (f"{s['results']} results: {s['valid']} valid, {s['invalid']} invalid; "
            f"{s['errors']} errors, {s['warnings']} warnings, {s['infos']} notes")
    if s["errors"]:
        console.print(f"[bold red]FAILED[/] {line}")
    elif s["warnings"]:
        console.print(f"[yellow]PASSED with warnings[/] {line}")
    else:
        console.print(f"[green]PASSED[/] {line}")
    return buf.getvalue()
