"""`mlcheck report ROOT…`: validate each root and render the round-wide tables (inference or training)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError


def register(app: typer.Typer) -> None:
    """Add the report command to the CLI."""
    app.command("report")(report)


def report(
    roots: Annotated[list[Path], typer.Argument(help="Submission folders (a whole round, or several submitters).")],
    format: Annotated[str, typer.Option("--format", "-f", help="text, markdown, csv, json or html.")] = "text",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    known_absent: Annotated[Path | None, typer.Option("--known-absent", help="A file listing paths known to be absent.")] = None,
    round: Annotated[str | None, typer.Option("--round", help="The rules round, e.g. v0.5 (auto-detected).")] = None,
) -> None:
    """Results tables of a round: counts per benchmark and scenario, every result, frameworks by hardware."""
    from ..api import detect_suite, read_known_absent, validate
    from ..cli import write_output
    from ..options import ValidateOptions

    absent = read_known_absent(known_absent) if known_absent else frozenset()
    reports = []
    for root in roots:
        suite = detect_suite(root)
        reports.append(validate(root, ValidateOptions(suite=suite, round=round, known_absent=absent)))
    write_output(render_reports(reports, format), output)


def render_reports(reports: list, fmt: str) -> str:  # type: ignore[type-arg]
    """Dispatch by suite: inference tables here, training tables from checker.training.table."""
    from ..review.tables import FORMATS
    from ..suites.inference.tables import render_inference_report

    if fmt not in FORMATS:
        raise UsageError(f"unknown report format '{fmt}'", "Known formats: " + ", ".join(FORMATS))
    inference = [r for r in reports if r.suite == "inference"]
    training = [r for r in reports if r.suite == "training"]
    if training and fmt == "html":
        from ..review.html import render_html
        from ..suites.inference.tables import all_tables, build_tables

        t = build_tables(inference)
        rows = [{"submitter": x.submitter, "system": x.system, "benchmark": x.benchmark,
                 "metric": x.metric.value if x.metric else None} for rep in training for x in rep.results]
        return render_html(all_tables(t) if inference else [], t.raw_results, rows)
    parts = []
    if inference:
        parts.append(render_inference_report(inference, fmt))
    if training:
        try:
            table = importlib.import_module("checker.training.table")
        except ModuleNotFoundError as exc:
            raise UsageError("training reports are not available in this build",
                             "checker.training.table is missing; report inference roots only.") from exc
        parts.append(str(table.render_training_report(training, fmt)))
    return "\n".join(parts)
