"""rescore's text: every '—' says why, every scored result says whether it matches, and a closing summary."""

from __future__ import annotations

import re
from pathlib import Path

from checker.commands.rescore import summary_line, why_not_rescored
from checker.findings import Accuracy, Finding, ResultRecord, Severity

RID = "closed/S/results/s/resnet/Offline"
ACC = Accuracy("top1", 76.0, 75.7)


def _rec(acc: Accuracy | None = ACC) -> ResultRecord:
    return ResultRecord(id=RID, division="closed", submitter="S", system="s", benchmark="resnet", scenario="Offline",
                        accuracy=acc)


def test_why_a_result_was_not_rescored() -> None:
    assert "no accuracy record" in why_not_rescored(_rec(None), [])
    absent = Finding("inf.layout.known-absent", Severity.INFO, f"{RID}/accuracy/mlperf_log_accuracy.json", "x", RID)
    assert why_not_rescored(_rec(), [absent]) == "accuracy log absent from this copy (--known-absent)"
    failed = Finding("inf.rescore.failed", Severity.ERROR, f"{RID}/accuracy", "the log cannot be re-scored: bad", RID)
    assert why_not_rescored(_rec(), [failed]).startswith("could not be re-scored (inf.rescore.failed): ")
    skipped = Finding("inf.accuracy.rescore-skipped", Severity.INFO, f"{RID}/accuracy",
                      "re-scoring skipped: no ground truth given for coco (--dataset coco=PATH)", RID)
    assert why_not_rescored(_rec(), [skipped]) == "no ground truth given for coco (--dataset coco=PATH)"
    missing = Finding("inf.layout.accuracy-files", Severity.ERROR, f"{RID}/accuracy",
                      "accuracy/ is missing mlperf_log_accuracy.json", RID)
    assert why_not_rescored(_rec(), [missing]) == "no accuracy log (mlperf_log_accuracy.json) in accuracy/"
    assert why_not_rescored(_rec(), []) == "not re-scored (no finding says why)"


def test_summary_line_counts_and_reasons() -> None:
    rows = [{"rescored": 76.0, "differs": False, "why": None}, {"rescored": 70.4, "differs": True, "why": None},
            {"rescored": None, "differs": False, "why": "no ground truth given for coco"},
            {"rescored": None, "differs": False, "why": "no ground truth given for coco"},
            {"rescored": None, "differs": False, "why": "accuracy log absent from this copy"}]
    assert summary_line(rows) == ("re-scored 2 of 5 results: 1 matched accuracy.txt, 1 differed; 3 skipped: "
                                  "2 no ground truth given for coco; 1 accuracy log absent from this copy")
    assert summary_line(rows[:1]) == "re-scored 1 of 1 result: 1 matched accuracy.txt, 0 differed"


def test_rescore_text_on_the_real_corpus(corpus_root: Path, shared_datasets: Path) -> None:
    from tests.hostile.harness import run_cli

    root = corpus_root / "inference_v0.5"
    run = run_cli(["rescore", str(root), "--known-absent", str(root / "ABSENT.txt"), "-j", "1",
                   "--dataset", f"imagenet={shared_datasets / 'imagenet' / 'val_map.txt'}",
                   "--dataset", f"wmt16={shared_datasets / 'wmt16' / 'newstest2014.de'}"], timeout=300)
    assert run.code == 1, run.stderr  # the one mismatch the round's expected table lists
    lines = run.stdout.splitlines()
    results = [line for line in lines if not line.startswith(("  ", "re-scored "))]
    assert len(results) == 61
    for line in results:
        assert re.search(r"re-scored (\d+\.\d{3} \((matches|differs)\)|— \S.*)$", line), line
    assert lines[-1] == ("re-scored 36 of 61 results: 35 matched accuracy.txt, 1 differed; 25 skipped: "
                         "13 no ground truth given for coco (--dataset coco=PATH); "
                         "12 accuracy log absent from this copy (--known-absent)")
