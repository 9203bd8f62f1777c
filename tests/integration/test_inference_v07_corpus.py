"""The real published v0.7 inference results against inference_v0.7.EXPECTED.tsv: every result enumerated,
the closed verdicts as the v0.7 rules say, metrics and accuracy read as the round's tools read them,
and the round detected from the tree."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from checker.api import ValidateOptions, read_known_absent, validate
from checker.findings import Report, Severity

# one worker runs them all, so the module's report of the whole corpus is built once
pytestmark = [pytest.mark.corpus, pytest.mark.xdist_group("inference-v07-corpus")]


@pytest.fixture(scope="module")
def report(corpus_root: Path) -> Report:
    root = corpus_root / "inference_v0.7"
    return validate(root, ValidateOptions(known_absent=read_known_absent(root / "ABSENT.txt")))


@pytest.fixture(scope="module")
def expected(expected_dir: Path) -> list[dict[str, str]]:
    with open(expected_dir / "inference_v0.7.EXPECTED.tsv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_round_detected_and_every_result_enumerated(report: Report, expected: list[dict[str, str]]) -> None:
    assert report.round == "v0.7"  # from the seeds in the logs, without --round
    assert {r.id for r in report.results} == {row["result"] for row in expected}


def test_closed_verdicts_agree_with_the_rules(report: Report, expected: list[dict[str, str]]) -> None:
    by_id = {r.id: r for r in report.results}
    closed = [row for row in expected if row["division"] == "closed" and row["rules_verdict"]]
    disagree = [(row["result"], row["rules_verdict"],
                 [f.message for f in report.findings_for(row["result"]) if f.severity is Severity.ERROR])
                for row in closed if ("PASS" if by_id[row["result"]].valid else "FAIL") != row["rules_verdict"]]
    assert len(closed) == 338
    assert len(disagree) <= 0.05 * len(closed), disagree
    assert disagree == []  # today every closed verdict agrees; a new disagreement needs its reason here


def test_metric_as_the_official_checker_reports_it(report: Report, expected: list[dict[str, str]]) -> None:
    """The scenario's value, for Server the last VALID of the five runs."""
    by_id = {r.id: r for r in report.results}
    for row in expected:
        if not row["metric"]:
            continue
        r = by_id[row["result"]]
        want = float(row["metric"])  # SingleStream: the p90 in ms, as the v0.7 checker reports it
        assert r.metric is not None and r.metric.value == pytest.approx(want, rel=1e-6), row["result"]


def test_accuracy_read_from_the_benchmarks_own_line(report: Report, expected: list[dict[str, str]]) -> None:
    """BERT's F1, DLRM's AUC (never the click accuracy on the same line), 3D-UNet's mean DICE (a fraction)."""
    by_id = {r.id: r for r in report.results}
    checked = 0
    for row in expected:
        if not row["accuracy"] or not row["benchmark_dir"].startswith(("bert", "dlrm", "3d-unet")):
            continue
        acc = by_id[row["result"]].accuracy
        assert acc is not None and acc.reported == pytest.approx(float(row["accuracy"]), abs=1e-9), row["result"]
        checked += 1
    assert checked > 100


def test_suites_and_the_inferred_exception(report: Report) -> None:
    suites = {r.extra.get("suite") for r in report.results if r.division == "closed"}
    assert suites == {"datacenter", "edge"}
    inferred = [f for f in report.findings if f.rule == "inf.suite.inferred"]
    assert len(inferred) == 11 and all(f.severity is Severity.INFO for f in inferred)
    missing_server = [f for f in report.findings if f.rule == "inf.suite.required-scenario"]
    assert [f.result for f in missing_server] == ["closed/Dividiti/results/aws-g4dn.4xlarge-openvino-2020/ssd-resnet34/offline"]


def test_no_v05_verdict_changes(corpus_root: Path, expected_dir: Path) -> None:
    """The v0.5 corpus is still judged as before by its own round (detected as v0.5)."""
    root = corpus_root / "inference_v0.5"
    rep = validate(root, ValidateOptions(known_absent=read_known_absent(root / "ABSENT.txt")))
    assert rep.round == "v0.5"
    with open(expected_dir / "inference_v0.5.EXPECTED.tsv", encoding="utf-8", newline="") as fh:
        rows = [row for row in csv.DictReader(fh, delimiter="\t") if row["rules_verdict"]]
    by_id = {r.id: r for r in rep.results}
    assert [row["result"] for row in rows if ("PASS" if by_id[row["result"]].valid else "FAIL") != row["rules_verdict"]] == []
