"""Scan (and maybe score) accuracy logs, one job per log, in a process pool when there are several.

Suite-neutral: a job names a log, the data set's sample count, and optionally an evaluator with
its ground truth and options. Each job streams its log, so memory stays bounded by the data set
rather than by the log.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

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
    from . import evaluators  # only a job with ground truth scores: a scan needs none of them

    try:
        s = evaluators.get(job.evaluator or "").score(first, job.ground_truth, job.params)
    except CannotScore as exc:
        return JobResult(job.key, scan, error=str(exc))
    return JobResult(job.key, scan, s)


class JobRun:
    """Jobs started at once, their results collected later, so the caller can do other work meanwhile.

    With `workers` processes for the run, the pool gets one fewer: this process is the last worker.
    It does its own work first, and when it collects, it takes the jobs no worker has started yet
    (the smallest, from the end of the queue) and runs them itself. Below INLINE_BYTES of logs, with
    one job or one worker, every job runs here when collected. Leaving the context stops the pool.
    """

    def __init__(self, jobs: list[Job], workers: int) -> None:
        self.jobs = jobs
        self.pool: ProcessPoolExecutor | None = None
        self.futures: list[Future[JobResult]] = []
        if workers > 1 and len(jobs) > 1 and sum(_size(j.log) for j in jobs) >= INLINE_BYTES:
            # big logs first, so the pool does not end on one long job
            self.jobs = sorted(jobs, key=lambda j: -_size(j.log))
            self.pool = ProcessPoolExecutor(max_workers=min(workers - 1, len(jobs)))
            self.futures = [self.pool.submit(run_job, j) for j in self.jobs]

    def results(self, on_done: Callable[[JobResult], None] | None = None) -> Iterator[JobResult]:
        """Every job's result (in no particular order)."""
        if self.pool is None:
            done: Iterator[JobResult] = map(run_job, self.jobs)
        else:
            done = self._collect()
        for o in done:
            if on_done:
                on_done(o)
            yield o

    def _collect(self) -> Iterator[JobResult]:
        waiting: list[Future[JobResult]] = []
        for job, fut in zip(reversed(self.jobs), reversed(self.futures)):
            if fut.cancel():  # not started by a worker: this process runs it
                yield run_job(job)
            else:
                waiting.append(fut)
        for fut in reversed(waiting):
            yield fut.result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def map_jobs(jobs: list[Job], workers: int, on_done: Callable[[JobResult], None] | None = None) -> Iterator[JobResult]:
    """Run jobs, in a process pool when there are several, more than one worker, and enough bytes to
    pay for the pool (starting one costs about as much as reading INLINE_BYTES here)."""
    with JobRun(jobs, workers) as run:
        yield from run.results(on_done)


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0


def workers_for(jobs: int) -> int:
    """A --jobs value as a worker count: 0 means one per core."""
    return jobs if jobs > 0 else (os.cpu_count() or 1)
