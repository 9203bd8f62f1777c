"""mlcheck diff: results added/removed, metric/accuracy/validity changes, findings fixed and introduced."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from checker.findings import Accuracy, Finding, Metric, Report, ResultRecord, Severity
from checker.review.diff import diff_reports, render_diff


def _rec(rid: str, metric: float, acc: float = 76.0, valid: bool = True) -> ResultRecord:
    return ResultRecord(id=rid, division="closed", submitter="S", system="s", benchmark="resnet", scenario="Offline",
                        metric=Metric("m", metric, "samples/s"), accuracy=Accuracy("top1", acc, 75.7), valid=valid)


def test_diff_reports() -> None:
    f1 = Finding("inf.a", Severity.ERROR, "p1", "bad", "r1")
    f2 = Finding("inf.b", Severity.WARNING, "p2", "meh", "r2")
    old = Report("t", "inference", "v0.5", "o", {}, [_rec("r1", 100), _rec("r2", 50), _rec("gone", 1)], [f1, f2])
    new = Report("t", "inference", "v0.5", "n", {}, [_rec("r1", 110, valid=False), _rec("r2", 50, acc=75.0),
                                                     _rec("new", 5)], [f2, Finding("inf.c", Severity.ERROR, "p1", "x")])
    d = diff_reports(old, new)
    assert d.added == ["new"] and d.removed == ["gone"]
    assert [(c.result, c.what) for c in d.changes] == [("r1", "metric"), ("r1", "valid"), ("r2", "accuracy")]
    assert [f.rule for f in d.fixed] == ["inf.a"] and [f.rule for f in d.introduced] == ["inf.c"]
    text = render_diff(d, "text")
    assert "r1: metric 100 -> 110 (+10.0 %)" in text and "Findings fixed: 1" in text
    assert json.loads(render_diff(d, "json"))["added"] == ["new"]
    assert "## Results added (1)" in render_diff(d, "markdown")
    assert render_diff(diff_reports(old, old), "text").endswith("no differences\n")


def test_cli_diff_on_sample(tmp_path: Path, sample_root: Path) -> None:
    from checker.cli import app

    if not sample_root.is_dir():
        pytest.skip("no embedded sample")
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(sample_root, old)
    shutil.copytree(sample_root, new)
    acc = sorted(new.glob("*/*/results/*/*/*/accuracy/accuracy.txt"))[0]
    shutil.rmtree(acc.parent.parent)  # drop one result
    res = CliRunner().invoke(app, ["diff", str(old), str(new), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["removed"] == [acc.parent.parent.relative_to(new).as_posix()]
    assert CliRunner().invoke(app, ["diff", str(old), str(new), "--format", "xml"]).exit_code != 0


def test_findings_of_a_removed_result_are_not_fixed() -> None:
    gone = Finding("inf.loadgen.min-queries", Severity.ERROR, "gone/performance/run_1/s.txt", "short", "gone")
    fixed = Finding("inf.a", Severity.ERROR, "p1", "bad", "r1")
    old = Report("t", "inference", "v0.5", "o", {}, [_rec("r1", 100), _rec("gone", 1)], [gone, fixed])
    new = Report("t", "inference", "v0.5", "n", {}, [_rec("r1", 100)], [])
    d = diff_reports(old, new)
    assert d.removed == ["gone"] and [f.rule for f in d.fixed] == ["inf.a"]
    assert [f.result for f in d.removed_findings] == ["gone"]
    text = render_diff(d, "text")
    assert "Findings fixed: 1" in text and "Findings of removed results: 1" in text
    assert json.loads(render_diff(d, "json"))["removed_findings"][0]["rule"] == "inf.loadgen.min-queries"
    assert "## Findings of removed results (1)" in render_diff(d, "markdown")
    assert not diff_reports(old, old).removed_findings and render_diff(diff_reports(new, new), "text").endswith(
        "no differences\n")
