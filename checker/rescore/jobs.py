"""Scan (and maybe score) accuracy logs, one job per log, in a process pool when there are several.

Suite-neutral: a job names a log, the data set's sample count, and optionally an evaluator with
its ground truth and options. Each job streams its log, so memory stays bounded by the data set
rather than by the log.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import evaluators
from .reader import LogScan, scan_log
from .score import CannotScore, Score

# below this many log bytes in all, the jobs run in this process: a pool's start (fork, imports, pickling
# the ground truth) is slower than reading that much (a few tenths of a second at the reader's speed)
INLINE_BYTES = 32 << 20


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


@dataclass(frozen=True)
class JobResult:
    key: str
    scan: LogScan
    score: Score | None = None
    error: str | None = None  # why the log could not be scored (a finding, not a crash)


def run_job(job: Job) -> JobResult:
    """Scan one log and, when an evaluator and ground truth are given, score it."""
    keep = job.evaluator is not None and job.ground_truth is not None
    try:
        scan, first = scan_log(job.log, job.samples, keep=keep, want_hash=job.want_hash)
    except OSError as exc:  # unreadable (permissions, I/O): a finding about the log, not a crash
        unread = LogScan(str(job.log))
        unread.problems.append(f"cannot be read ({exc.strerror or exc})")
        return JobResult(job.key, unread, error=f"the log cannot be read ({exc.strerror or exc})")
    if not keep or first is None:
        return JobResult(job.key, scan)
    if scan.truncated:
        return JobResult(job.key, scan, error="the log is truncated; re-scoring needs the original")
    try:
        s = evaluators.get(job.evaluator or "").score(first, job.ground_truth, job.params)
    except CannotScore as exc:
        return JobResult(job.key, scan, error=str(exc))
    return JobResult(job.key, scan, s)


def map_jobs(jobs: list[Job], workers: int, on_done: Callable[[JobResult], None] | None = None) -> Iterator[JobResult]:
    """Run jobs, in a process pool when there are several, more than one worker, and enough bytes to
    pay for the pool (starting one costs about as much as reading INLINE_BYTES here)."""
    if workers <= 1 or len(jobs) <= 1 or sum(_size(j.log) for j in jobs) < INLINE_BYTES:
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
    """A --jobs value as a worker count: 0 means one per core."""
    return jobs if jobs > 0 else (os.cpu_count() or 1)
