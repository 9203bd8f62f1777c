"""The run logs of a big tree are read over worker processes: the same RunFacts as read in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.api import SUITES, load_suite_ruleset
from checker.options import ValidateOptions
from checker.suites.inference import facts
from checker.suites.inference.discover import RunDir, discover_inference


def _runs(root: Path) -> list[RunDir]:
    rnd = load_suite_ruleset(SUITES["inference"], "v0.5-sample").model
    tree = discover_inference(root, tuple(rnd.layout.divisions), tuple(rnd.layout.submitter_parts))
    return [run for res in tree.results for run in (*res.runs, *((res.accuracy,) if res.accuracy else ()))]


def test_worker_processes_read_what_this_process_reads(sample_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = _runs(sample_root)
    assert len(runs) >= 12
    here = facts.read_runs(sample_root, runs, ValidateOptions(jobs=1))
    monkeypatch.setattr(facts, "POOL_BYTES", 0)  # every tree is "big": the pool path
    pooled = facts.read_runs(sample_root, runs, ValidateOptions(jobs=2))
    assert list(pooled) == [r.rel for r in runs]
    assert pooled == here
    assert all(f.summary is not None and f.detail is not None for f in pooled.values())
