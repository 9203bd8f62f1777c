"""The inference rescore stage: scan every accuracy log (structure, coverage) and, where ground
truth is given, re-compute the accuracy. Runs before the rules, so every threshold stays in rules/.

The jobs are planned from discovery alone and started before the other facts are read (they run in
worker processes meanwhile); `PendingRescore.attach` then gives each result's facts a typed
RescoreOutcome. The evaluators and the job pool are suite-neutral (checker.rescore).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar

from ...fs import read_text
from ...options import ValidateOptions
from .accuracy_txt import parse_accuracy_txt
from .discover import InferenceTree
from .facts import ACCURACY_LOG, ACCURACY_TXT, TreeFacts
from .ruledata import Benchmark, InferenceRound

if TYPE_CHECKING:  # the evaluators are imported when a log is scored, not before
    from ...rescore.jobs import Job, JobResult, Pending, Workers
    from ...rescore.scan import LogScan
    from ...rescore.score import Score

T = TypeVar("T")

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


@dataclass(frozen=True)
class _Log:
    """A result whose accuracy folder holds an accuracy log its benchmark can re-score."""

    id: str
    rel: str  # of the log, from the validated root
    bench: Benchmark
    want_hash: bool  # accuracy.txt states the log's sha256


def _logs(tree: InferenceTree, rnd: InferenceRound, opts: ValidateOptions) -> list[_Log]:
    """The tree's accuracy logs, from discovery alone, so the scans can start before the other facts."""
    out: list[_Log] = []
    for res in tree.results:
        acc = res.accuracy
        if acc is None or ACCURACY_LOG not in acc.files:
            continue
        if opts.only_results is not None and res.id not in opts.only_results:
            continue
        name = rnd.benchmark_of(res.benchmark_dir, res.division)
        bench = rnd.benchmarks.get(name) if name else None
        if bench is None or bench.rescore is None:
            continue
        want_hash = False
        if ACCURACY_TXT in acc.files:  # its other contents are read with the facts
            text = read_text(tree.root / acc.rel / ACCURACY_TXT, opts.max_bytes).text
            want_hash = text is not None and parse_accuracy_txt(text, None).hash is not None
        out.append(_Log(res.id, f"{acc.rel}/{ACCURACY_LOG}", bench, want_hash))
    return out


def load_ground_truth(logs: list[_Log], datasets: dict[str, Path]) -> dict[str, Any]:
    """Load each needed data set once: dataset name -> what its evaluator needs."""
    out: dict[str, Any] = {}
    if not datasets:
        return out
    from ...rescore import evaluators

    for log in logs:
        b = log.bench
        if b.rescore is None or b.dataset in out or b.dataset not in datasets:
            continue
        ev = evaluators.get(b.rescore.evaluator)
        extra = {c: Path(datasets[c]) for c in ev.companions if c in datasets}
        path = Path(datasets[b.dataset])
        out[b.dataset] = ev.load(path, extra) if ev.companions else ev.load(path)
    return out


def _job(key: str, path: Path, b: Benchmark, ground_truth: dict[str, Any], want_hash: bool) -> Job:
    from ...rescore.jobs import Job

    assert b.rescore is not None
    if b.dataset not in ground_truth:
        return Job(key, path, b.dataset_samples.value, want_hash=want_hash)
    return Job(key, path, b.dataset_samples.value, b.rescore.evaluator, ground_truth[b.dataset],
               b.rescore.params(), want_hash)


def plan(root: Path, logs: list[_Log], ground_truth: dict[str, Any],
         datasets: dict[str, Path]) -> tuple[list[Job], dict[str, str]]:
    """A job per accuracy log (and per untruncated original supplied), with job key -> result id."""
    from ...rescore.jobs import Job

    jobs: list[Job] = []
    owner: dict[str, str] = {}
    originals = datasets.get(ORIGINALS)
    for log in logs:
        owner[log.rel] = log.id
        if originals is not None:
            orig = Path(originals) / log.rel if Path(originals).is_dir() else Path(originals)
            if orig.is_file():
                jobs.append(Job(log.rel, root / log.rel, log.bench.dataset_samples.value, want_hash=log.want_hash))
                key = f"{ORIGINALS}:{log.rel}"
                jobs.append(_job(key, orig, log.bench, ground_truth, want_hash=True))
                owner[key] = log.id
                continue
        jobs.append(_job(log.rel, root / log.rel, log.bench, ground_truth, log.want_hash))
    return jobs, owner


class PendingRescore:
    """The accuracy-log jobs of a tree, started from discovery alone so they run while the rest of the
    facts are read; `attach` waits for them. A context manager: leaving it stops the workers."""

    def __init__(self, tree: InferenceTree, rnd: InferenceRound, opts: ValidateOptions,
                 workers: Workers | None = None) -> None:
        """`workers`: the run's worker processes, started already; without them the stage starts its own
        pool for a tree with enough accuracy logs to pay for one."""
        from ...rescore.jobs import JobRun, workers_for

        datasets = {k: Path(v) for k, v in opts.datasets.items()}
        logs = _logs(tree, rnd, opts)
        self.jobs, self.owner = plan(tree.root, logs, load_ground_truth(logs, datasets), datasets)
        self.opts = opts
        self.run = JobRun(self.jobs, workers_for(opts.jobs), workers.pool if workers is not None else None)

    def call(self, fn: Callable[..., T], *args: Any) -> Pending[T]:
        """Another task for the jobs' worker processes, queued after the jobs (the compliance stage's
        response comparisons, which read accuracy logs as the jobs do)."""
        return self.run.call(fn, *args)

    def attach(self, facts: TreeFacts) -> TreeFacts:
        """Each result with an accuracy log gets its RescoreOutcome."""
        if not self.jobs:
            return facts
        done, total, progress = 0, len(self.jobs), self.opts.progress

        def tick(_: JobResult) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress("re-scoring", done, total)

        by_result: dict[str, dict[str, Any]] = {}
        for o in self.run.results(tick):
            fields = by_result.setdefault(self.owner[o.key], {})
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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.run.close()
