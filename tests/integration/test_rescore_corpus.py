"""Real data: every ImageNet and GNMT accuracy log of the v0.5 corpus re-scores as EXPECTED.tsv says."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from checker.api import ValidateOptions, read_known_absent, validate
from checker.cli import app

pytestmark = pytest.mark.corpus


def _expected(expected_dir: Path) -> dict[str, dict[str, str]]:
    with (expected_dir / "inference_v0.5.EXPECTED.tsv").open(encoding="utf-8") as f:
        return {row["result"]: row for row in csv.DictReader(f, delimiter="\t")}


@pytest.mark.slow
def test_corpus_rescores_to_expected(corpus_root: Path, shared_datasets: Path, expected_dir: Path) -> None:
    root = corpus_root / "inference_v0.5"
    rep = validate(root, ValidateOptions(
        known_absent=read_known_absent(root / "ABSENT.txt"), jobs=2,
        datasets={"imagenet": shared_datasets / "imagenet" / "val_map.txt",
                  "wmt16": shared_datasets / "wmt16" / "newstest2014.de"}))
    exp = _expected(expected_dir)
    checked = 0
    mismatches = set()
    for r in rep.results:
        want = exp[r.id]["rescore_recomputed"]
        got = r.accuracy.rescored if r.accuracy else None
        if not want:
            assert got is None, r.id  # absent log, or COCO (no annotations here)
            continue
        decimals = len(want.partition(".")[2])
        assert f"{got:.{decimals}f}" == want, r.id
        checked += 1
        if any(f.rule == "inf.rescore.mismatch" for f in rep.findings_for(r.id)):
            mismatches.add(r.id)
    assert checked == 36
    assert mismatches == {k for k, v in exp.items() if v["rescore_match"] == "MISMATCH"}
    assert mismatches == {"closed/Tencent/results/clx-8255c-4s_pytorch-caffe2/mobilenet/server"}
    tencent = rep.findings_for("closed/Tencent/results/clx-8255c-4s_pytorch-caffe2/mobilenet/singlestream")
    assert any("int32 in the first 4 of 8 bytes" in f.message for f in tencent)


def test_corpus_structural_checks_without_ground_truth(corpus_root: Path) -> None:
    root = corpus_root / "inference_v0.5"
    t = time.perf_counter()
    rep = validate(root, ValidateOptions(known_absent=read_known_absent(root / "ABSENT.txt")))
    elapsed = time.perf_counter() - t
    rescore = [f for f in rep.findings if f.rule.startswith("inf.rescore")]
    assert rescore == []  # every shipped log is well-formed, complete and in range
    skipped = [f for f in rep.findings if f.rule == "inf.accuracy.rescore-skipped"]
    assert len(skipped) == 49
    assert elapsed < 30  # a sanity bound only; bench/bench_rescore.py measures speed


def test_rescore_cli_on_one_result(corpus_root: Path, shared_datasets: Path) -> None:
    target = corpus_root / "inference_v0.5/closed/Tencent/results/clx-8255c-4s_pytorch-caffe2/mobilenet/server"
    cfg = Path(str(corpus_root)) / "unused.yaml"  # never written: the config is tested with tmp_path below
    del cfg
    res = CliRunner().invoke(app, ["rescore", str(target), "--dataset",
                                   f"imagenet={shared_datasets / 'imagenet' / 'val_map.txt'}", "--format", "json"])
    assert res.exit_code == 1, res.output
    out = json.loads(res.output)
    [row] = out["results"]
    assert row["reported"] == 70.408 and round(row["rescored"], 3) == 70.42
    assert any(f["rule"] == "inf.rescore.mismatch" for f in row["findings"])


def test_rescore_cli_config_file(corpus_root: Path, shared_datasets: Path, tmp_path: Path) -> None:
    target = corpus_root / "inference_v0.5/closed/DellEMC/results/R740_T4x4_tensorrt/gnmt/Server"
    cfg = tmp_path / "rescore.yaml"
    cfg.write_text(f"datasets:\n  wmt16: {shared_datasets / 'wmt16' / 'newstest2014.de'}\njobs: 1\n")
    res = CliRunner().invoke(app, ["rescore", str(target), "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    assert "BLEU reported 23.8, re-scored 23.797" in res.output
