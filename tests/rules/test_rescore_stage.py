"""The stage and its findings on a small submission tree built here (no corpus needed)."""

from __future__ import annotations

import hashlib
import shutil
import struct
import time
from pathlib import Path

import pytest
from rescore_helpers import loadgen_log

from checker.api import ValidateOptions, validate
from checker.rescore import jobs as jobs_module
from checker.rescore.jobs import Job, JobRun, map_jobs


def _resnet(tmp_path: Path, sample_root: Path) -> tuple[Path, Path, str]:
    """A copy of the sample: (its root, a resnet result's accuracy folder, that result's id)."""
    if not sample_root.is_dir():
        pytest.skip("the embedded sample submission is absent")
    root = tmp_path / "sub"
    shutil.copytree(sample_root, root)
    acc = next(iter(sorted(root.glob("*/*/results/*/resnet*/*/accuracy"))), None)
    if acc is None:
        pytest.skip("the sample has no resnet result")
    return root, acc, acc.parent.relative_to(root).as_posix()


def _imagenet_labels(tmp_path: Path) -> tuple[list[int], Path]:
    """ImageNet's 50,000 validation labels (made up) and their val_map.txt, as the label map is written."""
    labels = [i % 1000 for i in range(50000)]
    gt = tmp_path / "val_map.txt"
    gt.write_text("".join(f"img{i}.JPEG {v}\n" for i, v in enumerate(labels)))
    return labels, gt


def test_pool_and_inline_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same results inline, and over a pool whose caller takes the jobs no worker has started."""
    logs = [loadgen_log(tmp_path / f"{i}.json", [(q, struct.pack("<i", q)) for q in range(i + 3)]) for i in range(12)]
    jobs = [Job(str(p), p, 20) for p in logs]
    want = {str(p): i + 3 for i, p in enumerate(logs)}
    assert {o.key: o.scan.unique for o in map_jobs(jobs, 1)} == want
    monkeypatch.setattr(jobs_module, "INLINE_BYTES", 0)  # small logs would run inline
    with JobRun(jobs, 2) as run:
        assert run.pool is not None
        while not (run.futures[0].running() or run.futures[0].done()):  # the worker has the biggest job
            time.sleep(0.001)
        got = [(o.key, o.scan.unique) for o in run.results()]
    assert sorted(k for k, _ in got) == sorted(want) and dict(got) == want  # each job once
    taken = sum(f.cancelled() for f in run.futures)  # a job taken back from the pool ran in this process
    assert taken >= 1 and not run.futures[0].cancelled(), taken


def test_without_the_reader_loaded_the_caller_waits_for_the_pool(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that has not imported the reader (numpy) takes no job back: importing it costs more."""
    import sys

    logs = [loadgen_log(tmp_path / f"{i}.json", [(q, struct.pack("<i", q)) for q in range(i + 3)]) for i in range(12)]
    jobs = [Job(str(p), p, 20) for p in logs]
    monkeypatch.setattr(jobs_module, "INLINE_BYTES", 0)
    monkeypatch.delitem(sys.modules, "checker.rescore.reader", raising=False)  # as in a validation's main process
    with JobRun(jobs, 2) as run:
        got = {o.key: o.scan.unique for o in run.results()}
    assert got == {str(p): i + 3 for i, p in enumerate(logs)}
    assert not any(f.cancelled() for f in run.futures)


def test_the_process_reading_the_tree_never_imports_numpy(sample_root: Path) -> None:
    """validate starts its worker process first, and the scans and response comparisons run there (even
    the sample's small logs), so the process that reads the rest of the tree never imports numpy."""
    import subprocess
    import sys

    opts = "ValidateOptions(jobs=2, round='v0.5-sample', audit_responses='all')"
    code = ("import sys; from pathlib import Path; from checker.api import ValidateOptions, validate; "
            f"rep = validate(Path({str(sample_root)!r}), {opts}); print(len(rep.results), 'numpy' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2])
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["6", "False"], run.stdout


def test_findings_for_a_tampered_and_a_truncated_log(tmp_path: Path, sample_root: Path) -> None:
    root, acc, result_id = _resnet(tmp_path, sample_root)
    labels, gt = _imagenet_labels(tmp_path)
    # 49,990 samples, one out of range, one not hex: 3/4 right
    entries = [(i, struct.pack("<i", labels[i] if i % 4 else (labels[i] + 1) % 1000)) for i in range(49990)]
    entries.append((60000, struct.pack("<i", 1)))
    log = loadgen_log(acc / "mlperf_log_accuracy.json", entries)
    (acc / "accuracy.txt").write_text("accuracy=76.500%, good=38242, total=49990\n")
    rep = validate(root, ValidateOptions(datasets={"imagenet": gt}, only_results=frozenset({result_id}), jobs=1))
    rules = {f.rule for f in rep.findings_for(result_id)}
    assert {"inf.rescore.index-range", "inf.rescore.mismatch", "inf.rescore.method"} <= rules
    [rec] = rep.results
    assert rec.accuracy is not None and rec.accuracy.rescored == pytest.approx(75.0, abs=0.01)
    # without ground truth: structural findings only, and the coverage gap
    rep = validate(root, ValidateOptions(only_results=frozenset({result_id})))
    rules = {f.rule for f in rep.findings_for(result_id)}
    assert "inf.rescore.index-range" in rules and "inf.accuracy.rescore-skipped" in rules
    assert "inf.rescore.samples" in rules or "inf.rescore.samples-open" in rules
    # truncated, with the hash of the original in accuracy.txt
    raw = log.read_bytes()
    orig_dir = tmp_path / "originals"
    (orig_dir / acc.relative_to(root)).mkdir(parents=True)
    (orig_dir / acc.relative_to(root) / "mlperf_log_accuracy.json").write_bytes(raw)
    log.write_bytes(raw[:4096] + b"\n\n...\n\n" + raw[-4096:])
    digest = hashlib.sha256(raw).hexdigest()
    (acc / "accuracy.txt").write_text(f"accuracy=74.999%, good=37492, total=49990\nhash={digest}\n")
    rep = validate(root, ValidateOptions(datasets={"imagenet": gt, "originals": orig_dir},
                                         only_results=frozenset({result_id})))
    msgs = {f.rule: f.message for f in rep.findings_for(result_id)}
    assert "matches the hash" in msgs["inf.rescore.truncated"]
    assert "inf.rescore.mismatch" not in msgs and "inf.rescore.log-json" not in msgs
    assert rep.results[0].accuracy.rescored == pytest.approx(75.0, abs=0.01)  # type: ignore[union-attr]
    rep = validate(root, ValidateOptions(datasets={"imagenet": gt, "originals": orig_dir / "nowhere"},
                                         only_results=frozenset({result_id})))
    msgs = {f.rule: f.message for f in rep.findings_for(result_id)}
    assert "needs the original" in msgs["inf.rescore.truncated"]
    (orig_dir / acc.relative_to(root) / "mlperf_log_accuracy.json").write_bytes(raw + b" ")
    rep = validate(root, ValidateOptions(datasets={"imagenet": gt, "originals": orig_dir},
                                         only_results=frozenset({result_id})))
    assert any(f.rule == "inf.rescore.original-hash" for f in rep.findings_for(result_id))


def test_payloads_of_the_wrong_length_and_an_unscorable_log(tmp_path: Path, sample_root: Path) -> None:
    root, acc, result_id = _resnet(tmp_path, sample_root)
    loadgen_log(acc / "mlperf_log_accuracy.json", [(i, b"\x01\x02\x03") for i in range(50000)])
    gt = tmp_path / "val_map.txt"
    gt.write_text("".join(f"img{i}.JPEG 1\n" for i in range(50000)))
    rep = validate(root, ValidateOptions(datasets={"imagenet": gt}, only_results=frozenset({result_id}), jobs=1))
    msgs = {f.rule: f.message for f in rep.findings_for(result_id)}
    assert "3 bytes (50000 entries)" in msgs["inf.rescore.payload"]
    assert "not class indices" in msgs["inf.rescore.failed"]
    assert "inf.accuracy.rescore-skipped" not in msgs


def test_the_early_rules_judge_as_if_every_rule_ran_after_the_scans(tmp_path: Path, sample_root: Path) -> None:
    """validate runs the registry's early kinds while the accuracy logs are scanned and the late ones
    after: the findings are those of every rule run on the finished facts (a kind that reads the
    re-scoring outcomes and is not late would judge them missing here: the log is re-scored and wrong)."""
    from checker.api import SUITES, load_suite_ruleset
    from checker.engine.run import run_rules
    from checker.findings import Finding

    root, acc, result_id = _resnet(tmp_path, sample_root)
    labels, gt = _imagenet_labels(tmp_path)
    loadgen_log(acc / "mlperf_log_accuracy.json", [(i, struct.pack("<i", labels[i] if i % 2 else 0))
                                                     for i in range(50000)])
    opts = ValidateOptions(datasets={"imagenet": gt}, jobs=1)
    report = validate(root, opts)
    suite = SUITES["inference"]
    rs = load_suite_ruleset(suite, report.round)
    with suite.start(root, rs, opts) as staged:
        finished = staged.finish()
    every = run_rules(suite.registry, rs, suite.scopes(finished, opts), opts.selected)

    def key(f: Finding) -> tuple[str, str, str]:
        return f.rule, f.path, f.message

    assert sorted(map(key, report.findings)) == sorted(map(key, every))
    assert "inf.rescore.mismatch" in {f.rule for f in report.findings_for(result_id)}  # re-scored, and late
    assert any(not suite.registry.is_late(k.name) for k in suite.registry)
