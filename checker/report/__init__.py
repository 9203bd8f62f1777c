"""Output formats: each is a function of a Report. FORMATS is the one registry of them."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import UsageError
from ..findings import Report
from .json_format import render_json
from .text import render_text

# name -> function(Report) -> str. Other formats register here.
FORMATS: dict[str, Callable[[Report], str]] = {
    "json": render_json,
    "text": render_text,
}


def render(report: Report, fmt: str) -> str:
    try:
        fn = FORMATS[fmt]
    except KeyError:
        raise UsageError(f"unknown output format '{fmt}'", "Known formats: " + ", ".join(sorted(FORMATS))) from None
    return fn(report)
