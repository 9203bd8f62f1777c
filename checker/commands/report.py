"""`mlcheck report ROOT…`: validate each root and render the round-wide tables (inference or training)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ..findings import Report

FORMATS = ("text", "markdown", "csv", "json", "html")


def register(app: typer.Typer) -> None:
    """Add the report command to the CLI."""
    app.command("report")(report)


def report(
    roots: Annotated[list[Path], typer.Argument(metavar="ROOTS...", help="Submission folders (a whole round, or "
                                                "several submitters).")],
    format: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="One of: "
                                        + ", ".join(FORMATS) + " (html: the review page with charts).")] = "text",
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="PATH", help="Write here instead of "
                                                "stdout (never inside a ROOT).")] = None,
    known_absent: Annotated[Path | None, typer.Option("--known-absent", metavar="PATH", help="A file listing "
                                                      "paths known to be absent, relative to the tree's top "
                                                      "folder or to each ROOT.")] = None,
    round: Annotated[str | None, typer.Option("--round", metavar="ROUND", help="The rules round, e.g. v0.5 "
                                              "(detected from the tree).")] = None,
    dataset: Annotated[list[str], typer.Option("--dataset", metavar="NAME=PATH", help="Ground truth to re-score "
                                               "inference accuracy logs with: imagenet, coco or wmt16.")] = [],
    waivers: Annotated[Path | None, typer.Option("--waivers", metavar="PATH", help="YAML list of {rule, path, "
                                                 "justification}: matching findings do not make a result "
                                                 "invalid.")] = None,
) -> None:
    """Results tables of a round: counts per benchmark and scenario, every result, frameworks by hardware."""
    from ..api import detect_suite, validate
    from ..options import ValidateOptions
    from ..waivers import load_waivers
    from .common import check_outputs, load_known_absent, parse_datasets, write_output
    from .rules import check_rule_options

    if format not in FORMATS:
        raise UsageError(f"unknown report format '{format}'", "Known formats: " + ", ".join(FORMATS))
    if output is not None:
        check_outputs([("--output", output)], roots)
    datasets = parse_datasets(dataset)
    waiver_list = tuple(load_waivers(waivers)) if waivers else ()
    reports = []
    absent_counts = []
    for root in roots:
        suite = detect_suite(root)
        if datasets and suite == "inference":
            check_rule_options(root, suite, round, None, (), (), datasets)
        absent = load_known_absent(known_absent, root)
        absent_counts.append(len(absent))
        reports.append(validate(root, ValidateOptions(suite=suite, round=round, known_absent=absent,
                                                      datasets=datasets if suite == "inference" else {},
                                                      waivers=waiver_list)))
    options = _options_used(known_absent, absent_counts, datasets, waivers, reports, round)
    write_output(render_reports(reports, format, options, [str(r) for r in roots]), output)
    if output is not None and sys.stderr.isatty():
        s = {k: sum(r.summary[k] for r in reports) for k in ("results", "invalid", "errors")}
        sys.stderr.write(f"wrote {output}: {s['results']} results, {s['invalid']} invalid, {s['errors']} errors\n")


def _options_used(known_absent: Path | None, absent_counts: list[int], datasets: dict[str, Path],
                  waivers: Path | None, reports: list[Report], round: str | None) -> list[tuple[str, str]]:
    """Every option of the run, as the review page's header states it."""
    matched = sum(int(w.get("matched", 0)) for r in reports for w in r.waivers)
    listed = len(reports[0].waivers) if reports else 0
    return [
        ("--round", round or "detected from the tree"),
        ("--known-absent", f"{known_absent} ({max(absent_counts, default=0)} paths)" if known_absent else "none"),
        ("--dataset", ", ".join(f"{k}={v}" for k, v in sorted(datasets.items())) or "none (accuracy as reported)"),
        ("--waivers", f"{waivers} ({listed} waivers, {matched} findings waived)" if waivers else "none"),
    ]


def render_reports(reports: list[Report], fmt: str, options: list[tuple[str, str]] | None = None,
                   roots: list[str] | None = None) -> str:
    """Dispatch by suite: each suite's tables (suites.<suite>.tables), html for both."""
    from ..review.tables import FORMATS as TABLE_FORMATS
    from ..suites.inference.tables import render_inference_report
    from ..suites.training.tables import render_training_report

    if fmt not in TABLE_FORMATS:
        raise UsageError(f"unknown report format '{fmt}'", "Known formats: " + ", ".join(TABLE_FORMATS))
    if fmt == "html":
        from .. import __version__
        from ..review.html import PageContext, generated_at, render_review

        ctx = PageContext(roots=roots or [r.root for r in reports], options=options or [],
                          generated=generated_at(), version=f"mlcheck {__version__}")
        return render_review(reports, ctx)
    inference = [r for r in reports if r.suite == "inference"]
    training = [r for r in reports if r.suite == "training"]
    parts = []
    if inference:
        parts.append(render_inference_report(inference, fmt))
    if training:
        parts.append(render_training_report(training, fmt))
    return "\n".join(parts)
