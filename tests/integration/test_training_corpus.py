"""The real published v0.6 training corpus: every log parses; runs and scores agree with the EXPECTED tables."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from checker.api import ValidateOptions, read_known_absent, validate
from checker.findings import Report
from checker.fs import read_text
from checker.suites.training.log import parse_training_log

EXPECTED = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

# one worker runs them all, so the module's report is built once
pytestmark = [pytest.mark.corpus, pytest.mark.xdist_group("training-corpus")]


def _tsv(name: str) -> list[dict[str, str]]:
    path = EXPECTED / name
    if not path.is_file():
        pytest.skip(f"{name} is not available")
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="module")
def report(corpus_root: Path) -> Report:
    root = corpus_root / "training_v0.6"
    return validate(root, ValidateOptions(known_absent=read_known_absent(root / "ABSENT.txt")))


def test_every_log_parses(corpus_root: Path) -> None:
    logs = sorted((corpus_root / "training_v0.6").glob("*/results/*/*/result_*.txt"))
    assert len(logs) == 65
    for p in logs:
        tf = read_text(p)
        assert tf.text is not None
        log = parse_training_log(tf.text)
        assert log.format in ("MLL", "foreign"), p


def test_runs_agree(report: Report) -> None:
    rows = _tsv("training_v0.6.runs.EXPECTED.tsv")
    by_id = {r.id: r for r in report.results}
    checked = 0
    for row in rows:
        res = by_id[f"{row['submitter']}/results/{row['system']}/{row['benchmark']}"]
        run = next(r for r in res.extra["runs"] if r["file"] == row["file"])
        assert run["minutes"] == pytest.approx(float(row["time_min"]), rel=5e-3), row
        assert run["time_method"].split(" ")[0] == row["time_method"], row
        want = [float(x) for x in row["best_eval_accuracy"].split("/")]
        acc = run["accuracy"]
        got = list(acc.values()) if isinstance(acc, dict) else [acc]
        assert got == pytest.approx(want, abs=1e-4), row
        assert run["converged"] == (row["best_meets_v06_target"] == "True"), row
        checked += 1
    assert checked == 65


def test_scores_agree(report: Report) -> None:
    rows = _tsv("training_v0.6.scores.EXPECTED.tsv")
    by_id = {r.id: r for r in report.results}
    assert len(by_id) == len(rows)
    for row in rows:
        res = by_id[f"{row['submitter']}/results/{row['system']}/{row['benchmark']}"]
        got = res.extra["score"]["minutes"]
        if row["olympic_all_runs_min"]:
            assert got == pytest.approx(float(row["olympic_all_runs_min"]), rel=5e-3), row
        else:
            assert got is None and res.extra["absent"] == int(row["n_absent"]), row


def test_known_quirks_are_findings(report: Report) -> None:
    rules = {(f.rule, f.path.split("/")[0]) for f in report.findings}
    assert ("train.log.format", "Alibaba") in rules
    assert ("train.log.python-dict", "Intel") in rules
    assert ("train.system.json", "NVIDIA") in rules  # a dump of log lines, not JSON
    assert ("train.submission.json", "Alibaba") in rules
    assert ("train.runs.absent", "Intel") in rules
    misspelt = [f.message for f in report.findings if f.rule == "train.system.schema" and "sumitter" in f.message]
    assert misspelt and "did you mean 'submitter'" in misspelt[0]
    for f in report.findings:
        if f.rule.startswith("train.log.") and f.rule != "train.log.format":
            assert f.line is not None, f
