"""The HTML report: one self-contained page with sortable tables and inline SVG plots."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from checker.findings import Accuracy, Finding, Metric, Report, ResultRecord, Severity
from checker.review.html import PageContext, render_review


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
    return render_review([rep], PageContext())


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


# ------------------------------------------------------------------------------ the review page (issue 16)


DIGEST = "0123456789abcdef" * 4


def _inference_report() -> Report:
    """Closed and open results, latency and throughput, one invalid by its own error, one by its system's."""
    def rec(div: str, system: str, bench: str, scen: str, value: float, unit: str, acc: float | None = 76.1,
            target: float | None = 75.6954) -> ResultRecord:
        r = ResultRecord(id=f"{div}/Org/results/{system}/{bench}/{scen}", division=div, submitter="Org",
                         system=system, benchmark=bench, scenario=scen, metric=Metric("m", value, unit),
                         accuracy=Accuracy("top1", acc, target), depends=(f"{div}/Org/systems/{system}.json",))
        r.extra["system_description"] = {"accelerator_model_name": "Tesla T4", "accelerators_per_node": 4,
                                         "framework": "TensorRT"}
        return r

    results = [rec("closed", "c-fast", "resnet", "SingleStream", 0.5, "ms"),
               rec("closed", "c-slow", "resnet", "SingleStream", 4.0, "ms"),
               rec("closed", "c-mid", "resnet", "SingleStream", 1.5, "ms"),
               rec("closed", "c-fast", "resnet", "Offline", 20000.0, "samples/s"),
               rec("closed", "c-bad", "resnet", "Offline", 9000.0, "samples/s"),
               rec("open", "o-sys", "resnet", "Offline", 30000.0, "samples/s", acc=70.0, target=None)]
    rep = Report(tool="mlcheck 9.9.9", suite="inference", round="v0.5", root="inference_v0.5",
                 ruleset={"suite": "inference", "round": "v0.5", "files": ["inference/v0.5.yaml"], "digest": DIGEST},
                 results=results)
    bad = "closed/Org/results/c-bad/resnet/Offline"
    rep.findings = [
        Finding("inf.loadgen.min-queries", Severity.ERROR, f"{bad}/performance/run_1/mlperf_log_summary.txt",
                "too few queries", bad),
        Finding("inf.system.schema", Severity.ERROR, "closed/Org/systems/c-slow.json", "a field is missing"),
        Finding("inf.layout.run-naming", Severity.WARNING, "closed/Org", "run_0 should be run_1"),
        Finding("inf.accuracy.target", Severity.ERROR, "closed/Org/results/c-mid/resnet/SingleStream/accuracy",
                "below target", "closed/Org/results/c-mid/resnet/SingleStream", waived="accepted"),
    ]
    rep.finalize()
    return rep


def _training_report() -> Report:
    rep = Report(tool="mlcheck 9.9.9", suite="training", round="v0.6", root="training_v0.6",
                 ruleset={"suite": "training", "round": "v0.6", "files": ["training/v0.6.yaml"], "digest": DIGEST})
    for sub, system, minutes, valid, div in (("NVIDIA", "dgx1", 115.2, True, "closed"),
                                             ("Alibaba", "sinian", 24.4, False, "closed"),
                                             ("Fujitsu", "abci", 1.17, True, "open")):
        r = ResultRecord(id=f"{sub}/results/{system}/resnet", division=div, submitter=sub, system=system,
                         benchmark="resnet", scenario="", valid=valid)
        r.extra.update({"score": {"minutes": minutes}, "runs": [{}] * 5,
                        "system_description": {"processor": "V100", "processor_count": 8, "software": "MXNet"}})
        rep.results.append(r)
    rep.findings = [Finding("train.runs.count", Severity.ERROR, "Alibaba/results/sinian/resnet", "too few runs",
                            "Alibaba/results/sinian/resnet")]
    return rep


CTX = PageContext(roots=["inference_v0.5"], generated="2019-11-06 12:00 UTC", version="mlcheck 9.9.9",
                  options=[("--known-absent", "ABSENT.txt (78 paths)"), ("--dataset", "imagenet=val_map.txt"),
                           ("--waivers", "waivers.yaml (1 waivers, 1 findings waived)")])


class _Dom(HTMLParser):
    """Elements with their attributes and text, enough to query the page's structure."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[dict[str, object]] = []
        self.all: list[dict[str, object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el: dict[str, object] = {"tag": tag, "attrs": dict(attrs), "text": "", "parents": [e["tag"] for e in self.stack]}
        self.all.append(el)
        if tag not in ("meta", "br", "img", "input", "link"):
            self.stack.append(el)

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data: str) -> None:
        for el in self.stack:
            el["text"] = str(el["text"]) + data

    def find(self, tag: str | None = None, **attrs: str) -> list[dict[str, object]]:
        return [e for e in self.all if (tag is None or e["tag"] == tag)
                and all(dict(e["attrs"]).get(k.replace("_", "-")) == v for k, v in attrs.items())]  # type: ignore[call-overload]


def _dom(page: str) -> _Dom:
    d = _Dom()
    d.feed(page)
    return d


def test_review_header_states_the_run() -> None:
    dom = _dom(render_review([_inference_report()], CTX))
    field = {str(dict(e["attrs"])["data-field"]): str(e["text"]) for e in dom.find("dd")}  # type: ignore[call-overload]
    assert field["round"] == "inference v0.5" and field["suite"] == "inference"
    assert DIGEST[:16] in field["ruleset"] and "inference/v0.5.yaml" in field["ruleset"]
    assert field["mlcheck"] == "mlcheck 9.9.9" and field["date"] == "2019-11-06 12:00 UTC"
    assert field["root"] == "inference_v0.5"
    assert field["--known-absent"] == "ABSENT.txt (78 paths)" and field["--dataset"] == "imagenet=val_map.txt"
    assert field["--waivers"].startswith("waivers.yaml")
    counts = {str(dict(e["attrs"])["data-count"]): int(str(e["text"])) for e in dom.find("td")  # type: ignore[call-overload]
              if "data-count" in dict(e["attrs"])}  # type: ignore[call-overload]
    assert counts == {"results": 6, "valid": 4, "invalid": 2, "errors": 2, "warnings": 1, "infos": 0, "waived": 1}


def test_every_invalid_result_says_why_with_links_to_its_findings() -> None:
    page = render_review([_inference_report()], CTX)
    dom = _dom(page)
    rows = dom.find("tr")
    invalid = [r for r in rows if dict(r["attrs"]).get("class") == "invalid"]  # type: ignore[call-overload]
    assert sorted(dict(r["attrs"])["data-result"] for r in invalid) == [  # type: ignore[call-overload]
        "closed/Org/results/c-bad/resnet/Offline", "closed/Org/results/c-slow/resnet/SingleStream"]
    anchors = {str(dict(e["attrs"])["id"]): dict(e["attrs"]) for e in dom.find("li")}  # type: ignore[call-overload]
    for rid, rule in (("closed/Org/results/c-bad/resnet/Offline", "inf.loadgen.min-queries"),
                      ("closed/Org/results/c-slow/resnet/SingleStream", "inf.system.schema")):
        row = page.split(f'data-result="{rid}"')[1].split("</tr>")[0]
        href = re.search(r'href="#(f\d+)"><code>([^<]+)</code>', row)
        assert href and href.group(2) == rule and anchors[href.group(1)]["data-rule"] == rule
        assert "INVALID" in row
    # accuracy with its target; the open division has none
    closed = page.split('data-result="closed/Org/results/c-fast/resnet/Offline"')[1].split("</tr>")[0]
    assert ">76.1<" in closed and ">75.6954<" in closed
    opened = page.split('data-result="open/Org/results/o-sys/resnet/Offline"')[1].split("</tr>")[0]
    assert "none (open)" in opened
    # the waived error leaves its result valid, and is listed as waived
    mid = page.split('data-result="closed/Org/results/c-mid/resnet/SingleStream"')[1].split("</tr>")[0]
    assert "INVALID" not in mid and 'class="waived"' in page


def _chart_labels(svg: str) -> list[str]:
    """The y tick labels of a chart, top to bottom (matplotlib writes ticks in index order)."""
    return re.findall(r'<g id="ytick_\d+">.*?<text[^>]*>([^<]*)</text>', svg, flags=re.DOTALL)


def _xticks(svg: str) -> list[tuple[float, str]]:
    return [(float(x), t) for x, t in re.findall(r'<g id="xtick_\d+">.*?<text[^>]*? x="([\d.]+)"[^>]*>([^<]*)</text>',
                                                svg, flags=re.DOTALL)]


def test_charts_never_mix_divisions_and_read_best_first() -> None:
    page = render_review([_inference_report()], CTX)
    plots = re.findall(r'<div class="plot"([^>]*)>(.*?)</div>', page, flags=re.DOTALL)
    assert len(plots) == 3  # closed SingleStream, closed Offline, open Offline
    seen = set()
    for attrs, body in plots:
        div = re.search(r'data-division="(\w+)"', attrs).group(1)  # type: ignore[union-attr]
        scen = re.search(r'data-scenario="(\w+)"', attrs).group(1)  # type: ignore[union-attr]
        seen.add((div, scen))
        labels = _chart_labels(body)
        assert labels and all(("c-" in x) == (div == "closed") and ("o-" in x) == (div == "open") for x in labels)
        assert f"{div} division" in body.split("<svg")[0]  # labelled with its division
        if scen == "SingleStream":
            assert 'data-better="lower"' in attrs and "lower is better" in body
            assert labels == ["Org c-fast", "Org c-mid", "Org c-slow (invalid)"]  # lowest latency first
        else:
            assert 'data-better="higher"' in attrs and "higher is better" in body
        ticks = _xticks(body)
        assert 2 <= len(ticks) <= 10 and len({t for _, t in ticks}) == len(ticks)
        for (x1, t1), (x2, t2) in zip(ticks, ticks[1:]):
            assert x2 - x1 > 4.5 * max(len(t1), len(t2)), ticks  # 7 px labels never overlap
    assert seen == {("closed", "SingleStream"), ("closed", "Offline"), ("open", "Offline")}


def test_training_page_holds_the_results_table_with_invalid_marks() -> None:
    page = render_review([_training_report()], PageContext(roots=["training_v0.6"]))
    table = page.split('id="training-results"')[1].split("</table>")[0]
    assert "Alibaba" in table and 'class="num invalid"' in table and ">24.40!<" in table
    assert ">115.20<" in table and "! invalid result" in page
    assert len(re.findall(r'<div class="plot"[^>]*data-training="1"', page)) == 2  # closed and open apart


def test_total_rows_are_marked_for_sorting() -> None:
    from checker.review.html import _table_html
    from checker.review.tables import Table

    html = _table_html(Table("counts", ["model", "Offline"], [["b", "5"], ["a", "1"], ["total", "6"]]))
    assert html.count('<tr class="total">') == 1 and html.index('class="total"') > html.index(">a<")
    assert "classList.contains('total')" in render_review([_inference_report()], CTX)


def test_both_suites_on_the_real_corpus(corpus_root: Path, tmp_path: Path) -> None:
    from tests.hostile.harness import run_cli

    for name in ("inference_v0.5", "training_v0.6"):
        root = corpus_root / name
        out = tmp_path / f"{name}.html"
        run = run_cli(["report", str(root), "--known-absent", str(root / "ABSENT.txt"), "-f", "html", "-o", str(out)],
                      timeout=300)
        assert run.code == 0, run.stderr
        page = out.read_text()
        dom = _dom(page)
        field = {str(dict(e["attrs"])["data-field"]): str(e["text"]) for e in dom.find("dd")}  # type: ignore[call-overload]
        assert field["suite"] == name.split("_")[0] and field["round"].endswith(name.split("_")[1])
        assert "(78 paths)" in field["--known-absent"] if name == "inference_v0.5" else "paths" in field["--known-absent"]
        for attrs in re.findall(r'<div class="plot"([^>]*)>', page):
            assert len(re.findall(r'data-division="(closed|open)"', attrs)) == 1
        invalid = page.count('<tr class="invalid"') + page.count('class="num invalid"')
        # v0.5 inference: four results are invalid; v0.6 training: every published entry is valid
        assert invalid >= 2 if name == "inference_v0.5" else invalid == 0
        if name == "inference_v0.5":
            assert page.count('<tr class="invalid"') == 4 and page.count('<tr class="total">') == 4
            assert len(re.findall(r'data-division="open"', page)) >= 3


@pytest.mark.slow
def test_review_page_in_headless_chromium(tmp_path: Path) -> None:
    """Loaded in a real browser: the structure, the highlighting, and sorting that keeps totals last."""
    import json

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium is not installed")
    from checker.suites.inference.tables import build_tables

    reports = [_inference_report(), _training_report()]
    page = render_review(reports, CTX)
    assert build_tables([reports[0]]).counts
    probe = """<script>
    var out = {};
    var counts = Array.from(document.querySelectorAll('table.sortable')).filter(function (x) {
      return x.querySelector('tr.total'); })[0];
    var orders = [];
    Array.from(counts.querySelectorAll('th')).forEach(function (th) {
      th.click(); orders.push(counts.tBodies[0].rows[counts.tBodies[0].rows.length - 1].className);
      th.click(); orders.push(counts.tBodies[0].rows[counts.tBodies[0].rows.length - 1].className);
    });
    out.lastRowAfterSorts = orders;
    var res = document.getElementById('results');
    res.querySelectorAll('th')[6].click();
    out.metricOrder = Array.from(res.tBodies[0].rows).map(function (r) { return r.cells[6].getAttribute('data-sort'); });
    out.invalidBackground = Array.from(document.querySelectorAll('tr.invalid')).map(function (r) {
      return getComputedStyle(r.cells[0]).backgroundColor; });
    out.validBackground = getComputedStyle(document.querySelector('#results tr:not(.invalid) td')).backgroundColor;
    out.plots = Array.from(document.querySelectorAll('.plot')).map(function (p) {
      var r = p.querySelector('svg').getBoundingClientRect();
      return [p.getAttribute('data-division'), Math.round(r.width), Math.round(r.height)]; });
    out.header = Array.from(document.querySelectorAll('#run dt')).map(function (d) { return d.textContent; });
    out.headerVisible = document.getElementById('run').getBoundingClientRect().height;
    var pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
    </script>"""
    probed = tmp_path / "probe.html"
    probed.write_text(page.replace("</body>", probe + "</body>"), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'u'}"]
    dom = subprocess.run([exe, *flags, "--dump-dom", probed.as_uri()], capture_output=True, text=True, timeout=60)
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom.stdout, flags=re.DOTALL)
    assert found, dom.stderr[-2000:]
    got = json.loads(html_unescape(found.group(1)))
    assert got["lastRowAfterSorts"] and set(got["lastRowAfterSorts"]) == {"total"}
    metrics = [float(x) for x in got["metricOrder"]]
    assert metrics == sorted(metrics)
    assert got["invalidBackground"] and len(set(got["invalidBackground"])) == 1
    assert got["invalidBackground"][0] != got["validBackground"]
    assert sorted(p[0] for p in got["plots"]) == ["closed", "closed", "closed", "open", "open"]
    assert all(w > 200 and h > 50 for _, w, h in got["plots"])
    assert got["header"][:6] == ["round", "suite", "ruleset", "mlcheck", "date", "root"] and got["headerVisible"] > 100
    shot = tmp_path / "review.png"
    page_file = tmp_path / "review.html"
    page_file.write_text(page, encoding="utf-8")
    subprocess.run([exe, *flags, f"--screenshot={shot}", "--window-size=1280,2400", page_file.as_uri()],
                   capture_output=True, timeout=60)
    assert shot.stat().st_size > 10_000


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)
