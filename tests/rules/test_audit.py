"""Compliance tests: verify-output parsing, response comparison, recomputation and the inf.audit.* findings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from checker.api import ValidateOptions, read_known_absent, validate
from checker.suites.inference.compliance import canonical_test
from checker.suites.inference.verify import compare_responses, parse_verify

SUMMARY = """================================================
MLPerf Results Summary
================================================
SUT name : SUT
Scenario : Offline
Mode     : Performance
Samples per second : {score}
Result is : {valid}

================================================
Test Parameters Used
================================================
samples_per_query : 24576
"""


def test_parse_verify_kinds() -> None:
    perf = parse_verify("Verifying performance.\nWARNING: 1 ERROR reported in test results\n"
                        "reference score = 4021.94\ntest score = 4021.94\nTEST PASS\n")
    assert (perf.kind, perf.verdict, perf.values["test score"]) == ("performance", "PASS", 4021.94)
    assert perf.warnings
    acc = parse_verify("Verifying accuracy. This might take a while...\nnum_perf_log_entries = 5\n"
                       "num_perf_log_data_mismatch = 2\nTEST FAIL\n")
    assert (acc.kind, acc.verdict, acc.values["num_perf_log_data_mismatch"]) == ("accuracy", "FAIL", 2)
    t4 = parse_verify("Verifying performance.\nTEST04-A score = 10\nTEST04-B score = 20\nTEST FAIL: Test score invalid")
    assert (t4.kind, t4.verdict, t4.reason) == ("test4", "FAIL", "Test score invalid")
    assert parse_verify("nothing useful").verdict is None


def test_canonical_test_names() -> None:
    assert canonical_test("TEST01") == "TEST01"
    assert canonical_test("test_04_b") == "TEST04-B"
    assert canonical_test("TEST04-A") == "TEST04-A"
    assert canonical_test("accuracy") is None


def _acc_log(path: Path, entries: list[tuple[int, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = ",\n".join(f'{{ "seq_id" : {i}, "qsl_idx" : {q}, "data" : "{d}" }}' for i, (q, d) in enumerate(entries))
    path.write_text("[\n" + body + "\n]\n", encoding="utf-8")
    return path


def test_compare_responses_counts_like_the_round_script(tmp_path: Path) -> None:
    acc = _acc_log(tmp_path / "a.json", [(0, "01"), (1, "02"), (2, "03"), (2, "04")])
    perf = _acc_log(tmp_path / "p.json", [(0, "01"), (1, "0200"), (2, "05"), (7, "01"), (10, "02")])
    c = compare_responses(acc, perf, dataset_samples=3)
    assert (c.acc_entries, c.acc_duplicate_keys, c.acc_data_mismatch) == (4, 1, 1)
    assert c.perf_entries == 5
    assert c.wrapped_qsl_idxs == 2  # 7 % 3 = 1 and 10 % 3 = 1
    assert c.missing_qsl_idxs == 0
    assert c.perf_data_mismatch == 3  # 0200 vs 02, 05 vs 03, 01 vs 02 (idx 7 -> 1); idx 10 -> 1 matches
    assert c.perf_first_byte_mismatch == 2
    assert c.perf_length_mismatch == 1


def test_compare_responses_streams_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import checker.suites.inference.verify as pa

    monkeypatch.setattr(pa, "CHUNK", 7)  # forces entries to straddle reads
    entries = [(i, f"{i:04X}") for i in range(200)]
    acc = _acc_log(tmp_path / "a.json", entries)
    c = compare_responses(acc, acc)
    assert (c.acc_entries, c.perf_entries, c.perf_qsl_idx_match, c.perf_data_mismatch) == (200, 200, 200, 0)


# ---------------------------------------------------------------- a hand-built submission

def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _audit_tree(tmp_path: Path, sample_root: Path) -> tuple[Path, Path]:
    """Copy the sample submission and give its first Offline result a full set of compliance tests."""
    root = tmp_path / "sub"
    shutil.copytree(sample_root, root)
    res = next(p for p in root.glob("*/*/results/*/*/Offline") if p.is_dir())
    # the sample ships its own compliance tests; this test writes its own for this result
    shutil.rmtree(res.parents[3] / "audit" / res.parent.parent.name / res.parent.name / "Offline",
                  ignore_errors=True)
    return root, res


def _add_tests(root: Path, res: Path, scores: dict[str, float], verdicts: dict[str, str]) -> Path:
    sub = res.parents[3]
    system, bench = res.parent.parent.name, res.parent.name
    base = sub / "audit" / system / bench / "Offline"
    for name, score in scores.items():
        _write(base / name / "performance" / "run_1" / "mlperf_log_summary.txt",
               SUMMARY.format(score=score, valid="VALID"))
        if name != "TEST04-A" and name != "TEST04-B":
            _write(base / name / "verify_performance.txt",
                   f"Verifying performance.\nreference score = 1\ntest score = {score}\nTEST {verdicts.get(name, 'PASS')}\n")
    if "TEST04-A" in scores:
        _write(base / "TEST04-A" / "verify_test4_performance.txt",
               f"Verifying performance.\nTEST04-A score = {scores['TEST04-A']}\nTEST04-B score = {scores['TEST04-B']}\n"
               f"TEST {verdicts.get('TEST04', 'PASS')}\n")
    return base


def _ref_score(res: Path) -> float:
    from checker.suites.inference.loadgen import parse_summary

    s = parse_summary((res / "performance" / "run_1" / "mlperf_log_summary.txt").read_text())
    v = s.number("samples_per_second")
    assert v is not None
    return float(v)


def _rules(report_findings: list, prefix: str = "inf.audit") -> dict[str, list[str]]:  # type: ignore[type-arg]
    out: dict[str, list[str]] = {}
    for f in report_findings:
        if f.rule.startswith(prefix):
            out.setdefault(f.rule, []).append(f.message)
    return out


def test_audit_good_and_bad(tmp_path: Path, sample_root: Path) -> None:
    if not sample_root.is_dir():
        pytest.skip("no embedded sample")
    root, res = _audit_tree(tmp_path, sample_root)
    ref = _ref_score(res)
    good = {"TEST01": ref * 1.02, "TEST03": ref * 0.95, "TEST04-A": ref, "TEST04-B": ref * 1.05, "TEST05": ref}
    base = _add_tests(root, res, good, {})
    rep = validate(root, ValidateOptions(select=("inf.audit",)))
    found = _rules([f for f in rep.findings if f.path.startswith(str(base.relative_to(root)).split("/audit")[0])])
    assert "inf.audit.performance" not in found
    # TEST01 has no verify_accuracy.txt and no sampled log: noted, not failed
    assert any("TEST01" in m for m in found.get("inf.audit.verify-missing", []))
    assert any("responses" in m for m in found.get("inf.audit.unverifiable", []))

    # TEST03 12 % slow, TEST04-B 20 % faster than A; the submitter's TEST03 output says PASS
    bad = dict(good, TEST03=ref * 0.88, **{"TEST04-B": ref * 1.2})
    _add_tests(root, res, bad, {"TEST05": "FAIL"})
    rep = validate(root, ValidateOptions(select=("inf.audit",)))
    found = _rules(rep.findings)
    perf = found["inf.audit.performance"]
    assert any(m.startswith("TEST03 fails") and "-12.0 %" in m and "says TEST PASS" in m for m in perf)
    assert any(m.startswith("TEST04 fails") for m in perf)
    assert any("TEST05" in m for m in found["inf.audit.verify-disagree"])  # theirs FAIL, ours PASS
    assert found.get("inf.audit.verify-stale")  # the verify outputs state reference score 1

    # a missing test is an error for closed results
    shutil.rmtree(base / "TEST05")
    rep = validate(root, ValidateOptions(select=("inf.audit.missing",)))
    assert any("TEST05" in f.message for f in rep.findings if f.rule in ("inf.audit.missing", "inf.audit.missing-open"))


def test_audit_orphan_and_layout(tmp_path: Path, sample_root: Path) -> None:
    if not sample_root.is_dir():
        pytest.skip("no embedded sample")
    root, res = _audit_tree(tmp_path, sample_root)
    sub = res.parents[3]
    _write(sub / "audit" / "nosuchsystem" / "resnet" / "Offline" / "TEST01" / "verify_performance.txt", "TEST PASS\n")
    _write(sub / "audit" / res.parent.parent.name / res.parent.name / "Offline" / "TEST99" / "x.txt", "")
    rep = validate(root, ValidateOptions(select=("inf.audit.orphan", "inf.audit.layout")))
    rules = {f.rule for f in rep.findings}
    assert rules == {"inf.audit.orphan", "inf.audit.layout"}


@pytest.mark.slow
def test_corpus_audit_agreement(corpus_root: Path) -> None:
    """Every compliance test in the corpus is read and recomputed; agreement with verify outputs is counted."""
    from checker.api import SUITES, load_suite_ruleset
    from checker.suites.inference.compliance import agreement

    root = corpus_root / "inference_v0.5"
    suite = SUITES["inference"]
    rs = load_suite_ruleset(suite, "v0.5")
    opts = ValidateOptions(known_absent=read_known_absent(root / "ABSENT.txt"), audit_responses="all")
    with suite.start(root, rs, opts) as staged:
        facts = staged.finish()
    assert sum(len(r.compliance.tests) for r in facts.results if r.compliance) == 297  # every TEST folder
    assert facts.compliance.orphans == ()
    outs = [o for r in facts.results if r.compliance for o in r.compliance.outcomes]
    counts = agreement(outs)
    assert counts["agree"] >= 255 and counts["disagree"] <= 20 and counts["ours_only"] == 0
    # the one FAIL a submitter reported (Inspur TEST03) is a FAIL here too
    theirs_fail = [o for o in outs if o.theirs == "FAIL"]
    assert [o.ours for o in theirs_fail] == ["FAIL"]


def test_corpus_results_all_found(corpus_root: Path) -> None:
    root = corpus_root / "inference_v0.5"
    rep = validate(root, ValidateOptions(known_absent=read_known_absent(root / "ABSENT.txt")))
    assert len(rep.results) == 61


def test_responses_compared_over_workers_as_in_process(sample_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample's TEST01 comparison runs in the validation's worker process (queued after the log scans)
    and gives the compliance facts it gives when run here."""
    from checker.api import SUITES, load_suite_ruleset
    from checker.rescore import jobs

    suite = SUITES["inference"]
    rs = load_suite_ruleset(suite, "v0.5-sample")

    def facts(workers: int) -> tuple[object, ...]:
        with suite.start(sample_root, rs, ValidateOptions(jobs=workers, audit_responses="all")) as staged:
            done = staged.finish()
        return tuple(r.compliance for r in done.results)

    here = facts(1)
    compared = [t.responses for c in here if c for t in c.tests.values() if t.responses is not None]
    assert compared and compared[0].perf_qsl_idx_match > 0  # the sample's TEST01 is compared
    monkeypatch.setattr(jobs, "INLINE_BYTES", 0)  # the sample's small logs would be read here
    submitted: list[object] = []
    real = jobs.JobRun.call

    def spy(self: jobs.JobRun, fn: object, *args: object) -> object:
        pending = real(self, fn, *args)  # type: ignore[arg-type]
        submitted.append(pending)
        return pending

    monkeypatch.setattr(jobs.JobRun, "call", spy)
    assert facts(2) == here
    assert submitted and all(type(p).__name__ == "Future" for p in submitted)  # they went to the pool
