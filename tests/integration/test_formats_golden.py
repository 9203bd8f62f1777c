"""Golden files for every CI output format, rendered from one hand-built Report.

Regenerate after an intended change with: MLCHECK_UPDATE_GOLDEN=1 python -m pytest tests/integration/test_formats_golden.py
and review the diff of tests/golden/.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from formats_fixtures import CATALOG, sample_report

from checker.findings import Report
from checker.report import FORMATS, render
from checker.report.github import step_summary
from checker.report.junit import render_junit
from checker.report.sarif import render_sarif
from checker.report.text import render_text

GOLDEN = Path(__file__).parents[1] / "golden"

CASES: dict[str, tuple[str, Callable[[Report], str]]] = {
    "github": ("report.github.txt", lambda r: render(r, "github")),
    "markdown": ("report.md", lambda r: render(r, "markdown")),
    "csv": ("report.csv", lambda r: render(r, "csv")),
    "json": ("report.json", lambda r: render(r, "json")),
    "junit": ("report.junit.xml", lambda r: render_junit(r, CATALOG)),
    "sarif": ("report.sarif.json", lambda r: render_sarif(r, CATALOG)),
    "step-summary": ("report.step-summary.md", step_summary),
    # the terminal report, plain, at the width of a small terminal and of a wide one
    "text-80": ("report.text-80.txt", lambda r: render_text(r, width=80, color=False)),
    "text-200": ("report.text-200.txt", lambda r: render_text(r, width=200, color=False)),
    "text-80-all-strict": ("report.text-80-all-strict.txt",
                           lambda r: render_text(r, width=80, color=False, show="all", strict=True)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # paths in annotations and SARIF are relative to the working directory
    filename, fn = CASES[name]
    got = fn(sample_report())
    path = GOLDEN / filename
    if os.environ.get("MLCHECK_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert path.is_file(), f"no golden file {path.name}; run with MLCHECK_UPDATE_GOLDEN=1"
    assert got == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("width", [80, 200])
def test_text_report_fits_its_width(width: int) -> None:
    for show in ("errors", "warnings", "all"):
        text = render_text(sample_report(), width=width, color=False, show=show)
        assert max(len(line) for line in text.splitlines()) <= width
        assert all(line == line.rstrip() for line in text.splitlines())  # no padding to the width


def test_every_ci_format_is_registered() -> None:
    for name in ("github", "junit", "sarif", "markdown", "csv", "json", "text"):
        assert name in FORMATS
