"""Output formats: each is a function of a Report. FORMATS is the one registry of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import UsageError
from ..findings import Report
from .csv_format import render_csv
from .github import render_github
from .json_format import render_json
from .junit import render_junit
from .markdown import render_markdown
from .sarif import render_sarif
from .text import render_text

# name -> function(Report) -> str. Other formats register here.
FORMATS: dict[str, Callable[..., str]] = {
    "json": render_json,
    "text": render_text,
    "github": render_github,
    "junit": render_junit,
    "sarif": render_sarif,
    "markdown": render_markdown,
    "csv": render_csv,
}


# formats that state a verdict, and so need to know whether warnings fail the run
STRICT_AWARE = frozenset({"text", "github", "markdown"})


def render(report: Report, fmt: str, strict: bool = False, **text_options: Any) -> str:
    """The report in `fmt`; `strict` reaches the formats that print a verdict, the rest goes to text."""
    try:
        fn = FORMATS[fmt]
    except KeyError:
        raise UsageError(f"unknown output format '{fmt}'", "Known formats: " + ", ".join(sorted(FORMATS))) from None
    if fmt == "text":
        return fn(report, strict=strict, **text_options)
    return fn(report, strict=strict) if fmt in STRICT_AWARE else fn(report)
