"""`mlcheck diff OLD NEW`: what changed between two versions of a submission, for re-submissions in review."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the diff command to the CLI."""
    app.command("diff")(diff)


def diff(
    old: Annotated[Path, typer.Argument(help="The earlier version of the submission.")],
    new: Annotated[Path, typer.Argument(help="The later version.")],
    format: Annotated[str, typer.Option("--format", "-f", help="text, json or markdown.")] = "text",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    known_absent: Annotated[Path | None, typer.Option("--known-absent", help="A file listing paths known to be absent.")] = None,
    round: Annotated[str | None, typer.Option("--round", help="The rules round (auto-detected).")] = None,
) -> None:
    """Results added or removed, metric/accuracy/validity changes, findings fixed and introduced."""
    from ..api import read_known_absent, validate
    from ..cli import write_output
    from ..errors import UsageError
    from ..options import ValidateOptions
    from ..review.diff import FORMATS, diff_reports, render_diff

    if format not in FORMATS:
        raise UsageError(f"unknown diff format '{format}'", "Known formats: " + ", ".join(FORMATS))
    absent = read_known_absent(known_absent) if known_absent else frozenset()
    opts = ValidateOptions(round=round, known_absent=absent)
    d = diff_reports(validate(old, opts), validate(new, opts))
    write_output(render_diff(d, format), output)
