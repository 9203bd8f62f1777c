"""Output formats: each is a function of a Report. FORMATS is the one registry of them."""

from __future__ import annotations

from collections.abc import Callable

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
FORMATS: dict[str, Callable[[Report], str]] = {
    "json": render_json,
    "text": render_text,
    "github": render_github,
    "junit": render_junit,
    "sarif": render_sarif,
    "markdown": render_markdown,
    "csv": render_csv,
}


def render(report: Report, fmt: str) -> str:
    try:
        fn = FORMATS[fmt]
    except KeyError:
        raise UsageError(f"unknown output format '{fmt}'", "Known formats: " + ", ".join(sorted(FORMATS))) from None
    return fn(report)
