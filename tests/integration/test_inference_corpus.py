"""The real published v0.5 inference results: every result enumerated, verdicts as the rules say."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from checker.api import ValidateOptions, read_known_absent, validate
from checker.findings import Report

# one worker runs them all, so the module's report of the whole corpus is built once
pytestmark = pytest.mark.xdist_group("inference-v05-corpus")


@pytest.fixture(scope="module")
def corpus_report(corpus_root: Path) -> Report:
    root = corpus_root / "inference_v0.5"
    opts = ValidateOptions(known_absent=read_known_absent(root / "ABSENT.txt"))
    return validate(root, opts)


@pytest.fixture(scope="module")
def expected(expected_dir: Path) -> list[dict[str, str]]:
    with open(expected_dir / "inference_v0.5.EXPECTED.tsv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_every_result_enumerated(corpus_report: Report, expected: list[dict[str, str]]) -> None:
    ids = {r.id for r in corpus_report.results}
    assert len(ids) == 61
    assert ids == {row["result"] for row in expected}


def test_verdicts_agree_with_rules_verdict(corpus_report: Report, expected: list[dict[str, str]]) -> None:
    by_id = {r.id: r for r in corpus_report.results}
    disagreements = []
    for row in expected:
        want = row["rules_verdict"]
        if not want:
            continue  # open division: the table gives no verdict
        got = "PASS" if by_id[row["result"]].valid else "FAIL"
        if got != want:
            errs = [f.message for f in corpus_report.findings_for(row["result"]) if f.severity.value == "error"]
            disagreements.append((row["result"], want, got, errs))
    assert disagreements == []


def test_headline_metrics_match_run_1(corpus_report: Report, expected: list[dict[str, str]]) -> None:
    by_id = {r.id: r for r in corpus_report.results}
    for row in expected:
        if not row["metric_run1"]:
            continue
        r = by_id[row["result"]]
        want = float(row["metric_run1"])
        if r.scenario == "SingleStream":
            want /= 1e6  # the table gives nanoseconds; mlcheck reports milliseconds
        assert r.metric is not None and r.metric.value == pytest.approx(want, rel=1e-9), row["result"]


def test_reported_accuracy_matches(corpus_report: Report, expected: list[dict[str, str]]) -> None:
    by_id = {r.id: r for r in corpus_report.results}
    for row in expected:
        if row["accuracy_reported"] in ("", "None"):
            continue
        acc = by_id[row["result"]].accuracy
        assert acc is not None and acc.reported == pytest.approx(float(row["accuracy_reported"])), row["result"]


def test_known_failures_name_their_reason(corpus_report: Report) -> None:
    hailo = "closed/Hailo/results/Hailo8/ssd-small/Offline"
    rules = {f.rule for f in corpus_report.findings_for(hailo)}
    assert "inf.layout.accuracy-files" in rules


def test_benign_loadgen_errors_are_notes_not_errors(corpus_report: Report) -> None:
    benign = [f for f in corpus_report.findings if f.rule == "inf.loadgen.benign-error"]
    assert benign and all(f.severity.value == "info" for f in benign)
    assert not [f for f in corpus_report.findings if f.rule == "inf.loadgen.error-lines"]
