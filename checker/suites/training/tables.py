"""The published training results table: one row per system, one column per benchmark, minutes.

A function of Reports (suite training): text (Rich), markdown, csv, json.
Marks: `*` a non-converged run is in the score (v0.6 counted them), `!` the result is invalid,
`absent` every log is missing from this copy, `-` no score could be computed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...engine.rules import available_rounds, load_ruleset
from ...errors import RulesetError, UsageError
from ...findings import Report, ResultRecord
from .kinds import REGISTRY
from .ruledata import TrainingRound

LEGEND = "* non-converged run(s) counted in the score   ! invalid result   absent: logs absent from this copy"


@dataclass
class Cell:
    """One benchmark of one system: minutes and marks."""

    minutes: float | None
    valid: bool
    nonconverged: int
    absent: int
    runs: int
    id: str

    def text(self) -> str:
        if self.minutes is None:
            s = "absent" if self.absent and self.absent == self.runs else "-"
        else:
            s = f"{self.minutes:.2f}"
        if self.nonconverged and self.minutes is not None:
            s += "*"
        if not self.valid:
            s += "!"
        return s

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "minutes": None if self.minutes is None else round(self.minutes, 2),
                "valid": self.valid, "nonconverged": self.nonconverged, "absent": self.absent, "runs": self.runs}


@dataclass
class Row:
    """One system of one submitter."""

    submitter: str
    system: str
    division: str
    status: str
    processor: str
    count: int | None
    software: str
    cells: dict[str, Cell] = field(default_factory=dict)

    def key(self) -> tuple[str, str, str]:
        return (self.division, self.submitter.lower(), self.system.lower())


def _cell(r: ResultRecord) -> Cell:
    score = r.extra.get("score") or {}
    minutes = score.get("minutes") if isinstance(score, dict) else None
    return Cell(minutes=float(minutes) if isinstance(minutes, (int, float)) else None, valid=r.valid,
                nonconverged=int(r.extra.get("nonconverged_counted", r.extra.get("nonconverged")) or 0), absent=int(r.extra.get("absent") or 0),
                runs=len(r.extra.get("runs") or []), id=r.id)


@dataclass(frozen=True)
class Columns:
    """The benchmark columns of a table: in the rounds' order, with their titles."""

    order: tuple[str, ...]
    titles: dict[str, str]

    def title(self, benchmark: str) -> str:
        return self.titles.get(benchmark, benchmark)


def columns(reports: list[Report]) -> Columns:
    """The benchmarks of the reports' rounds, then of every shipped round (oldest first), in their rules' order.

    A benchmark no round knows (a folder of the submitter's own) gets its folder name as title,
    after the known ones, alphabetically.
    """
    shipped = sorted((r for r in available_rounds("training") if "-" not in r),
                     key=lambda r: tuple(int(x) for x in re.findall(r"\d+", r)))
    order: dict[str, str] = {}
    for name in dict.fromkeys([*(rep.round for rep in reports), *shipped]):
        if name not in available_rounds("training"):
            continue  # a report of a rules file of the user's own
        try:
            rnd: TrainingRound = load_ruleset("training", name, REGISTRY, TrainingRound).model
        except RulesetError:
            continue
        for b, spec in rnd.training.benchmarks.items():
            order.setdefault(b, spec.title)
    return Columns(tuple(order), order)


def build_rows(reports: list[Report], cols: Columns | None = None) -> tuple[list[Row], list[str]]:
    """Rows (one per submitter x system) and the benchmark columns present, in the rounds' order."""
    rows: dict[tuple[str, str, str, str], Row] = {}
    benches: set[str] = set()
    for rep in reports:
        if rep.suite != "training":
            raise UsageError(f"the training table takes training reports, not {rep.suite} ({rep.root})")
        for r in rep.results:
            desc = r.extra.get("system_description") or {}
            # a row is one submitter's hardware and software (v0.5 submissions split one system by benchmark)
            system = str(r.extra.get("table_system") or r.system)
            key = (r.submitter, system, str(desc.get("software") or ""), r.division)
            row = rows.get(key)
            if row is not None and r.benchmark in row.cells:
                # two results of one benchmark on one system (v0.5 private and public MiniGo): own rows
                where = str(r.extra.get("submission") or r.id)
                system = f"{system} ({where.rsplit('/', 1)[-1]})"
                key = (r.submitter, system, key[2], key[3])
                row = rows.get(key)
            if row is None:
                count = desc.get("processor_count")
                row = Row(r.submitter, system, r.division, str(desc.get("status") or ""),
                          str(desc.get("processor") or ""), int(count) if isinstance(count, int) else None,
                          str(desc.get("software") or ""))
                rows[key] = row
            row.cells[r.benchmark] = _cell(r)
            benches.add(r.benchmark)
    known = (cols or columns(reports)).order
    order = [b for b in known if b in benches] + sorted(benches - set(known))
    return sorted(rows.values(), key=Row.key), order


def fixed_cells(row: Row) -> list[str]:
    """The row's cells before the benchmark columns (HEAD)."""
    proc = f"{row.processor} x{row.count}" if row.processor and row.count is not None else row.processor
    return [row.submitter, row.system, row.division, row.status, proc, row.software]


HEAD = ["Submitter", "System", "Division", "Status", "Processor (count)", "Software"]


def render_markdown(rows: list[Row], benches: list[str], cols: Columns) -> str:
    """A GitHub Markdown table with the legend below."""
    head = HEAD + [f"{cols.title(b)} (min)" for b in benches]

    from ...report.escape import md as esc

    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in HEAD) + "|" + "|".join("---:" for _ in benches)
             + "|"]
    for row in rows:
        cells = [row.cells[b].text() if b in row.cells else "" for b in benches]
        lines.append("| " + " | ".join([*map(esc, fixed_cells(row)), *cells]) + " |")  # cells: our numbers and marks
    return "\n".join(lines) + "\n\n" + LEGEND + "\n"


def render_csv(rows: list[Row], benches: list[str], cols: Columns) -> str:
    """CSV: minutes as numbers with two decimals, and a flags column per benchmark."""
    from ...report.escape import csv_cell

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    head = ["submitter", "system", "division", "status", "processor", "processor_count", "software"]
    for b in benches:
        head += [f"{b}_minutes", f"{b}_flags"]
    w.writerow(head)
    for row in rows:
        out: list[Any] = [csv_cell(row.submitter), csv_cell(row.system), csv_cell(row.division),
                          csv_cell(row.status), csv_cell(row.processor), "" if row.count is None else row.count,
                          csv_cell(row.software)]
        for b in benches:
            c = row.cells.get(b)
            if c is None:
                out += ["", ""]
                continue
            flags = [f for f, on in (("nonconverged", c.nonconverged > 0), ("invalid", not c.valid),
                                     ("absent", c.absent > 0)) if on]
            out += ["" if c.minutes is None else f"{c.minutes:.2f}", ";".join(flags)]
        w.writerow(out)
    return buf.getvalue()


def render_json(rows: list[Row], benches: list[str], cols: Columns) -> str:
    """JSON: the benchmark columns and one object per row."""
    doc = {
        "benchmarks": benches,
        "rows": [{"submitter": r.submitter, "system": r.system, "division": r.division, "status": r.status,
                  "processor": r.processor, "processor_count": r.count, "software": r.software,
                  "results": {b: r.cells[b].to_dict() for b in benches if b in r.cells}} for r in rows],
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def render_text(rows: list[Row], benches: list[str], cols: Columns) -> str:
    """A Rich table, rendered to plain text at a width that fits it."""
    from rich.console import Console
    from rich.table import Table

    from ...report.escape import term

    table = Table(title="MLPerf Training results (minutes to train)", show_lines=False)
    for h in HEAD:
        table.add_column(h, overflow="fold")
    for b in benches:
        table.add_column(cols.title(b), justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*map(term, fixed_cells(row)), *[row.cells[b].text() if b in row.cells else "" for b in benches])
    buf = io.StringIO()
    console = Console(file=buf, width=max(120, 40 + 14 * len(benches) + 90), force_terminal=False,
                      color_system=None, legacy_windows=False, markup=False, emoji=False)
    console.print(table)
    console.print(LEGEND)
    return buf.getvalue()


TABLE_FORMATS: dict[str, Callable[[list[Row], list[str], Columns], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "csv": render_csv,
    "json": render_json,
}


def render_training_report(reports: list[Report], fmt: str) -> str:
    """The results table of one or more training Reports in `fmt` (text, markdown, csv, json)."""
    fn = TABLE_FORMATS.get(fmt)
    if fn is None:
        raise UsageError(f"unknown table format '{fmt}'", "Known formats: " + ", ".join(TABLE_FORMATS) + ".")
    cols = columns(reports)
    rows, benches = build_rows(reports, cols)
    return fn(rows, benches, cols)
