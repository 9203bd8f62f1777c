"""`mlcheck diff OLD NEW`: what changed between two versions of a submission, for re-submissions in review."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the diff command to the CLI."""
    app.command("diff")(diff)


def diff(
    old: Annotated[Path, typer.Argument(metavar="OLD", help="The earlier version of the submission.")],
    new: Annotated[Path, typer.Argument(metavar="NEW", help="The later version.")],
    format: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="text, json or markdown.")]
    = "text",
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="PATH", help="Write here instead of "
                                                "stdout (never inside OLD or NEW).")] = None,
    known_absent: Annotated[Path | None, typer.Option("--known-absent", metavar="PATH", help="A file listing "
                                                      "paths known to be absent, relative to the tree's top "
                                                      "folder or to OLD and NEW.")] = None,
    round: Annotated[str | None, typer.Option("--round", metavar="ROUND", help="The rules round "
                                              "(detected from the trees).")] = None,
) -> None:
    """Results added or removed, metric/accuracy/validity changes, findings fixed and introduced."""
    from ..api import validate
    from ..errors import UsageError
    from ..options import ValidateOptions
    from ..review.diff import FORMATS, diff_reports, render_diff
    from .common import check_outputs, load_known_absent, write_output

    if format not in FORMATS:
        raise UsageError(f"unknown diff format '{format}'", "Known formats: " + ", ".join(FORMATS))
    if output is not None:
        check_outputs([("--output", output)], [old, new])
    reports = [validate(root, ValidateOptions(round=round, known_absent=load_known_absent(known_absent, root)))
               for root in (old, new)]
    d = diff_reports(*reports)
    write_output(render_diff(d, format), output)
