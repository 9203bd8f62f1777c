"""GitHub Actions: workflow-command annotations, and the Markdown job summary.

GitHub shows at most 10 annotations of each level per step, so at most 10 errors and 10
warnings are annotated (errors first, in report order) and one ::notice says how many
more there are. Info findings and waived findings are not annotated; the job summary
(the markdown format, appended to $GITHUB_STEP_SUMMARY) lists everything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ..findings import Finding, Report, Severity
from .escape import visible
from .markdown import render_markdown, verdict_word

MAX_PER_LEVEL = 10  # what GitHub displays per step and level
STEP_SUMMARY_LIMIT = 1024 * 1024  # GitHub refuses a step summary of 1 MiB or more
COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def escape_data(text: str) -> str:
    """Escape a workflow command's message as GitHub's toolkit does (%, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command property value (also ':' and ',')."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def repo_path(report: Report, path: str, cwd: Path | None = None) -> str:
    """The finding's file as a path from the current directory (the repository root in Actions).

    A relative validated root is already relative to the current directory; an absolute one is
    made relative when it lies below it, and stays absolute otherwise.
    """
    p = Path(report.root) / path if path else Path(report.root)
    if p.is_absolute():
        here = (cwd or Path.cwd()).resolve()
        try:
            p = p.resolve().relative_to(here)
        except ValueError:
            return p.as_posix()
    return Path(os.path.normpath(p)).as_posix()


def annotation(report: Report, f: Finding) -> str:
    """One ::error / ::warning workflow command for a finding (GitHub's log shows ANSI codes: escaped)."""
    props = [f"file={escape_property(visible(repo_path(report, f.path)))}"]
    if f.line is not None:
        props.append(f"line={f.line}")
    props.append(f"title={escape_property(visible(f.rule))}")
    return f"::{COMMAND[f.severity]} {','.join(props)}::{escape_data(visible(f.message))}"


def render_github(report: Report, strict: bool = False) -> str:
    """Annotations for the errors and warnings (at most 10 of each), then a one-line ::notice summary."""
    lines: list[str] = []
    left: dict[Severity, int] = {}
    for sev in (Severity.ERROR, Severity.WARNING):
        todo = [f for f in report.findings if f.severity is sev and f.waived is None]
        lines.extend(annotation(report, f) for f in todo[:MAX_PER_LEVEL])
        left[sev] = max(0, len(todo) - MAX_PER_LEVEL)
    s = report.summary
    verdict = verdict_word(report, strict).replace(" with warnings", "")
    text = (f"mlcheck {visible(report.suite)} {visible(report.round)} {verdict}: {s['results']} results "
            f"({s['valid']} valid, {s['invalid']} invalid), {s['errors']} errors, {s['warnings']} warnings")
    if s.get("waived"):
        text += f", {s['waived']} waived"
    if left[Severity.ERROR] or left[Severity.WARNING]:
        text += (f"; {left[Severity.ERROR]} more errors and {left[Severity.WARNING]} more warnings "
                 "are not annotated (GitHub shows 10 per level): see the job summary")
    lines.append(f"::notice title=mlcheck::{escape_data(text)}")
    return "\n".join(lines) + "\n"


def step_summary(report: Report, limit: int = STEP_SUMMARY_LIMIT, strict: bool = False) -> str:
    """The job summary: the markdown report, cut at a line boundary to stay under `limit` bytes."""
    # file names that are not UTF-8 reach findings as lone surrogates: the escape layer shows them
    text = render_markdown(report, strict).encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text.encode("utf-8")) < limit:
        return text
    note = ("\n> **Note:** this summary was truncated to stay under GitHub's 1 MiB job-summary limit; "
            "the full report is in the JSON report (the workflow's mlcheck artifact).\n")
    budget = limit - len(note.encode("utf-8")) - 1
    if budget <= 0:
        return ""  # the step's summary file is already full
    kept: list[str] = []
    used = 0
    for line in text.splitlines(keepends=True):
        size = len(line.encode("utf-8"))
        if used + size > budget:
            break
        kept.append(line)
        used += size
    return "".join(kept) + note


def write_step_summary(report: Report, env: Mapping[str, str] | None = None, strict: bool = False) -> Path | None:
    """Append the job summary to the file named by $GITHUB_STEP_SUMMARY, if set; return that path."""
    environ = os.environ if env is None else env
    target = environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    existing = path.stat().st_size if path.is_file() else 0
    text = step_summary(report, STEP_SUMMARY_LIMIT - existing, strict)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)
    return path
