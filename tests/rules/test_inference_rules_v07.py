"""Inference v0.7 rules on the embedded v0.7 sample (real LoadGen runs, v0.7 settings, both suites):
the sample is clean under v0.7-sample, each rule of the round has its bad case, and the meta-test
holds every inference rules file to the bad-case tables of both samples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from inference_mutations import Case, _both, _case, _json, _rm, _sub, _write, rules_fired
from test_inference_rules import CASES as CASES_V05
from test_inference_rules import ON_CLEAN as ON_CLEAN_V05

from checker.api import SUITES, ValidateOptions, load_suite_ruleset, validate
from checker.engine.rules import available_rounds
from checker.findings import Report, Severity

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "reference_logs" / "inference_v0.7"
SUB = "closed/MLCheckSample"
EDGE = f"{SUB}/results/tiny_edge"
DC = f"{SUB}/results/tiny_dc"
COMP = f"{SUB}/compliance"
BERT_OFF = f"{COMP}/tiny_dc/bert-99/Offline/TEST01"

pytestmark = pytest.mark.skipif(not SAMPLE.is_dir(), reason="reference_logs v0.7 sample not generated")


def run(root: Path, round: str = "v0.7-sample", **kw: object) -> Report:
    return validate(root, ValidateOptions(round=round, **kw))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def clean() -> Report:
    return run(SAMPLE)


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    dst = tmp_path / "sub"
    shutil.copytree(SAMPLE, dst)
    return dst


def _system_type(system: str, value: str) -> object:
    return _json(f"{SUB}/systems/{system}.json", lambda d: d.update(system_type=value))


def _code_redirect(root: Path) -> None:
    """code/resnet50 as a file naming the folder the code is in (as NVIDIA-derived submissions do)."""
    (root / SUB / "code" / "resnet50").rename(root / SUB / "code" / "image_classification")
    (root / SUB / "code" / "resnet50").write_text("image_classification/\n")


def _inferred_offline(root: Path) -> None:
    """The edge Offline folder holding a copy of the SingleStream run, no compliance tests of its own."""
    off = root / EDGE / "resnet50" / "Offline" / "performance" / "run_1"
    shutil.rmtree(off)
    shutil.copytree(root / EDGE / "resnet50" / "SingleStream" / "performance" / "run_1", off)
    shutil.rmtree(root / COMP / "tiny_edge" / "resnet50" / "Offline")


def _fallback(root: Path) -> None:
    """TEST01 says TEST FAIL; the baseline and compliance accuracy agree within bert-99's 1 %."""
    _sub(f"{BERT_OFF}/verify_accuracy.txt", r"TEST PASS", "TEST FAIL")(root)
    acc = root / BERT_OFF / "accuracy"
    acc.mkdir(exist_ok=True)
    (acc / "baseline_accuracy.txt").write_text('{"exact_match": 83.10, "f1": 90.50}\n')
    (acc / "compliance_accuracy.txt").write_text('{"exact_match": 83.00, "f1": 90.40}\n')


TRACEBACK = ("Verifying accuracy. This might take a while...\nTraceback (most recent call last):\n"
             '  File "verify_accuracy.py", line 68, in main\n    acc_data = json.load(acc_json)\n'
             "json.decoder.JSONDecodeError: Invalid control character at: line 288 column 9 (char 4096)\n")

CASES: dict[str, Case] = {
    # the edge system declared datacenter: SSD-MobileNet is edge only; its SingleStream and MultiStream runs
    # are no datacenter scenarios, and ResNet lacks the datacenter Server
    "inf.suite.benchmark": _case(_system_type("tiny_edge", "datacenter"), Severity.ERROR,
                                 companions=("inf.suite.scenario", "inf.suite.required-scenario")),
    # the datacenter system declared edge: BERT-99's Server is no edge scenario, and its SingleStream is missing
    "inf.suite.scenario": _case(_system_type("tiny_dc", "edge"), Severity.ERROR,
                                companions=("inf.suite.required-scenario",)),
    "inf.suite.required-scenario": _case(_both(_rm(f"{DC}/bert-99/Server"), _rm(f"{COMP}/tiny_dc/bert-99/Server")),
                                         Severity.ERROR),
    "inf.suite.inferred": _case(_inferred_offline, Severity.INFO),
    "inf.layout.code-redirect": _case(_code_redirect, Severity.INFO),
    "inf.layout.orphan-system": _case(lambda root: shutil.copyfile(root / SUB / "systems" / "tiny_dc.json",
                                                                   root / SUB / "systems" / "spare_dc.json"),
                                      Severity.WARNING),
    "inf.audit.accuracy-fallback": _case(_fallback, Severity.INFO),
    "inf.audit.verify-crashed": _case(_write(f"{BERT_OFF}/verify_accuracy.txt", TRACEBACK), Severity.ERROR),
}

# Rules the clean v0.7 sample fires (its truncated accuracy logs cannot be compared or re-scored).
ON_CLEAN = {"inf.accuracy.rescore-skipped", "inf.rescore.truncated", "inf.audit.unverifiable"}


def test_sample_is_clean_under_v07_sample_rules(clean: Report) -> None:
    assert clean.round == "v0.7-sample" and clean.exit_code() == 0
    assert [f for f in clean.findings if f.severity is not Severity.INFO] == []
    suites = {r.extra.get("suite") for r in clean.results}
    assert suites == {"datacenter", "edge"} and all(r.valid for r in clean.results)


def test_sample_is_detected_as_v07_and_fails_only_the_real_minimums() -> None:
    report = validate(SAMPLE)
    assert report.round == "v0.7"
    assert rules_fired(report, Severity.ERROR) <= {"inf.loadgen.min-duration", "inf.loadgen.min-queries"}


def test_server_value_is_the_last_valid_run(clean: Report) -> None:
    (server,) = [r for r in clean.results if r.scenario == "Server"]
    assert server.extra["metric_run"] == "run_5"


@pytest.fixture(scope="module")
def clean_rules(clean: Report) -> set[str]:
    return rules_fired(clean)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_bad_case(rule_id: str, tree: Path, clean_rules: set[str]) -> None:
    case = CASES[rule_id]
    case.mutate(tree)
    report = run(tree, **case.options)
    hits = [f for f in report.findings if f.rule == rule_id]
    assert hits, f"{rule_id} did not fire; got {sorted(rules_fired(report))}"
    assert any(f.severity is case.severity for f in hits), [(f.severity, f.message) for f in hits]
    assert all(f.message and "{" not in f.message and not f.path.startswith("/") for f in hits)
    assert rule_id not in clean_rules, f"{rule_id} fires on the clean sample: its case proves nothing"
    others = rules_fired(report) - clean_rules - {rule_id}
    assert others <= case.companions, f"{rule_id}'s case also fired {sorted(others - case.companions)}"


def test_inferred_value_is_checked_against_the_formula(tree: Path) -> None:
    _inferred_offline(tree)
    summary = tree / EDGE / "resnet50" / "Offline" / "performance" / "run_1" / "mlperf_log_summary.txt"
    _sub(str(summary.relative_to(tree)), r"^QPS w/o loadgen overhead\s*: [0-9.]+", "QPS w/o loadgen overhead : 999")(tree)
    hits = [f for f in run(tree).findings if f.rule == "inf.suite.inferred"]
    assert hits and hits[0].severity is Severity.ERROR and "999" in hits[0].message


def test_v07_compliance_failures_are_errors(tree: Path) -> None:
    _sub(f"{COMP}/tiny_edge/resnet50/Offline/TEST05/performance/run_1/mlperf_log_summary.txt",
         r"^Samples per second\s*: [0-9.]+", "Samples per second : 1.5")(tree)
    _sub(f"{COMP}/tiny_edge/resnet50/Offline/TEST05/verify_performance.txt", r"TEST PASS", "TEST FAIL")(tree)
    report = run(tree)
    (f,) = [f for f in report.findings if f.rule == "inf.audit.performance"]
    assert f.severity is Severity.ERROR and "recomputed" in f.message
    assert not {r.id: r for r in report.results}[f"{EDGE}/resnet50/Offline"].valid


def test_every_rule_has_a_bad_case() -> None:
    """Every rule of every inference rules file has its bad case on one of the samples (or fires on its
    clean sample, or is provoked apart); no grep of test sources."""
    ids: set[str] = set()
    for rnd in available_rounds("inference"):
        ids |= {r.id for r in load_suite_ruleset(SUITES["inference"], rnd).rules}
    apart = {"inf.layout.unreadable", "inf.round.undetermined"}  # provoked by their own tests
    covered = set(CASES_V05) | set(ON_CLEAN_V05) | set(CASES) | ON_CLEAN | apart
    assert ids == covered, {"without a case": sorted(ids - covered), "no such rule": sorted(covered - ids)}


def test_a_tree_that_names_no_round_gets_the_newest_and_a_warning(tmp_path: Path) -> None:
    (tmp_path / "closed" / "Acme" / "systems").mkdir(parents=True)
    report = validate(tmp_path)
    (f,) = [f for f in report.findings if f.rule == "inf.round.undetermined"]
    assert report.round == "v0.7" and f.severity is Severity.WARNING and "--round" in f.message
    assert not [f for f in validate(tmp_path, ValidateOptions(round="v0.5")).findings
                if f.rule == "inf.round.undetermined"]


def test_v05_tree_under_v07_rules_names_the_round() -> None:
    report = validate(REPO / "reference_logs" / "inference_v0.5", ValidateOptions(round="v0.7"))
    (f,) = [f for f in report.findings if f.rule == "inf.round.seeds"]
    assert "v0.5" in f.message and f.severity is Severity.WARNING
