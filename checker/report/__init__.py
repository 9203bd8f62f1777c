"""Output formats: each is a function of a Report. FORMATS is the one registry of them."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from ..errors import UsageError
from ..findings import Report

# name -> (module, function(Report) -> str); a format's module is imported when it is rendered, so a
# run writing JSON does not load Rich, XML or CSV. Other formats register here.
FORMATS: dict[str, tuple[str, str]] = {
    "json": (".json_format", "render_json"),
    "text": (".text", "render_text"),
    "github": (".github", "render_github"),
    "junit": (".junit", "render_junit"),
    "sarif": (".sarif", "render_sarif"),
    "markdown": (".markdown", "render_markdown"),
    "csv": (".csv_format", "render_csv"),
}


def renderer(fmt: str) -> Callable[..., str]:
    """The function that renders `fmt`."""
    try:
        module, name = FORMATS[fmt]
    except KeyError:
        raise UsageError(f"unknown output format '{fmt}'", "Known formats: " + ", ".join(sorted(FORMATS))) from None
    fn: Callable[..., str] = getattr(importlib.import_module(module, __name__), name)
    return fn


# formats that state a verdict, and so need to know whether warnings fail the run
STRICT_AWARE = frozenset({"text", "github", "markdown"})


def render(report: Report, fmt: str, strict: bool = False, **text_options: Any) -> str:
    """The report in `fmt`; `strict` reaches the formats that print a verdict, the rest goes to text."""
    fn = renderer(fmt)
    if fmt == "text":
        return fn(report, strict=strict, **text_options)
    return fn(report, strict=strict) if fmt in STRICT_AWARE else fn(report)
