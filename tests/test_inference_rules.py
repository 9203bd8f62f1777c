"""The rule catalogue: the embedded sample is clean, and every inference rule has a bad case.

Each case copies the sample submission (real LoadGen logs), breaks one thing, and asserts
that exactly the expected rule fires with the expected severity.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from checker.api import ValidateOptions, validate
from checker.findings import Report, Severity

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "reference_logs" / "inference_v0.5"
SUB = "closed/MLCheckSample"
RES = f"{SUB}/results/tiny_cpu/resnet"
TEXT_RES = f"{SUB}/results/tiny_cpu_v05text/resnet"

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


def edit(path: Path, pattern: str, repl: str, count: int = 0) -> None:
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    new, n = re.subn(pattern, repl, text, count=count, flags=re.MULTILINE)
    assert n, f"pattern {pattern!r} not found in {path}"
    path.write_text(new, encoding="utf-8", errors="surrogateescape")


def rules_fired(report: Report, severity: Severity | None = None) -> set[str]:
    return {f.rule for f in report.findings if severity is None or f.severity is severity}


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

Mutation = Callable[[Path], None]


def _rm(rel: str) -> Mutation:
    def m(root: Path) -> None:
        p = root / rel
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    return m


def _mv(src: str, dst: str) -> Mutation:
    def m(root: Path) -> None:
        (root / src).rename(root / dst)
    return m


def _sub(rel: str, pattern: str, repl: str) -> Mutation:
    def m(root: Path) -> None:
        edit(root / rel, pattern, repl)
    return m


def _write(rel: str, content: str) -> Mutation:
    def m(root: Path) -> None:
        (root / rel).write_text(content, encoding="utf-8")
    return m


def _json(rel: str, fn: Callable[[dict[str, object]], None]) -> Mutation:
    def m(root: Path) -> None:
        p = root / rel
        data = json.loads(p.read_text())
        fn(data)
        p.write_text(json.dumps(data))
    return m


def _append(rel: str, line: str) -> Mutation:
    def m(root: Path) -> None:
        with open(root / rel, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    return m


def _mllog(key: str, value: object, error: bool = False) -> str:
    rec = {"key": key, "value": value, "time_ms": 1.0, "namespace": "mlperf::logging",
           "event_type": "POINT_IN_TIME",
           "metadata": {"is_error": error, "is_warning": False, "file": "x.cc", "line_no": 1, "pid": 1, "tid": 1}}
    return ":::MLLOG " + json.dumps(rec)


def _both(*ms: Mutation) -> Mutation:
    def m(root: Path) -> None:
        for x in ms:
            x(root)
    return m


def _flip_first_payload(rel: str) -> Mutation:
    """Change the first logged response's first byte, so it no longer equals the accuracy run's."""
    def m(root: Path) -> None:
        def flip(x: re.Match[str]) -> str:
            b = int(x.group(2)[:2], 16) ^ 0xFF
            return f'{x.group(1)}{b:02X}{x.group(2)[2:]}"'
        p = root / rel
        p.write_text(re.sub(r'("data"\s*:\s*")([0-9A-Fa-f]{2,})"', flip, p.read_text(), count=1))
    return m


def _short_val_map(root: Path) -> None:
    """Ground truth that does not cover the log: re-scoring cannot run (the dataset is given below)."""
    (root / "val_map.txt").write_text("ILSVRC2012_val_00000001.JPEG 65\n")


def _to_open(root: Path) -> None:
    (root / "open").mkdir()
    (root / SUB).rename(root / "open" / "MLCheckSample")
    p = root / "open/MLCheckSample/systems/tiny_cpu.json"
    data = json.loads(p.read_text())
    data["division"] = "open"
    p.write_text(json.dumps(data))


OFF = f"{RES}/Offline"
AUD = f"{SUB}/audit/tiny_cpu/resnet/Offline"
SRV = f"{RES}/Server"
SS = f"{RES}/SingleStream"
SYS = f"{SUB}/systems/tiny_cpu.json"

# rule id -> (mutation, expected severity, extra options)
CASES: dict[str, tuple[Mutation, Severity, dict[str, object]]] = {
    "inf.layout.submitter-parts": (_rm(f"{SUB}/code"), Severity.ERROR, {}),
    "inf.layout.audit-missing": (_rm(f"{SUB}/audit"), Severity.WARNING, {}),
    "inf.layout.benchmark-unknown": (_mv(RES, f"{SUB}/results/tiny_cpu/bert"), Severity.ERROR, {}),
    "inf.layout.benchmark-alias": (_mv(RES, f"{SUB}/results/tiny_cpu/resnet50"), Severity.WARNING, {}),
    "inf.layout.scenario-unknown": (_mv(OFF, f"{RES}/Batch"), Severity.ERROR, {}),
    "inf.layout.scenario-case": (_mv(OFF, f"{RES}/offline"), Severity.WARNING, {}),
    "inf.layout.accuracy-dir": (_rm(f"{OFF}/accuracy"), Severity.ERROR, {}),
    "inf.layout.performance-dir": (_rm(f"{OFF}/performance"), Severity.ERROR, {}),
    "inf.layout.performance-case": (_mv(f"{OFF}/performance", f"{OFF}/Performance"), Severity.WARNING, {}),
    "inf.layout.accuracy-files": (_rm(f"{OFF}/accuracy/accuracy.txt"), Severity.ERROR, {}),
    "inf.layout.accuracy-logs": (_rm(f"{OFF}/accuracy/mlperf_log_detail.txt"), Severity.WARNING, {}),
    "inf.layout.run-files": (_rm(f"{OFF}/performance/run_1/mlperf_log_detail.txt"), Severity.ERROR, {}),
    "inf.layout.run-naming": (_mv(f"{OFF}/performance/run_1", f"{OFF}/performance/run_0"), Severity.WARNING, {}),
    "inf.layout.run-count": (_rm(f"{SRV}/performance/run_5"), Severity.ERROR, {}),
    "inf.layout.measurements": (_rm(f"{SUB}/measurements/tiny_cpu/resnet/Offline"), Severity.WARNING, {}),
    "inf.layout.measurements-files": (_rm(f"{SUB}/measurements/tiny_cpu/resnet/Offline/README.md"),
                                      Severity.WARNING, {}),
    "inf.layout.code": (_rm(f"{SUB}/code/resnet"), Severity.ERROR, {}),
    "inf.layout.known-absent": (_rm(f"{OFF}/accuracy/mlperf_log_accuracy.json"), Severity.INFO,
                                {"known_absent": frozenset({f"{OFF}/accuracy/mlperf_log_accuracy.json"})}),
    "inf.system.missing": (_rm(SYS), Severity.ERROR, {}),
    "inf.system.json": (_write(SYS, "{ not json"), Severity.ERROR, {}),
    "inf.system.schema": (_json(SYS, lambda d: d.pop("framework")), Severity.ERROR, {}),
    "inf.system.unknown-field": (_json(SYS, lambda d: d.update(sumitter="x")), Severity.WARNING, {}),
    "inf.system.folder-mismatch": (_json(SYS, lambda d: d.update(submitter="Someone Else")), Severity.ERROR, {}),
    "inf.system.category": (_json(SYS, lambda d: d.update(framework="TensorRT 6")), Severity.WARNING, {}),
    "inf.loadgen.unreadable": (_write(f"{OFF}/performance/run_1/mlperf_log_summary.txt", ""), Severity.ERROR, {}),
    "inf.loadgen.scenario": (_sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt",
                                  r"^Scenario : Offline", "Scenario : Server"), Severity.ERROR, {}),
    "inf.loadgen.mode": (_sub(f"{OFF}/accuracy/mlperf_log_detail.txt",
                              r'"effective_test_mode", "value": "AccuracyOnly"',
                              '"effective_test_mode", "value": "PerformanceOnly"'), Severity.ERROR, {}),
    "inf.loadgen.result-invalid": (_sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt",
                                        r"^Result is : VALID", "Result is : INVALID"), Severity.ERROR, {}),
    "inf.loadgen.seeds": (_sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt",
                               r"^qsl_rng_seed : \d+", "qsl_rng_seed : 12345"), Severity.ERROR, {}),
    "inf.loadgen.performance-sample-count": (_sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt",
                                                  r"^performance_sample_count : \d+",
                                                  "performance_sample_count : 512"), Severity.ERROR, {}),
    # under the real v0.5 minimum (60 s) the sample's 1 s runs fail; the detail log proves their length
    "inf.loadgen.min-duration": (lambda root: None, Severity.ERROR, {"round": "v0.5"}),
    "inf.loadgen.min-queries": (_sub(f"{SS}/performance/run_1/mlperf_log_summary.txt",
                                     r"^min_query_count : \d+", "min_query_count : 1"), Severity.WARNING, {}),
    "inf.loadgen.offline-samples": (_both(
        _sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt", r"^samples_per_query : \d+",
             "samples_per_query : 1000"),
        _sub(f"{OFF}/performance/run_1/mlperf_log_detail.txt",
             r'"generated_samples_per_query", "value": \d+', '"generated_samples_per_query", "value": 1000')),
        Severity.ERROR, {}),
    "inf.loadgen.latency-bound": (_sub(f"{SRV}/performance/run_1/mlperf_log_summary.txt",
                                       r"^99\.00 percentile latency \(ns\)\s*: \d+",
                                       "99.00 percentile latency (ns)   : 99000000"), Severity.ERROR, {}),
    "inf.loadgen.target-latency": (_sub(f"{SRV}/performance/run_1/mlperf_log_summary.txt",
                                        r"^target_latency \(ns\): \d+", "target_latency (ns): 30000000"),
                                   Severity.ERROR, {}),
    "inf.loadgen.error-lines": (_append(f"{OFF}/performance/run_1/mlperf_log_detail.txt",
                                        _mllog("error_runtime", "SUT returned garbage", error=True)),
                                Severity.ERROR, {}),
    "inf.loadgen.benign-error": (_append(f"{OFF}/performance/run_1/mlperf_log_detail.txt",
                                         _mllog("error_generic_message", "Loadgen built with uncommitted changes!",
                                                error=True)), Severity.INFO, {}),
    "inf.loadgen.malformed": (_append(f"{OFF}/performance/run_1/mlperf_log_detail.txt",
                                      ':::MLLOG {"key": "truncated'), Severity.WARNING, {}),
    "inf.accuracy.txt": (_write(f"{OFF}/accuracy/accuracy.txt", "the evaluation crashed\n"), Severity.ERROR, {}),
    "inf.accuracy.target": (_sub(f"{OFF}/accuracy/accuracy.txt", r"accuracy=[0-9.]+%", "accuracy=50.000%"),
                            Severity.ERROR, {}),
    "inf.accuracy.open-division": (_to_open, Severity.INFO, {}),
    "inf.accuracy.coverage": (_sub(f"{OFF}/accuracy/accuracy.txt", r"total=\d+", "total=40000"),
                              Severity.ERROR, {}),
    "inf.accuracy.coverage-open": (_both(
        _sub(f"{OFF}/accuracy/accuracy.txt", r"total=\d+", "total=40000"), _to_open), Severity.WARNING, {}),
    "inf.loadgen.no-verdict": (_sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt", r"^Result is : VALID\n", ""),
                               Severity.ERROR, {}),
    "inf.loadgen.conflicting-keys": (_sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt", r"^(Scenario : Offline)$",
                                          r"\1\nScenario : Server"), Severity.ERROR, {}),
    "inf.loadgen.error-count": (_sub(f"{OFF}/performance/run_1/mlperf_log_summary.txt",
                                     r"^No errors encountered during test\.", "3 ERRORS encountered. See detailed log."),
                                Severity.ERROR, {}),
    "inf.loadgen.timestamps": (_sub(f"{OFF}/performance/run_1/mlperf_log_detail.txt",
                                    r'("power_end", "value": "\d+-\d+-)\d{4}', r"\g<1>2000"), Severity.ERROR, {}),
    "inf.audit.verify-fail": (_sub(f"{AUD}/TEST01/verify_accuracy.txt", r"TEST PASS", "TEST FAIL"),
                              Severity.ERROR, {"audit_responses": "off"}),
    "inf.audit.responses": (_flip_first_payload(f"{AUD}/TEST01/performance/run_1/mlperf_log_accuracy.json"),
                            Severity.WARNING, {"audit_responses": "all"}),
    "inf.rescore.payload": (_sub(f"{OFF}/accuracy/mlperf_log_accuracy.json", r'"data" : "[0-9A-F]{8}"',
                                 '"data" : "ABCDEF"'), Severity.ERROR, {}),
    "inf.rescore.failed": (_short_val_map, Severity.ERROR, {}),
    "inf.layout.skipped-links": (lambda root: os.symlink("/etc/passwd", root / OFF / "accuracy" / "leak.txt"),
                                 Severity.WARNING, {}),
}

# Rules the clean sample itself triggers (info or warning), asserted on the clean run instead.
ON_CLEAN = {"inf.accuracy.rescore-skipped": Severity.INFO}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_bad_case(rule_id: str, tree: Path) -> None:
    mutate, severity, extra = CASES[rule_id]
    mutate(tree)
    if mutate is _short_val_map:
        extra = {**extra, "datasets": {"imagenet": tree / "val_map.txt"}}
    report = run(tree, **extra)
    hits = [f for f in report.findings if f.rule == rule_id]
    assert hits, f"{rule_id} did not fire; got {sorted(rules_fired(report))}"
    assert any(f.severity is severity for f in hits), [(f.severity, f.message) for f in hits]
    for f in hits:
        assert f.message and "{" not in f.message, f.message
        assert not f.path.startswith("/"), f.path
    if severity is Severity.ERROR and any(f.result for f in hits):
        assert report.exit_code() == 1


def test_unreadable_folder(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder that cannot be listed is an error finding, not a traceback (root can read anything,
    so the refusal is simulated at the OS call)."""
    from checker import discover

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


def test_every_rule_has_a_bad_case() -> None:
    """A rule without a bad case anywhere in the tests fails this test."""
    doc = yaml.safe_load((REPO / "rules/inference/v0.5.yaml").read_text())
    ids = {r["id"] for r in doc["rules"]}
    here = set(CASES) | set(ON_CLEAN) | {"inf.layout.unreadable"}
    elsewhere_text = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "tests").rglob("*.py")
                               if p.name != Path(__file__).name)
    missing = sorted(i for i in ids - here if f'"{i}"' not in elsewhere_text and f"'{i}'" not in elsewhere_text)
    assert missing == [], f"rules without a bad case: {missing}"


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
