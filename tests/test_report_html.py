"""The HTML report: one self-contained page with sortable tables and inline SVG plots."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from checker.findings import Metric, Report, ResultRecord
from checker.suites.inference.tables import render_inference_report


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for k, v in attrs:
            if k in ("src", "href") and v:
                self.srcs.append(v)


def _page() -> str:
    recs = []
    for i, (bench, scen) in enumerate([("resnet", "Offline"), ("resnet", "Offline"), ("gnmt", "Server")]):
        r = ResultRecord(id=f"closed/S/results/s{i}/{bench}/{scen}", division="closed", submitter="S", system=f"s{i}",
                         benchmark=bench, scenario=scen, metric=Metric("m", 10.0 ** (i + 1), "samples/s"))
        r.extra["system_description"] = {"accelerator_model_name": "Tesla T4", "accelerators_per_node": 1,
                                         "framework": "TensorRT"}
        recs.append(r)
    rep = Report(tool="t", suite="inference", round="v0.5", root="r", ruleset={}, results=recs)
    return render_inference_report([rep], "html")


def test_html_is_self_contained_with_tables_and_svg() -> None:
    page = _page()
    p = _Collect()
    p.feed(page)
    assert p.tags.get("table", 0) >= 4 and p.tags.get("svg") == 2  # resnet/Offline and gnmt/Server
    assert p.tags.get("script") == 1 and p.srcs == []
    assert "http" not in page and "@import" not in page
    assert re.findall(r"url\((?!#)", page) == []  # only in-page fragment references (clip paths)
    assert 'data-benchmark="ResNet-50 v1.5" data-scenario="Offline"' in page


@pytest.mark.slow
def test_html_renders_in_headless_chromium(tmp_path: Path) -> None:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium is not installed")
    page = tmp_path / "report.html"
    page.write_text(_page(), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'u'}"]
    dom = subprocess.run([exe, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=25)
    assert "<table" in dom.stdout and "<svg" in dom.stdout
    subprocess.run([exe, *flags, f"--screenshot={tmp_path / 'r.png'}", "--window-size=1200,2400", page.as_uri()],
                   capture_output=True, timeout=25)
    assert (tmp_path / "r.png").stat().st_size > 1000
