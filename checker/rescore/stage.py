"""The rescore stage: scan every accuracy log (structure, coverage) and, where ground truth is
given, re-compute the accuracy. Runs before the rules, so every threshold stays in rules/.

Jobs run in a process pool (opts.jobs, 0 = one per core) when there are several logs; each job
streams its log, so memory stays bounded by the data set rather than by the log.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..inference_facts import ACCURACY_LOG, ResultFacts, TreeFacts
from . import evaluators
from .logscan import LogScan, scan_log
from .score import CannotScore

if TYPE_CHECKING:
    from ..api import ValidateOptions
    from ..engine.ruleset import Ruleset

ORIGINALS = "originals"  # --dataset originals=DIR: untruncated logs at the same relative paths


@dataclass(frozen=True)
class Job:
    """One accuracy log to scan and maybe score; plain data, so it can cross to a worker process."""

    key: str
    log: Path
    samples: int
    evaluator: str | None = None
    ground_truth: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    want_hash: bool = False


@dataclass
class Outcome:
    key: str
    scan: dict[str, Any]
    score: dict[str, Any] | None = None
    error: str | None = None  # why the log could not be scored (a finding, not a crash)


def run_job(job: Job) -> Outcome:
    """Scan one log and, when an evaluator and ground truth are given, score it."""
    keep = job.evaluator is not None and job.ground_truth is not None
    try:
        scan, first = scan_log(job.log, job.samples, keep=keep, want_hash=job.want_hash)
    except OSError as exc:  # unreadable (permissions, I/O): a finding about the log, not a crash
        unread = LogScan(str(job.log))
        unread.problems.append(f"cannot be read ({exc.strerror or exc})")
        return Outcome(job.key, unread.to_dict(), error=f"the log cannot be read ({exc.strerror or exc})")
    out = Outcome(job.key, scan.to_dict())
    if not keep or first is None:
        return out
    if scan.truncated:
        out.error = "the log is truncated; re-scoring needs the original"
        return out
    ev = evaluators.get(job.evaluator or "")
    try:
        s = ev.score(first, job.ground_truth, job.params)
    except CannotScore as exc:
        out.error = str(exc)
        return out
    out.score = {"metric": s.metric, "value": s.value, "unique_samples": scan.unique, "dtype": s.dtype,
                 "evaluator": s.evaluator, "detail": s.detail, "entries": scan.entries}
    return out


def map_jobs(jobs: list[Job], workers: int, on_done: Callable[[Outcome], None] | None = None) -> Iterator[Outcome]:
    """Run jobs, in a process pool when there are several and more than one worker."""
    if workers <= 1 or len(jobs) <= 1:
        for j in jobs:
            o = run_job(j)
            if on_done:
                on_done(o)
            yield o
        return
    # big logs first, so the pool does not end on one long job
    order = sorted(jobs, key=lambda j: -_size(j.log))
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        for o in pool.map(run_job, order):
            if on_done:
                on_done(o)
            yield o


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0


def workers_for(jobs: int) -> int:
    """opts.jobs as a worker count: 0 means one per core."""
    return jobs if jobs > 0 else (os.cpu_count() or 1)


def load_ground_truth(ruleset: Ruleset, results: list[ResultFacts], datasets: dict[str, Path]) -> dict[str, Any]:
    """Load each needed data set once: dataset name -> what its evaluator needs."""
    out: dict[str, Any] = {}
    for r in results:
        spec = r.bench.get("rescore") or {}
        name = r.bench.get("dataset")
        if not spec or name is None or name in out or name not in datasets:
            continue
        out[name] = evaluators.get(spec["evaluator"]).load(Path(datasets[name]))
    return out


def plan(root: Path, facts: TreeFacts, ground_truth: dict[str, Any],
         datasets: dict[str, Path]) -> tuple[list[Job], dict[str, ResultFacts]]:
    """A job per result whose accuracy run holds an accuracy log."""
    jobs: list[Job] = []
    by_key: dict[str, ResultFacts] = {}
    originals = datasets.get(ORIGINALS)
    for r in facts.results:
        acc = r.accuracy
        spec = r.bench.get("rescore") or {}
        if acc is None or ACCURACY_LOG not in acc.files or not spec:
            continue
        rel = f"{acc.rel}/{ACCURACY_LOG}"
        log = root / rel
        samples = int(r.bench.get("dataset_samples", {}).get("value", 0))
        want_hash = r.accuracy_txt is not None and r.accuracy_txt.hash is not None
        jobs.append(Job(rel, log, samples, want_hash=want_hash))
        by_key[rel] = r
        if originals is not None:
            orig = Path(originals) / rel if Path(originals).is_dir() else Path(originals)
            if orig.is_file():
                key = f"original:{rel}"
                jobs.append(_scoring_job(key, orig, samples, r, spec, ground_truth, want_hash=True))
                by_key[key] = r
                continue
        if r.bench.get("dataset") in ground_truth:
            # the scan job above also scores: replace it
            jobs[-1] = _scoring_job(rel, log, samples, r, spec, ground_truth, want_hash)
    return jobs, by_key


def _scoring_job(key: str, log: Path, samples: int, r: ResultFacts, spec: dict[str, Any],
                 ground_truth: dict[str, Any], want_hash: bool) -> Job:
    name = r.bench.get("dataset")
    if name not in ground_truth:
        return Job(key, log, samples, want_hash=want_hash)
    params = {k: v for k, v in spec.items() if k != "evaluator"}
    params = {k: (v.get("value") if isinstance(v, dict) and "value" in v else v) for k, v in params.items()}
    return Job(key, log, samples, spec["evaluator"], ground_truth[name], params, want_hash)


def rescore_inference(root: Path, facts: TreeFacts, ruleset: Ruleset, opts: ValidateOptions) -> None:
    """Fill each result's `log_scan` and, with ground truth, its `rescore` (metric, value, unique_samples,
    dtype, evaluator, detail)."""
    datasets = {k: Path(v) for k, v in opts.datasets.items()}
    ground_truth = load_ground_truth(ruleset, facts.results, datasets)
    jobs, by_key = plan(root, facts, ground_truth, datasets)
    if not jobs:
        return
    for o in _run(jobs, opts):
        r = by_key[o.key]
        if o.key.startswith("original:"):
            r.original_scan = o.scan
        else:
            r.log_scan = o.scan
        if o.error is not None:
            r.rescore_error = o.error
        if o.score is not None:
            o.score["source"] = "original" if o.key.startswith("original:") else "submission"
            r.rescore = o.score


def _run(jobs: list[Job], opts: ValidateOptions) -> list[Outcome]:
    workers = workers_for(opts.jobs)
    if not opts.progress:
        return list(map_jobs(jobs, workers))
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("re-scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task("logs", total=len(jobs))
        return list(map_jobs(jobs, workers, lambda _: bar.advance(task)))
