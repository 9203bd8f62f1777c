"""The inference rescore stage: scan every accuracy log (structure, coverage) and, where ground
truth is given, re-compute the accuracy. Runs before the rules, so every threshold stays in rules/.

It returns each result's facts with a typed RescoreOutcome attached; the evaluators and the
job pool are suite-neutral (checker.rescore).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...options import ValidateOptions
from .facts import ACCURACY_LOG, ResultFacts, TreeFacts

if TYPE_CHECKING:  # numpy and the evaluators are imported when a log is scanned, not before
    from ...rescore.jobs import Job, JobResult
    from ...rescore.reader import LogScan
    from ...rescore.score import Score

ORIGINALS = "originals"  # --dataset originals=DIR: untruncated logs at the same relative paths


@dataclass(frozen=True)
class RescoreOutcome:
    """What the rescore stage established for one result's accuracy log."""

    scan: LogScan | None = None  # the shipped log's structure
    original_scan: LogScan | None = None  # an untruncated original the user supplied
    score: Score | None = None  # the re-computed accuracy, when ground truth was given
    source: str = "submission"  # which log was scored: submission or original
    error: str | None = None  # why a log with ground truth could not be scored

    @property
    def value(self) -> float | None:
        return self.score.value if self.score is not None else None

    @property
    def unique_samples(self) -> int | None:
        scan = self.original_scan if self.source == "original" else self.scan
        return scan.unique if self.score is not None and scan is not None else None


def known_datasets(facts: TreeFacts) -> list[str]:
    return sorted({r.bench.dataset for r in facts.results if r.bench is not None and r.bench.rescore is not None})


def load_ground_truth(results: tuple[ResultFacts, ...], datasets: dict[str, Path]) -> dict[str, Any]:
    """Load each needed data set once: dataset name -> what its evaluator needs."""
    from ...rescore import evaluators

    out: dict[str, Any] = {}
    for r in results:
        b = r.bench
        if b is None or b.rescore is None or b.dataset in out or b.dataset not in datasets:
            continue
        ev = evaluators.get(b.rescore.evaluator)
        extra = {c: Path(datasets[c]) for c in ev.companions if c in datasets}
        path = Path(datasets[b.dataset])
        out[b.dataset] = ev.load(path, extra) if ev.companions else ev.load(path)
    return out


def _job(key: str, log: Path, r: ResultFacts, ground_truth: dict[str, Any], want_hash: bool) -> Job:
    from ...rescore.jobs import Job

    b = r.bench
    assert b is not None and b.rescore is not None
    if b.dataset not in ground_truth:
        return Job(key, log, b.dataset_samples.value, want_hash=want_hash)
    return Job(key, log, b.dataset_samples.value, b.rescore.evaluator, ground_truth[b.dataset],
               b.rescore.params(), want_hash)


def plan(root: Path, facts: TreeFacts, ground_truth: dict[str, Any],
         datasets: dict[str, Path]) -> tuple[list[Job], dict[str, str]]:
    """A job per result whose accuracy run holds an accuracy log (job key -> result id)."""
    from ...rescore.jobs import Job

    jobs: list[Job] = []
    owner: dict[str, str] = {}
    originals = datasets.get(ORIGINALS)
    for r in facts.results:
        acc = r.accuracy
        if acc is None or ACCURACY_LOG not in acc.files or r.bench is None or r.bench.rescore is None:
            continue
        rel = f"{acc.rel}/{ACCURACY_LOG}"
        want_hash = r.accuracy_txt is not None and r.accuracy_txt.hash is not None
        owner[rel] = r.res.id
        if originals is not None:
            orig = Path(originals) / rel if Path(originals).is_dir() else Path(originals)
            if orig.is_file():
                jobs.append(Job(rel, root / rel, r.bench.dataset_samples.value, want_hash=want_hash))
                key = f"{ORIGINALS}:{rel}"
                jobs.append(_job(key, orig, r, ground_truth, want_hash=True))
                owner[key] = r.res.id
                continue
        jobs.append(_job(rel, root / rel, r, ground_truth, want_hash))
    return jobs, owner


def attach_rescore(facts: TreeFacts, opts: ValidateOptions) -> TreeFacts:
    """Each result with an accuracy log gets its RescoreOutcome."""
    from ...rescore.jobs import map_jobs, workers_for

    datasets = {k: Path(v) for k, v in opts.datasets.items()}
    ground_truth = load_ground_truth(facts.results, datasets)
    jobs, owner = plan(facts.tree.root, facts, ground_truth, datasets)
    if not jobs:
        return facts
    done = 0

    def tick(_: JobResult) -> None:
        nonlocal done
        done += 1
        if opts.progress is not None:
            opts.progress("re-scoring", done, len(jobs))

    by_result: dict[str, dict[str, Any]] = {}
    for o in map_jobs(jobs, workers_for(opts.jobs), tick):
        fields = by_result.setdefault(owner[o.key], {})
        original = o.key.startswith(f"{ORIGINALS}:")
        fields["original_scan" if original else "scan"] = o.scan
        if o.error is not None:
            fields["error"] = o.error
        if o.score is not None:
            fields["score"] = o.score
            fields["source"] = "original" if original else "submission"
    results = tuple(dataclasses.replace(r, rescore=RescoreOutcome(**by_result[r.res.id]))
                    if r.res.id in by_result else r for r in facts.results)
    return dataclasses.replace(facts, results=results)
