"""The round-wide inference report: counts table, per-result table, framework x hardware matrix, formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from checker.api import ValidateOptions, read_known_absent, validate
from checker.errors import UsageError
from checker.findings import Accuracy, Metric, Report, ResultRecord
from checker.suites.inference.tables import build_tables, render_inference_report


def _rec(i: int, bench: str, scen: str, valid: bool = True, division: str = "closed",
         acc: str = "Tesla T4", fw: str = "TensorRT 6", n: int = 4) -> ResultRecord:
    r = ResultRecord(id=f"{division}/S{i}/results/sys{i}/{bench}/{scen}", division=division, submitter=f"S{i}",
                     system=f"sys{i}", benchmark=bench, scenario=scen, metric=Metric("m", 10.0 * (i + 1), "samples/s"),
                     accuracy=Accuracy("top1", 76.1, 75.7), valid=valid)
    r.extra["system_description"] = {"accelerator_model_name": acc, "accelerators_per_node": n, "framework": fw,
                                     "host_processor_model_name": "Intel Xeon"}
    return r


def _report(results: list[ResultRecord]) -> Report:
    return Report(tool="t", suite="inference", round="v0.5", root="r", ruleset={}, results=results)


def test_counts_per_division_all_and_valid() -> None:
    recs = [_rec(0, "resnet", "Offline"), _rec(1, "resnet", "Offline"), _rec(2, "resnet", "Server"),
            _rec(3, "gnmt", "Offline", valid=False), _rec(4, "mobilenet", "SingleStream"),
            _rec(5, "resnet", "MultiStream", division="open")]
    t = build_tables([_report(recs)])
    closed, open_ = t.counts
    assert closed.title.endswith("(closed division)") and open_.title.endswith("(open division)")
    assert closed.header == ["model", "SingleStream", "MultiStream", "Server", "Offline", "total"]
    assert closed.rows == [["GNMT", "0", "0", "0", "1", "1"],
                           ["MobileNet-v1 224", "1", "0", "0", "0", "1"],
                           ["ResNet-50 v1.5", "0", "0", "1", "2", "3"],
                           ["total", "1", "0", "1", "3", "5"]]  # the published record: every result
    valid_closed, valid_open = t.valid_counts
    assert valid_closed.title.startswith("Valid results")
    assert valid_closed.rows == [["MobileNet-v1 224", "1", "0", "0", "0", "1"],
                                 ["ResNet-50 v1.5", "0", "0", "1", "2", "3"],
                                 ["total", "1", "0", "1", "2", "4"]]  # the invalid GNMT result is not counted
    assert open_.rows[-1] == ["total", "0", "1", "0", "0", "1"] == valid_open.rows[-1]


def test_matrix_and_unknown_hardware() -> None:
    recs = [_rec(0, "resnet", "Offline"), _rec(1, "resnet", "Offline", acc="N/A", n=0, fw="OpenVINO 2019"),
            _rec(2, "resnet", "Offline", acc="Mystery Chip 9", fw="TensorFlow"),
            _rec(3, "resnet", "Offline", acc="Goya HL-102", fw="SomethingElse")]
    t = build_tables([_report(recs)])
    assert t.matrix is not None and t.unknown is not None
    assert ["OpenVINO", "", "X", "", "", ""] in t.matrix.rows  # no accelerator: the host CPU decides
    assert ["TensorRT", "", "", "", "", "X"] in t.matrix.rows
    assert not any(r[0] == "TensorFlow" for r in t.matrix.rows)  # its hardware is unknown: listed, not guessed
    whys = {r[1]: r[4] for r in t.unknown.rows}
    assert "matches no category" in whys["sys2"] and "not in the round's table" in whys["sys3"]
    assert t.results is not None
    row = next(r for r in t.results.rows if r[2] == "sys0")
    assert row[3] == "Tesla T4 x4" and row[4] == "TensorRT" and row[9] == "yes"


def test_formats() -> None:
    rep = _report([_rec(0, "resnet", "Offline"), _rec(1, "ssd-small", "Server", valid=False)])
    md = render_inference_report([rep], "markdown")
    assert "| model | SingleStream | MultiStream | Server | Offline | total |" in md
    rows = list(csv.reader(io.StringIO(render_inference_report([rep], "csv"))))
    assert ["model", "SingleStream", "MultiStream", "Server", "Offline", "total"] in rows
    doc = json.loads(render_inference_report([rep], "json"))
    assert [r["valid"] for r in doc["results"]] == [True, False]
    assert "ResNet-50 v1.5" in render_inference_report([rep], "text")
    with pytest.raises(UsageError):
        render_inference_report([rep], "pdf")


def test_corpus_counts(corpus_root: Path) -> None:
    """What the corpus (a part of the v0.5 round) gives; SPEC's table is the whole round's closed division."""
    root = corpus_root / "inference_v0.5"
    rep = validate(root, ValidateOptions(known_absent=read_known_absent(root / "ABSENT.txt")))
    t = build_tables([rep])
    closed = next(c for c in t.counts if "closed" in c.title)
    assert closed.rows[-1][-1] == str(sum(1 for r in rep.results if r.division == "closed"))  # 55
    valid = next(c for c in t.valid_counts if "closed" in c.title)
    assert valid.rows[-1][-1] == str(sum(1 for r in rep.results if r.valid and r.division == "closed"))
    # never more than the published round's table (SPEC.md): the corpus is a subset of it
    spec = {"GNMT": (2, 0, 6, 11), "MobileNet-v1 224": (18, 3, 5, 11), "ResNet-50 v1.5": (19, 5, 10, 20),
            "SSD-MobileNet-v1": (8, 3, 5, 13), "SSD-ResNet34": (4, 4, 7, 12)}
    for row in closed.rows[:-1]:
        assert all(int(got) <= cap for got, cap in zip(row[1:5], spec[row[0]])), row


def test_cli_report_and_training_dispatch(corpus_root: Path, tmp_path: Path) -> None:
    from checker.cli import app

    root = corpus_root / "inference_v0.5"
    out = tmp_path / "r.md"
    res = CliRunner().invoke(app, ["report", str(root), "--known-absent", str(root / "ABSENT.txt"),
                                   "--format", "markdown", "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert "## Results per benchmark and scenario (closed division)" in out.read_text()
    bad = CliRunner().invoke(app, ["report", str(root), "--format", "pdf"])
    assert bad.exit_code != 0
