"""The rule catalogue: the embedded sample is clean, and every inference rule has a bad case.

Each case copies the sample submission (real LoadGen logs), breaks one thing, and asserts
that exactly the expected rule fires with the expected severity.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from inference_mutations import (
    Case,
    _append,
    _both,
    _case,
    _drop_entries,
    _flip_first_payload,
    _halve,
    _json,
    _mkdir,
    _mllog,
    _mv,
    _rm,
    _sub,
    _truncate_log,
    _write,
    edit,
    rules_fired,
)

from checker.api import ValidateOptions, validate
from checker.findings import Report, Severity

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "reference_logs" / "inference_v0.5"
SUB = "closed/MLCheckSample"
RES = f"{SUB}/results/tiny_cpu/resnet"
TEXT_RES = f"{SUB}/results/tiny_cpu_v05text/resnet"
VAL_MAP = REPO / "reference_logs" / "datasets" / "imagenet" / "val_map.txt"

pytestmark = pytest.mark.skipif(not SAMPLE.is_dir(), reason="reference_logs sample not generated")


def run(root: Path, round: str = "v0.5-sample", **kw: object) -> Report:
    return validate(root, ValidateOptions(round=round, **kw))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def clean_report() -> Report:
    return run(SAMPLE)


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    dst = tmp_path / "sub"
    shutil.copytree(SAMPLE, dst)
    return dst


# ---------------------------------------------------------------- the clean sample

def test_sample_is_clean_under_sample_rules(clean_report: Report) -> None:
    errors = [f for f in clean_report.findings if f.severity is Severity.ERROR]
    assert errors == []
    assert clean_report.exit_code() == 0
    assert clean_report.summary["results"] >= 4
    assert all(r.valid for r in clean_report.results)
    scenarios = {r.scenario for r in clean_report.results if r.system == "tiny_cpu"}
    assert scenarios == {"SingleStream", "MultiStream", "Server", "Offline"}


def test_sample_metrics_and_accuracy(clean_report: Report) -> None:
    by = {(r.system, r.scenario): r for r in clean_report.results}
    for (system, scenario), r in by.items():
        assert r.metric is not None and r.metric.value is not None and r.metric.value > 0, (system, scenario)
        assert r.accuracy is not None and r.accuracy.reported is not None
        assert r.accuracy.target == pytest.approx(76.46 * 0.99)
        assert r.benchmark == "resnet"
    assert by[("tiny_cpu", "SingleStream")].metric.unit == "ms"  # type: ignore[union-attr]
    assert by[("tiny_cpu", "Offline")].metric.unit == "samples/s"  # type: ignore[union-attr]


def test_sample_fails_real_v05_minimums() -> None:
    """Under the real v0.5 rules the sample's short runs are errors, with the effective counts named."""
    report = run(SAMPLE, round="v0.5")
    fired = rules_fired(report, Severity.ERROR)
    assert "inf.loadgen.min-duration" in fired
    assert "inf.loadgen.min-queries" in fired
    assert report.exit_code() == 1
    msgs = [f.message for f in report.findings if f.rule == "inf.loadgen.min-queries"]
    assert any("270336" in m for m in msgs)


def test_text_format_logs_parse(clean_report: Report) -> None:
    text = [r for r in clean_report.results if r.system == "tiny_cpu_v05text"]
    assert text, "the sample carries v0.5 text-format logs"
    assert all(r.valid and r.metric and r.metric.value for r in text)


# ---------------------------------------------------------------- one bad case per rule


def _short_val_map(root: Path) -> None:
    """Ground truth that does not cover the log: re-scoring cannot run (the dataset is given below)."""
    (root / "val_map.txt").write_text("ILSVRC2012_val_00000001.JPEG 65\n")


def _to_open(root: Path) -> None:
    (root / "open").mkdir()
    (root / SUB).rename(root / "open" / "MLCheckSample")
    for p in (root / "open/MLCheckSample/systems").glob("*.json"):
        data = json.loads(p.read_text())
        data["division"] = "open"
        p.write_text(json.dumps(data))


def _original_elsewhere(root: Path) -> None:
    """A truncated log, and an 'original' beside the tree whose bytes are not the ones hashed."""
    log = f"{OFF}/accuracy/mlperf_log_accuracy.json"
    orig = root.parent / "originals" / log
    orig.parent.mkdir(parents=True)
    orig.write_bytes((root / log).read_bytes().replace(b'"seq_id" : 0,', b'"seq_id" : 0 ,', 1))
    _truncate_log(log, f"{OFF}/accuracy/accuracy.txt")(root)


OFF = f"{RES}/Offline"
AUD = f"{SUB}/audit/tiny_cpu/resnet/Offline"
SRV = f"{RES}/Server"
SS = f"{RES}/SingleStream"
SYS = f"{SUB}/systems/tiny_cpu.json"

# rule id -> its bad case


CASES: dict[str, Case] = {
    "inf.layout.submitter-parts": _case(_rm(f"{SUB}/code"), Severity.ERROR, {}, companions=("inf.layout.code",)),
    "inf.layout.audit-missing": _case(_rm(f"{SUB}/audit"), Severity.WARNING, {}),
    # a folder of no benchmark: no code, measurements or accuracy pattern for it, and its compliance tests orphaned
    "inf.layout.benchmark-unknown": _case(_mv(RES, f"{SUB}/results/tiny_cpu/bert"), Severity.ERROR, {},
                                          companions=("inf.accuracy.txt", "inf.audit.orphan", "inf.layout.code",
                                                      "inf.layout.measurements")),
    "inf.layout.benchmark-alias": _case(_mv(RES, f"{SUB}/results/tiny_cpu/resnet50"), Severity.WARNING, {}),
    "inf.layout.scenario-unknown": _case(_mv(OFF, f"{RES}/Batch"), Severity.ERROR, {},
                                         companions=("inf.audit.missing", "inf.audit.orphan", "inf.layout.measurements")),
    "inf.layout.scenario-case": _case(_mv(OFF, f"{RES}/offline"), Severity.WARNING, {}),
    "inf.layout.accuracy-dir": _case(_rm(f"{OFF}/accuracy"), Severity.ERROR, {}),
    "inf.layout.performance-dir": _case(_rm(f"{OFF}/performance"), Severity.ERROR, {}),
    "inf.layout.performance-case": _case(_mv(f"{OFF}/performance", f"{OFF}/Performance"), Severity.WARNING, {}),
    "inf.layout.accuracy-files": _case(_rm(f"{OFF}/accuracy/accuracy.txt"), Severity.ERROR, {}),
    "inf.layout.accuracy-logs": _case(_rm(f"{OFF}/accuracy/mlperf_log_detail.txt"), Severity.WARNING, {}),
    "inf.layout.run-files": _case(_rm(f"{OFF}/performance/run_1/mlperf_log_detail.txt"), Severity.ERROR, {}),
    "inf.layout.run-naming": _case(_mv(f"{OFF}/performance/run_1", f"{OFF}/performance/run_0"), Severity.WARNING, {}),
    "inf.layout.run-count": _case(_rm(f"{SRV}/performance/run_5"), Severity.ERROR, {}),
    "inf.layout.measurements": _case(_rm(f"{SUB}/measurements/tiny_cpu/resnet/Offline"), Severity.WARNING, {}),
    "inf.layout.measurements-files": _case(_rm(f"{SUB}/measurements/tiny_cpu/resnet/Offline/README.md"),
                                      Severity.WARNING, {}),
    "inf.layout.code": _case(_rm(f"{SUB}/code/resnet"), Severity.ERROR, {}),
    "inf.layout.known-absent": _case(_rm(f"{OFF}/accuracy/mlperf_log_accuracy.json"), Severity.INFO,
                                {"known_absent": frozenset({f"{OFF}/accuracy/mlperf_log_accuracy.json"})}),
    "inf.system.missing": _case(_rm(SYS), Severity.ERROR, {}),
    "inf.system.json": _case(_write(SYS, "{ not json"), Severity.ERROR, {}),
    "inf.system.schema": _case(_json(SYS, lambda d: d.pop("framework")), Severity.ERROR, {}),
    "inf.system.unknown-field": _case(_json(SYS, lambda d: d.update(sumitter="x")), Severity.WARNING, {}),
    "inf.system.folder-mismatch": _case(_json(SYS, lambda d: d.update(submitter="Someone Else")), Severity.ERROR, {}),
    "inf.system.category": _case(_json(SYS, lambda d: d.update(framework="TensorRT 6")), Severity.WARNING, {}),
    "inf.loadgen.unreadable": _case(_write(f"{OFF}/performance/run_1/mlperf_log_summary.txt", ""), Severity.ERROR, {}),
    "inf.loadgen.scenario": _case(_sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt",
                                  r"^Scenario : Offline", "Scenario : Server"), Severity.ERROR, {}),
    "inf.loadgen.mode": _case(_sub(f"{OFF}/accuracy/mlperf_log_detail.txt",
                              r'"effective_test_mode", "value": "AccuracyOnly"',
                              '"effective_test_mode", "value": "PerformanceOnly"'), Severity.ERROR, {}),
    "inf.loadgen.result-invalid": _case(_sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt",
                                        r"^Result is : VALID", "Result is : INVALID"), Severity.ERROR, {}),
    "inf.loadgen.seeds": _case(_sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt",
                               r"^qsl_rng_seed : \d+", "qsl_rng_seed : 12345"), Severity.ERROR, {}),
    "inf.loadgen.performance-sample-count": _case(_sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt",
                                                  r"^performance_sample_count : \d+",
                                                  "performance_sample_count : 512"), Severity.ERROR, {}),
    "inf.loadgen.min-duration": _case(_both(
        _sub(f"{RES}/MultiStream/performance/run_1/mlperf_log_summary.txt", r"^min_duration \(ms\): \d+",
             "min_duration (ms): 500"),
        _sub(f"{RES}/MultiStream/performance/run_1/mlperf_log_detail.txt", r'^.*"power_end".*\n', "")),
        Severity.ERROR),
    "inf.loadgen.min-queries": _case(_sub(f"{SS}/performance/run_1/mlperf_log_summary.txt",
                                     r"^min_query_count : \d+", "min_query_count : 1"), Severity.WARNING, {}),
    "inf.loadgen.offline-samples": _case(_both(
        _sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt", r"^samples_per_query : \d+",
             "samples_per_query : 1000"),
        _sub(f"{OFF}/performance/run_1/mlperf_log_detail.txt",
             r'"generated_samples_per_query", "value": \d+', '"generated_samples_per_query", "value": 1000')),
        Severity.ERROR, {}),
    "inf.loadgen.latency-bound": _case(_sub(f"{SRV}/performance/run_1/mlperf_log_summary.txt",
                                       r"^99\.00 percentile latency \(ns\)\s*: \d+",
                                       "99.00 percentile latency (ns)   : 99000000"), Severity.ERROR, {}),
    "inf.loadgen.target-latency": _case(_sub(f"{SRV}/performance/run_1/mlperf_log_summary.txt",
                                        r"^target_latency \(ns\): \d+", "target_latency (ns): 30000000"),
                                   Severity.ERROR, {}),
    "inf.loadgen.error-lines": _case(_append(f"{OFF}/performance/run_1/mlperf_log_detail.txt",
                                        _mllog("error_runtime", "SUT returned garbage", error=True)),
                                Severity.ERROR, {}, companions=("inf.loadgen.error-count",)),
    "inf.loadgen.benign-error": _case(_append(f"{OFF}/performance/run_1/mlperf_log_detail.txt",
                                         _mllog("error_generic_message", "Loadgen built with uncommitted changes!",
                                                error=True)), Severity.INFO, {},
                                 companions=("inf.loadgen.error-count",)),
    "inf.loadgen.malformed": _case(_append(f"{OFF}/performance/run_1/mlperf_log_detail.txt",
                                      ':::MLLOG {"key": "truncated'), Severity.WARNING, {}),
    "inf.accuracy.txt": _case(_write(f"{OFF}/accuracy/accuracy.txt", "the evaluation crashed\n"), Severity.ERROR, {}),
    "inf.accuracy.target": _case(_sub(f"{OFF}/accuracy/accuracy.txt", r"accuracy=[0-9.]+%", "accuracy=50.000%"),
                            Severity.ERROR, {}),
    "inf.accuracy.open-division": _case(_to_open, Severity.INFO, {}),
    "inf.accuracy.coverage": _case(_sub(f"{OFF}/accuracy/accuracy.txt", r"total=\d+", "total=40000"),
                              Severity.ERROR, {}),
    "inf.accuracy.coverage-open": _case(_both(
        _sub(f"{OFF}/accuracy/accuracy.txt", r"total=\d+", "total=40000"), _to_open), Severity.WARNING, {},
        companions=("inf.accuracy.open-division",)),
    "inf.loadgen.no-verdict": _case(_sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt", r"^Result is : VALID\n", ""),
                               Severity.ERROR, {}, companions=("inf.loadgen.summary-incomplete",)),
    "inf.loadgen.conflicting-keys": _case(_sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt", r"^(Scenario : Offline)$",
                                          r"\1\nScenario : Server"), Severity.ERROR, {}),
    "inf.loadgen.error-count": _case(_sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt",
                                     r"^No errors encountered during test\.", "3 ERRORS encountered. See detailed log."),
                                Severity.ERROR, {}),
    "inf.loadgen.timestamps": _case(_sub(f"{OFF}/performance/run_1/mlperf_log_detail.txt",
                                    r'("power_end", "value": "\d+-\d+-)\d{4}', r"\g<1>2000"), Severity.ERROR, {}),
    "inf.audit.responses": _case(_flip_first_payload(f"{AUD}/TEST01/performance/run_1/mlperf_log_accuracy.json"),
                            Severity.WARNING, {"audit_responses": "all"}),
    "inf.rescore.payload": _case(_sub(f"{OFF}/accuracy/mlperf_log_accuracy.json", r'"data" : "[0-9A-F]{8}"',
                                 '"data" : "ABCDEF"'), Severity.ERROR, {}),
    "inf.rescore.failed": _case(_short_val_map, Severity.ERROR, {}),
    "inf.layout.skipped-links": _case(lambda root: os.symlink("/etc/passwd", root / OFF / "accuracy" / "leak.txt"),
                                 Severity.WARNING, {}),
    "inf.audit.layout": _case(_mkdir(f"{AUD}/notes"), Severity.WARNING),
    "inf.audit.missing": _case(_rm(f"{AUD}/TEST05"), Severity.WARNING),
    "inf.audit.missing-open": _case(_both(_rm(f"{AUD}/TEST05"), _to_open), Severity.WARNING,
                                    companions=("inf.accuracy.open-division",)),
    "inf.audit.performance": _case(_sub(f"{AUD}/TEST05/performance/run_1/mlperf_log_summary.txt",
                                        r"^Samples per second: [0-9.]+", "Samples per second: 44256.6"),
                                   Severity.WARNING, companions=("inf.audit.verify-stale",)),
    "inf.audit.verify-disagree": _case(_sub(f"{AUD}/TEST05/verify_performance.txt", r"TEST PASS", "TEST FAIL"),
                                       Severity.WARNING),
    "inf.audit.verify-missing": _case(_rm(f"{AUD}/TEST05/verify_performance.txt"), Severity.WARNING),
    "inf.audit.verify-stale": _case(_sub(f"{AUD}/TEST05/verify_performance.txt", r"^test score = [0-9.]+",
                                         "test score = 20000"), Severity.WARNING),
    "inf.audit.orphan": _case(_mkdir(f"{SUB}/audit/tiny_cpu/ssd-small/Offline/TEST01"), Severity.WARNING),
    "inf.loadgen.latency-intervals": _case(_sub(f"{RES}/MultiStream/performance/run_1/mlperf_log_summary.txt",
                                                r"^Per-query latency:", "99.00 percentile : 3\nPer-query latency:"),
                                           Severity.ERROR),
    "inf.loadgen.latency-missing": _case(_sub(f"{SRV}/performance/run_1/mlperf_log_summary.txt",
                                              r"^99\.0+(th)? percentile latency \(ns\)\s*: \d+\n", ""),
                                         Severity.ERROR, companions=("inf.loadgen.summary-incomplete",)),
    "inf.rescore.index-range": _case(_sub(f"{OFF}/accuracy/mlperf_log_accuracy.json", r'"qsl_idx" : 364,',
                                          '"qsl_idx" : 99999999,'), Severity.ERROR,
                                     companions=("inf.rescore.samples",)),
    "inf.rescore.log-json": _case(_sub(f"{OFF}/accuracy/mlperf_log_accuracy.json", r"\]\s*\Z", ""),
                                  Severity.ERROR),
    "inf.rescore.method": _case(lambda root: None, Severity.INFO, {"datasets": {"imagenet": VAL_MAP}}),
    "inf.rescore.mismatch": _case(_sub(f"{OFF}/accuracy/accuracy.txt", r"accuracy=[0-9.]+%", "accuracy=76.700%"),
                                  Severity.ERROR, {"datasets": {"imagenet": VAL_MAP}},
                                  companions=("inf.rescore.method",)),
    # the original is scored (method)
    "inf.rescore.original-hash": _case(_original_elsewhere, Severity.ERROR, {"originals": True},
                                       companions=("inf.rescore.method",)),
    "inf.rescore.samples": _case(_drop_entries(f"{OFF}/accuracy/mlperf_log_accuracy.json", 10), Severity.ERROR),
    "inf.rescore.samples-open": _case(_both(_drop_entries(f"{OFF}/accuracy/mlperf_log_accuracy.json", 10),
                                            _to_open), Severity.WARNING,
                                      companions=("inf.accuracy.open-division",)),
    "inf.rescore.truncated": _case(_truncate_log(f"{OFF}/accuracy/mlperf_log_accuracy.json",
                                                 f"{OFF}/accuracy/accuracy.txt"), Severity.INFO),
    # a tree of another round: its logs carry that round's seeds (the per-run seeds rule fires too)
    "inf.round.seeds": _case(_sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt",
                                  r"^qsl_rng_seed : \d+\nsample_index_rng_seed : \d+\nschedule_rng_seed : \d+",
                                  "qsl_rng_seed : 12786827339337101903\nsample_index_rng_seed : 12640797754436136668"
                                  "\nschedule_rng_seed : 3135815929913719677"), Severity.WARNING,
                             companions=("inf.loadgen.seeds",)),
    "inf.audit.verify-crashed": _case(_write(f"{AUD}/TEST01/verify_accuracy.txt",
                                             "Verifying accuracy. This might take a while...\nTraceback (most recent "
                                             "call last):\nMemoryError\n"), Severity.WARNING),
    # v0.5's own semantics
    "inf.loadgen.seeds-accuracy": _case(_sub(f"{OFF}/accuracy/mlperf_log_detail.txt",
                                             r'("effective_qsl_rng_seed", "value": )\d+', r"\g<1>0"), Severity.WARNING),
    "inf.loadgen.builds": _case(_sub(f"{OFF}/accuracy/mlperf_log_detail.txt",
                                     r'("loadgen_version", "value": ")[^"]+', r"\g<1>6.0.16 @ 0123456789"),
                                Severity.WARNING),
    "inf.loadgen.summary-incomplete": _case(_halve(f"{OFF}/performance/run_1/mlperf_log_summary.txt"),
                                            Severity.ERROR),
    # the result keeps its description (renamed) and stays valid: the error is the submission's
    "inf.system.renamed": _case(_mv(SYS, f"{SUB}/systems/Tiny-CPU.json"), Severity.ERROR),
}

# Rules the clean sample itself triggers (info or warning), asserted on the clean run instead.
ON_CLEAN = {"inf.accuracy.rescore-skipped": Severity.INFO, "inf.system.category-unknown": Severity.INFO,
            "inf.audit.unverifiable": Severity.INFO}


@pytest.fixture(scope="module")
def clean_rules() -> dict[str, set[str]]:
    """Rule ids the clean sample fires, per round (a case's rule must be new, and nothing else but companions)."""
    return {rnd: rules_fired(run(SAMPLE, round=rnd)) for rnd in ("v0.5-sample", "v0.5")}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_bad_case(rule_id: str, tree: Path, clean_rules: dict[str, set[str]]) -> None:
    case = CASES[rule_id]
    case.mutate(tree)
    extra = dict(case.options)
    if extra.pop("originals", False):
        extra["datasets"] = {"imagenet": VAL_MAP, "originals": tree.parent / "originals"}
    if rule_id == "inf.rescore.failed":
        extra["datasets"] = {"imagenet": tree / "val_map.txt"}
    report = run(tree, **extra)
    hits = [f for f in report.findings if f.rule == rule_id]
    assert hits, f"{rule_id} did not fire; got {sorted(rules_fired(report))}"
    assert any(f.severity is case.severity for f in hits), [(f.severity, f.message) for f in hits]
    for f in hits:
        assert f.message and "{" not in f.message, f.message
        assert not f.path.startswith("/"), f.path
    clean = clean_rules[str(extra.get("round", "v0.5-sample"))]
    assert rule_id not in clean, f"{rule_id} fires on the clean sample: its case proves nothing"
    others = rules_fired(report) - clean - {rule_id}
    assert others <= case.companions, f"{rule_id}'s case also fired {sorted(others - case.companions)}"
    if case.severity is Severity.ERROR and any(f.result for f in hits):
        assert report.exit_code() == 1


def test_unreadable_folder(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder that cannot be listed is an error finding, not a traceback (root can read anything,
    so the refusal is simulated at the OS call)."""
    from checker import fs as discover

    real = os.scandir
    target = str(tree / SUB / "results" / "tiny_cpu")

    def scandir(path: object) -> object:
        if str(path) == target:
            raise PermissionError(13, "Permission denied")
        return real(path)  # type: ignore[call-overload]

    monkeypatch.setattr(discover.os, "scandir", scandir)
    report = run(tree)
    assert any(f.rule == "inf.layout.unreadable" and f.severity is Severity.ERROR for f in report.findings)


def test_on_clean(clean_report: Report) -> None:
    for rule_id, sev in ON_CLEAN.items():
        fired = [f for f in clean_report.findings if f.rule == rule_id]
        assert fired and all(f.severity is sev for f in fired), rule_id


def test_configured_below_but_met_is_a_warning(tree: Path) -> None:
    """v0.5 text logs: min_duration configured low, but POWER_BEGIN/END prove a 61 s run -> warning."""
    summ = tree / TEXT_RES / "Offline/performance/run_1/mlperf_log_summary.txt"
    det = tree / TEXT_RES / "Offline/performance/run_1/mlperf_log_detail.txt"
    edit(summ, r"^min_duration \(ms\): \d+", "min_duration (ms): 500")
    text = det.read_text(encoding="utf-8", errors="surrogateescape")
    m = re.search(r'POWER_BEGIN: "mode" : \w+, "time" : (\d+-\d+-\d+) (\d+):(\d+):([\d.]+)', text)
    assert m, "text-format detail log has POWER_BEGIN"
    date, hh, mm, ss = m.groups()
    end = f'{date} {int(hh):02d}:{int(mm) + 1:02d}:{float(ss) + 1:06.3f}' if int(mm) < 58 else None
    assert end
    text = re.sub(r'(POWER_END: "mode" : \w+, "time" : )[^\r\n]*', lambda x: x.group(1) + end, text)
    det.write_text(text, encoding="utf-8", errors="surrogateescape")
    report = run(tree, round="v0.5")
    hits = [f for f in report.findings if f.rule == "inf.loadgen.min-duration" and TEXT_RES + "/Offline" in f.path]
    assert hits and all(f.severity is Severity.WARNING for f in hits), [(f.severity, f.message) for f in hits]
    assert "meets it" in hits[0].message


# ---------------------------------------------------------------- v0.5's own semantics (issue: rules from the round)

def _fail_verify(tree: Path) -> None:
    edit(tree / AUD / "TEST01" / "verify_accuracy.txt", r"TEST PASS", "TEST FAIL")


@pytest.mark.parametrize("mode", ["off", "small", "all"])
def test_one_verdict_for_a_stated_test01_failure(tree: Path, mode: str) -> None:
    """A TEST01 failure gives one rule and one severity whether it was recomputed or only stated by the
    submitter's verify output; only the message says which (the sample's logs are over the default cap)."""
    _fail_verify(tree)
    if mode == "all":
        _flip_first_payload(f"{AUD}/TEST01/performance/run_1/mlperf_log_accuracy.json")(tree)
    report = run(tree, audit_responses=mode)
    hits = [f for f in report.findings if f.rule == "inf.audit.responses"]
    assert [f.severity for f in hits] == [Severity.WARNING], [(f.rule, f.message) for f in report.findings]
    assert (", recomputed:" in hits[0].message) == (mode == "all"), hits[0].message
    assert ("stated by the submitter's verify output" in hits[0].message) == (mode != "all")
    assert mode != "off" or "--audit-responses off" in hits[0].message
    assert all(r.valid for r in report.results) and report.exit_code() == 0


def test_truncated_accuracy_log_does_not_change_the_verdict(tree: Path) -> None:
    """After truncation the responses cannot be compared; a stated failure is still the same finding."""
    _fail_verify(tree)
    _truncate_log(f"{OFF}/accuracy/mlperf_log_accuracy.json", f"{OFF}/accuracy/accuracy.txt")(tree)
    report = run(tree, audit_responses="all")
    hits = [f for f in report.findings if f.rule == "inf.audit.responses"]
    assert [f.severity for f in hits] == [Severity.WARNING] and "not recomputed" in hits[0].message
    assert "truncated" in hits[0].message


def test_renamed_description_keeps_the_result_valid(tree: Path) -> None:
    _mv(SYS, f"{SUB}/systems/Tiny-CPU.json")(tree)
    report = run(tree)
    (f,) = [f for f in report.findings if f.rule == "inf.system.renamed"]
    assert f.result is None and f.path.endswith("systems/Tiny-CPU.json") and "tiny_cpu" in f.message
    assert not [x for x in report.findings if x.rule == "inf.system.missing"]
    rec = {r.id: r for r in report.results}[f"{RES}/Offline"]
    assert rec.valid and rec.extra["system_description"]  # the renamed description describes the result
    assert report.exit_code() == 1  # an error of the submission


def test_two_folders_for_one_renamed_description_stay_missing(tree: Path) -> None:
    """No guessing: a description two folders could claim is nobody's."""
    _mv(SYS, f"{SUB}/systems/tiny.json")(tree)
    shutil.copytree(tree / SUB / "results" / "tiny_cpu", tree / SUB / "results" / "tiny_gpu")
    report = run(tree, select=("inf.system",))
    assert not [x for x in report.findings if x.rule == "inf.system.renamed"]
    assert {x.result for x in report.findings if x.rule == "inf.system.missing"} >= {f"{RES}/Offline"}


def test_half_summary_names_what_is_missing(tree: Path) -> None:
    _halve(f"{OFF}/performance/run_1/mlperf_log_summary.txt")(tree)
    hits = [f for f in run(tree).findings if f.rule == "inf.loadgen.summary-incomplete"]
    assert any("its Test Parameters Used section" in f.message for f in hits), [f.message for f in hits]
    assert all(f.severity is Severity.ERROR and f.path.endswith("run_1/mlperf_log_summary.txt") for f in hits)


def test_directory_where_a_log_should_be(tree: Path) -> None:
    p = tree / OFF / "performance" / "run_1" / "mlperf_log_summary.txt"
    p.unlink()
    p.mkdir()
    hits = [f for f in run(tree).findings if f.rule == "inf.layout.run-files"]
    assert [f.path for f in hits] == [f"{OFF}/performance/run_1/mlperf_log_summary.txt"]
    assert "is a directory, not a file" in hits[0].message and "missing" not in hits[0].message
