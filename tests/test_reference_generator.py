"""The sample generator (reference_logs/generator): its pieces on the committed sample, and a regeneration.

The fast tests recompute what the generator derives deterministically from LoadGen's logs
(the v0.5 text conversion, the verify outputs) on the committed v0.5 sample and compare
with the committed files byte for byte. The slow test regenerates the v0.5 sample with
the real LoadGen into a temporary folder and validates it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "reference_logs"
SAMPLE = REFERENCE / "inference_v0.5" / "closed" / "MLCheckSample"
sys.path.insert(0, str(REFERENCE))

from generator import v05text, verify
from generator.sut import ResponseTable

needs_sample = pytest.mark.skipif(not SAMPLE.is_dir(), reason="reference_logs sample not generated")


def read(p: Path) -> str:
    return p.read_text(encoding="utf-8")


@needs_sample
@pytest.mark.parametrize("run", ["Offline/performance/run_1", "Offline/accuracy", "SingleStream/performance/run_1"])
def test_v05_text_conversion_reproduces_the_committed_logs(run: str) -> None:
    src = SAMPLE / "results" / "tiny_cpu" / "resnet" / run
    dst = SAMPLE / "results" / "tiny_cpu_v05text" / "resnet" / run
    odd = run.startswith("SingleStream")
    detail, summary = v05text.mllog_to_v05_text(read(src / "mlperf_log_detail.txt").splitlines(),
                                                read(src / "mlperf_log_summary.txt"), crlf=odd, nul_after_sut_name=odd)
    assert detail.encode() == (dst / "mlperf_log_detail.txt").read_bytes()
    assert summary.encode() == (dst / "mlperf_log_summary.txt").read_bytes()


@needs_sample
@pytest.mark.parametrize("system", ["tiny_cpu", "tiny_cpu_v05text"])
@pytest.mark.parametrize("scenario", ["Offline", "SingleStream"])
def test_verify_outputs_reproduce_the_committed_ones(system: str, scenario: str) -> None:
    result = SAMPLE / "results" / system / "resnet" / scenario
    audit = SAMPLE / "audit" / system / "resnet" / scenario
    reference = read(result / "performance" / "run_1" / "mlperf_log_summary.txt")

    def summary(test: str) -> str:
        return read(audit / test / "performance" / "run_1" / "mlperf_log_summary.txt")

    for test in ("TEST01", "TEST03", "TEST05"):
        assert verify.verify_performance_text(reference, summary(test)) == read(audit / test / "verify_performance.txt")
    assert verify.verify_test4_text(summary("TEST04-A"), summary("TEST04-B")) == read(
        audit / "TEST04-A" / "verify_test4_performance.txt")
    assert verify.verify_accuracy_text(result / "accuracy" / "mlperf_log_accuracy.json",
                                       audit / "TEST01" / "performance" / "run_1" / "mlperf_log_accuracy.json") == read(
        audit / "TEST01" / "verify_accuracy.txt")


SUMMARY = """\
Scenario : {scenario}
{line} : {score}
Result is : {validity}
performance_issue_unique : 1
performance_issue_same : 1
"""


def summary(scenario: str, score: float, validity: str = "VALID") -> str:
    line = {"SingleStream": "90.0th percentile latency (ns)", "Server": "Scheduled samples per second",
            "Offline": "Samples per second"}[scenario]
    return SUMMARY.format(scenario=scenario, line=line, score=score, validity=validity)


@pytest.mark.parametrize(("scenario", "ref", "test", "threshold", "passes"), [
    ("Offline", 1000, 1060, 0.10, True),
    ("Offline", 1000, 1060, 0.05, False),  # v0.7 TEST05
    ("Offline", 1000, 960, 0.05, True),
    ("Server", 500, 451, 0.10, True),
    ("Server", 500, 449, 0.10, False),
    ("SingleStream", 150_000, 175_000, 0.05, True),  # <= 200 us: 20 % whatever the base
    ("SingleStream", 300_000, 320_000, 0.05, False),
])
def test_verify_performance_tolerances(scenario: str, ref: float, test: float, threshold: float, passes: bool) -> None:
    out = verify.verify_performance_text(summary(scenario, ref), summary(scenario, test), threshold)
    assert verify.verdict(out) == ("PASS" if passes else "FAIL"), out


def test_verify_performance_rejects_an_invalid_test_run() -> None:
    out = verify.verify_performance_text(summary("Offline", 1000), summary("Offline", 1000, "INVALID"))
    assert out.splitlines()[-1] == "TEST FAIL: Test results are invalid"
    assert not verify.loadgen_valid(summary("Offline", 1000, "INVALID"))
    assert verify.loadgen_valid(summary("Offline", 1000))


def test_test04_slower_b_passes_faster_b_fails() -> None:
    a = summary("Offline", 1000)
    assert verify.verdict(verify.verify_test4_text(a, summary("Offline", 700))) == "PASS"  # B slower
    assert verify.verdict(verify.verify_test4_text(a, summary("Offline", 1300))) == "FAIL"  # B much faster: caching


def test_until_pass_stops_at_the_first_pass_and_keeps_the_last_attempt() -> None:
    seen: list[int] = []

    def attempt(n: int) -> str:
        seen.append(n)
        return "TEST PASS\n" if n == 2 else "TEST FAIL: Test score invalid\n"

    verify.until_pass("T", attempt, 3)
    assert seen == [1, 2]
    seen.clear()
    verify.until_pass("T", lambda n: (seen.append(n), "TEST FAIL\n")[1], 3)
    assert seen == [1, 2, 3]


def test_response_table_round_trip(tmp_path: Path) -> None:
    fixed = ResponseTable.fixed(np.arange(6, dtype="<i4"))
    assert len(fixed) == 6 and fixed.payload(2) == (2).to_bytes(4, "little")
    ragged = ResponseTable.ragged([b"", b"ab", b"cde"])
    ragged.save(tmp_path / "t.npz")
    back = ResponseTable.load(tmp_path / "t.npz")
    assert [back.payload(i) for i in range(3)] == [b"", b"ab", b"cde"]


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
@needs_sample
def test_regenerated_v05_sample_has_the_committed_layout_and_validates(tmp_path: Path) -> None:
    out = tmp_path / "inference_v0.5"
    gen = subprocess.run([sys.executable, str(REFERENCE / "generate.py"), "--quick", "--out", str(out),
                          "--datasets", str(tmp_path / "datasets")], capture_output=True, text=True, timeout=900)
    assert gen.returncode == 0, gen.stdout[-3000:] + gen.stderr[-2000:]
    assert _files(out) == _files(REFERENCE / "inference_v0.5")
    assert (tmp_path / "datasets" / "imagenet" / "val_map.txt").read_bytes() == (
        REFERENCE / "datasets" / "imagenet" / "val_map.txt").read_bytes()
    p = subprocess.run([sys.executable, "-m", "checker.cli", "validate", str(out), "--round", "v0.5-sample",
                        "--format", "json"], capture_output=True, text=True, cwd=REPO, timeout=300,
                       env={**os.environ})
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    report = json.loads(p.stdout)
    assert report["summary"]["results"] == 6 and report["summary"]["errors"] == 0, report["summary"]
    assert all(r["valid"] for r in report["results"]), [r["id"] for r in report["results"] if not r["valid"]]
