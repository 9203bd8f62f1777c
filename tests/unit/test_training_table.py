"""render_training_report on hand-built Reports: every format, marks, ordering, errors."""

from __future__ import annotations

import csv
import io
import json

import pytest

from checker.errors import UsageError
from checker.findings import Report, ResultRecord
from checker.suites.training.tables import render_training_report


def _rec(sub: str, system: str, bench: str, minutes: float | None, valid: bool = True, nonconv: int = 0,
         absent: int = 0, runs: int = 5, division: str = "closed") -> ResultRecord:
    r = ResultRecord(id=f"{sub}/results/{system}/{bench}", division=division, submitter=sub, system=system,
                     benchmark=bench, scenario="", valid=valid)
    r.extra.update({"score": {"minutes": minutes}, "nonconverged": nonconv, "absent": absent,
                    "runs": [{}] * runs,
                    "system_description": {"processor": "Tesla V100", "processor_count": 8, "software": "MXNet",
                                           "status": "onprem"}})
    return r


def _report() -> Report:
    rep = Report(tool="t", suite="training", round="v0.6", root="x", ruleset={})
    rep.results = [
        _rec("NVIDIA", "dgx1", "resnet", 115.2207),
        _rec("NVIDIA", "dgx1", "minigo", 27.3922, nonconv=1),
        _rec("Google", "tpu", "transformer", 20.0, valid=False),
        _rec("Intel", "clx", "minigo", None, absent=10, runs=10),
        _rec("Fujitsu", "abci", "resnet", 1.17356, division="open"),
    ]
    return rep


def test_markdown() -> None:
    out = render_training_report([_report()], "markdown")
    lines = out.splitlines()
    assert lines[0] == ("| Submitter | System | Division | Status | Processor (count) | Software | ResNet-50 (min) "
                        "| Transformer (min) | MiniGo (min) |")
    assert lines[2] == "| Google | tpu | closed | onprem | Tesla V100 x8 | MXNet |  | 20.00! |  |"
    assert lines[3] == "| Intel | clx | closed | onprem | Tesla V100 x8 | MXNet |  |  | absent |"
    assert lines[4] == "| NVIDIA | dgx1 | closed | onprem | Tesla V100 x8 | MXNet | 115.22 |  | 27.39* |"
    assert lines[5].startswith("| Fujitsu | abci | open |") and "| 1.17 |" in lines[5]
    assert "non-converged" in out


def test_csv_and_json() -> None:
    rows = list(csv.DictReader(io.StringIO(render_training_report([_report()], "csv"))))
    nv = next(r for r in rows if r["submitter"] == "NVIDIA")
    assert nv["resnet_minutes"] == "115.22" and nv["minigo_flags"] == "nonconverged" and nv["processor_count"] == "8"
    g = next(r for r in rows if r["submitter"] == "Google")
    assert g["transformer_flags"] == "invalid"
    doc = json.loads(render_training_report([_report()], "json"))
    assert doc["benchmarks"] == ["resnet", "transformer", "minigo"]
    intel = next(r for r in doc["rows"] if r["submitter"] == "Intel")
    assert intel["results"]["minigo"] == {"id": "Intel/results/clx/minigo", "minutes": None, "valid": True,
                                          "nonconverged": 0, "absent": 10, "runs": 10}


def test_text_and_errors() -> None:
    out = render_training_report([_report()], "text")
    assert "115.22" in out and "27.39*" in out and "20.00!" in out and "ResNet-50" in out
    with pytest.raises(UsageError):
        render_training_report([_report()], "html")
    inf = Report(tool="t", suite="inference", round="v0.5", root="x", ruleset={})
    with pytest.raises(UsageError):
        render_training_report([inf], "csv")
    assert render_training_report([], "csv").startswith("submitter,system")
