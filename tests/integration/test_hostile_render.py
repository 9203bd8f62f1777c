"""What every renderer prints stays inert (issue 15, items 7 and 8).

A submission names a system folder with terminal escapes (clear screen, window title, OSC 8
hyperlink), CR/LF followed by a forged Markdown heading and a workflow command, Rich markup, an
emoji code, a spreadsheet formula, matplotlib math, HTML and a bidi override, and puts more of the
same in its system description. Each command and format must show those strings as text: asserted
on what comes out, not only that nothing crashed.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.hostile.base import REPO, SYSTEM, SYSTEM_DESC, files
from tests.hostile.harness import run_cli

# a folder name may hold anything but '/' and NUL
HOSTILE_DIR = ('=HYPERLINK("evil")\x1b[2J\x1b]0;PWNED\x07\x1b]8;;http:evil\x1b\\link\x1b]8;;\x1b\\'
               '\r\n## Forged heading\n::error::INJECTED [link=evil.example]click [bold red]R :smile: '
               '$x^2$ <img src=x onerror=alert(1)> | \u202eexe.txt')
HOSTILE_TEXT = "=cmd|' /C calc'!A0 [link=https://evil.example]x[/link] :smile:\r\n# Forged\x1b[31m $y$ <b>"
RAW = ("\x1b", "\x07", "\r", "\u202e")  # never in plain output
FORGED = ("## Forged", "# Forged", "::error::INJECTED")  # never at the start of a line
VERDICTS = ("PASSED", "FAILED")  # only the report's own first and last lines start with a verdict


def _hostile_files() -> dict[str, str]:
    out = {}
    for rel, text in files().items():
        out[rel.replace(SYSTEM, HOSTILE_DIR)] = text
    desc = dict(SYSTEM_DESC, system_name=HOSTILE_TEXT, framework="TensorRT " + HOSTILE_TEXT,
                accelerator_model_name="Nvidia Tesla T4\x1b]0;x\x07\n## Forged")
    out[f"closed/HostileCo/systems/{HOSTILE_DIR}.json"] = json.dumps(desc) + "\n"
    return out


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-render") / "sub"
    for rel, text in _hostile_files().items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def assert_inert(out: str, what: str) -> None:
    """No raw control or bidi character, and no line that data could have started."""
    for raw in RAW:
        assert raw not in out, (what, repr(raw))
    lines = out.splitlines()
    for i, line in enumerate(lines):
        assert not line.lstrip().startswith(FORGED), (what, line)
        if 0 < i < len(lines) - 1 and what.startswith("text"):
            assert not line.lstrip().startswith(VERDICTS), (what, line)


def outside_code(md: str) -> str:
    """Markdown with its code spans taken out: inside them `<`, `[` and `$` are literal by definition."""
    return "\n".join(re.sub(r"(`+)(?:(?!\1).)+\1", "", line) for line in md.splitlines())


def _run(args: list[str]) -> str:
    run = run_cli(args, timeout=120)
    assert run.code in (0, 1), (args, run.code, run.stderr)
    assert "Traceback" not in run.stderr
    return run.stdout


def test_text_report_shows_names_as_text(tree: Path) -> None:
    out = _run(["validate", str(tree), "--show", "all"])
    assert_inert(out, "text")
    assert "[link=evil.example]click [bold red]R :smile:" in out.replace("\n", "")  # markup and emoji literal
    assert "😄" not in out
    assert "\\x1b[2J\\x1b]0;PWNED\\x07" in out.replace("\n", "") and "\\r\\n## Forged heading\\n::error::INJECTED" \
        in out.replace("\n", "")
    assert "\\u202eexe.txt" in out.replace("\n", "")


def test_coloured_text_report_holds_only_its_own_colour_codes(tree: Path) -> None:
    out = _run(["validate", str(tree), "--show", "all", "--color", "always"])
    codes = re.findall(r"\x1b(.{0,12})", out)
    assert codes and all(re.match(r"\[[0-9;]*m", c) for c in codes), {c for c in codes if not c.startswith("[")}
    assert_inert(re.sub(r"\x1b\[[0-9;]*m", "", out), "text with colour")


def test_github_annotations_and_job_summary(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = _run(["validate", str(tree), "-f", "github"])
    assert_inert(out, "github")
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in out.splitlines()), out
    assert "::error::INJECTED" in out  # as text inside a message, after the real command
    text = summary.read_text()
    assert_inert(text, "job summary")
    assert "<img" not in outside_code(text) and "<b>" not in text and "\\[link=" in text and "\\:smile:" in text


def test_markdown_report(tree: Path) -> None:
    out = _run(["validate", str(tree), "-f", "markdown"])
    assert_inert(out, "markdown")
    assert "<img" not in outside_code(out) and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "\\$x^2\\$" in out and "\\:smile:" in out and "\\[link=evil.example\\]" in out
    for line in out.splitlines():
        if line.startswith("|"):
            # a pipe from the data never adds a column: every row of a table has as many cells as its header
            assert not re.search(r"(?<!\\)\|(?=[^|]*exe\.txt)", line.split("`")[1] if "`" in line else ""), line


def test_csv_reports(tree: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(_run(["validate", str(tree), "-f", "csv"]))))
    assert rows[0]["platform"].startswith("'=HYPERLINK") and rows[0]["system"].startswith("'=cmd")
    assert all(c[:1] not in "=+-@" for r in rows for c in r.values() if c)
    tables = _run(["report", str(tree), "-f", "csv"])
    assert_inert(tables, "report csv")
    cells = [c for row in csv.reader(io.StringIO(tables)) for c in row]
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    assert all(not c.startswith(("=", "+", "@")) for c in cells)


def test_round_tables_text_and_markdown(tree: Path) -> None:
    text = _run(["report", str(tree)])
    assert_inert(text, "report text")
    assert "[link=evil.example]" in text
    md = _run(["report", str(tree), "-f", "markdown"])
    assert_inert(md, "report markdown")
    assert "<img" not in outside_code(md) and "\\[link=" in md


def test_structured_formats_parse(tree: Path) -> None:
    import xml.etree.ElementTree as ET

    ET.fromstring(_run(["validate", str(tree), "-f", "junit"]))
    doc = json.loads(_run(["validate", str(tree), "-f", "sarif"]))
    assert doc["runs"][0]["results"]
    data = json.loads(_run(["validate", str(tree), "-f", "json"]))
    assert HOSTILE_DIR in data["results"][0]["id"]  # JSON keeps the data exactly, escaped by JSON itself


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def test_review_page_escapes_names_and_draws_math_looking_labels(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "review.html"
    run = run_cli(["report", str(tree), "-f", "html", "-o", str(out)], timeout=120)
    assert run.code == 0, run.stderr  # never exit 3 for a folder named $…$
    page = out.read_text()
    for raw in RAW:
        assert raw not in page
    tags = _Tags()
    tags.feed(page)
    assert "img" not in tags.tags and tags.tags.count("script") == 1 and "b" in tags.tags  # <b> is the page's own
    assert "could not be drawn" not in page and tags.tags.count("svg") == 1
    chart = page.split("<svg")[1].split("</svg>")[0]
    assert "HostileCo =HYPERLINK" in chart and "\\x1b[2J" in chart  # the label, escaped and shortened
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_chart_that_fails_degrades_to_a_note() -> None:
    from checker.findings import Metric, Report, ResultRecord
    from checker.review.html import PageContext, render_review, svg_bar_chart

    rec = ResultRecord(id="closed/S/results/s/resnet/Offline", division="closed", submitter="S", system="s",
                       benchmark="resnet", scenario="Offline", metric=Metric("m", 10.0, "samples/s"))
    rep = Report("t", "inference", "v0.5", "r", {}, [rec])

    def broken(*args: object) -> str:
        raise ValueError("Unknown symbol: \\frac $")

    rec.system = "$\\frac{1}{0}$ box"
    svg = render_review([rep], PageContext()).split("<svg")[1].split("</svg>")[0]
    assert "S $\\frac{1}{0}$ box" in svg  # drawn as the text it is, not as math
    page = render_review([rep], PageContext(), draw=broken)
    assert "this chart could not be drawn (ValueError: Unknown symbol: \\frac $)" in page
    assert 'id="results"' in page and "</html>" in page
    # labels that mathtext would reject are drawn literally
    svg = svg_bar_chart("", ["a $\\frac{$ b", "$$", "x $y$ z"], [1.0, 2.0, 3.0], "u")
    assert "a $\\frac{$ b" in svg and "x $y$ z" in svg


def test_diff_output(tree: Path, tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(tree, new)
    shutil.rmtree(next((new / "closed/HostileCo/results").iterdir()))
    text = _run(["diff", str(tree), str(new)])
    assert_inert(text, "diff text")
    assert "Results removed: 1" in text and "Findings of removed results:" in text
    md = _run(["diff", str(tree), str(new), "-f", "markdown"])
    assert_inert(md, "diff markdown")
    assert "<img" not in outside_code(md) and "- `closed/HostileCo/results/=HYPERLINK" in md


def test_rescore_output(tree: Path) -> None:
    labels = REPO / "reference_logs" / "datasets" / "imagenet" / "val_map.txt"
    if not labels.is_file():
        pytest.skip("the sample's ImageNet val_map is not in the repository")
    out = _run(["rescore", str(tree), "--dataset", f"imagenet={labels}", "-j", "1"])
    assert_inert(out, "rescore")
    lines = out.splitlines()
    assert lines[-1].startswith("re-scored 0 of 1 result: 0 matched accuracy.txt, 0 differed; 1 skipped: ")
    assert "re-scored — could not be re-scored (inf.rescore.failed)" in lines[0]


def test_refusal_messages_are_one_line(tree: Path) -> None:
    run = run_cli(["validate", str(tree), "-o", str(next((tree / "closed/HostileCo/results").iterdir()) / "r.txt")])
    assert run.code == 2
    assert_inert(run.stderr, "refusal")
    assert len(run.stderr.splitlines()) == 2  # the error and its help, each on one line
