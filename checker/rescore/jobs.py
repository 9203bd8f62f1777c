"""Scan (and maybe score) accuracy logs, one job per log, in a process pool when there are several.

Suite-neutral: a job names a log, the data set's sample count, and optionally an evaluator with
its ground truth and options. Each job streams its log, so memory stays bounded by the data set
rather than by the log.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, Self, TypeVar

from .scan import LogScan
from .score import CannotScore, Score

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

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
    from .reader import scan_log  # numpy: in the process that scans, which need not be the one that plans

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


class Pending(Protocol[T_co]):
    """A call's result, asked for later: a pool's Future, or a call run here when asked."""

    def result(self) -> T_co: ...


class _Here(Generic[T]):
    """A call run in this process when its result is first asked for (a run without a pool)."""

    def __init__(self, fn: Callable[..., T], args: tuple[Any, ...]) -> None:
        self.fn, self.args = fn, args
        self.done: tuple[T] | None = None

    def result(self) -> T:
        if self.done is None:
            self.done = (self.fn(*self.args),)
        return self.done[0]


def later_here(fn: Callable[..., T], *args: Any) -> Pending[T]:
    """`fn(*args)`, run in this process when its result is first asked for."""
    return _Here(fn, args)


def _load_reader() -> None:
    """A worker's first task: import the reader (numpy) before the first job reaches it."""
    from . import reader  # noqa: F401


class Workers:
    """A run's worker processes, started before the run knows its jobs, so that they import the reader
    while this process detects the round and reads the tree. One fewer than `workers` (this process is
    the last worker); none for one. Leaving the context stops them."""

    def __init__(self, workers: int) -> None:
        self.pool: ProcessPoolExecutor | None = None
        if workers > 1:
            self.pool = ProcessPoolExecutor(max_workers=workers - 1)
            self.pool.submit(_load_reader)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class JobRun:
    """Jobs started at once, their results collected later, so the caller can do other work meanwhile.

    With `workers` processes for the run, the pool gets one fewer: this process is the last worker.
    It does its own work first, and when it collects, it takes the jobs no worker has started yet
    (the smallest, from the end of the queue) and runs them itself, if it has the reader loaded
    already (re-scoring loads it here). Otherwise it waits: importing numpy here for them costs more
    than it saves (validate was 6 % slower on the v0.5 corpus, where this process would take the last
    20-50 MB of logs, and 6 % slower on v0.7's).

    Given the run's `pool` (Workers, started already), every job goes to it. Otherwise the run starts a
    pool of its own for INLINE_BYTES of logs or more, in more than one job, with more than one worker;
    below that every job runs here when collected. Leaving the context stops a pool of its own, and
    cancels what it queued on a given one.
    """

    def __init__(self, jobs: list[Job], workers: int, pool: ProcessPoolExecutor | None = None) -> None:
        self.jobs = jobs
        self.pool = pool
        self.own = False  # whether leaving stops the pool
        self.futures: list[Future[JobResult]] = []
        if pool is None and workers > 1 and len(jobs) > 1 and sum(_size(j.log) for j in jobs) >= INLINE_BYTES:
            self.pool, self.own = ProcessPoolExecutor(max_workers=min(workers - 1, len(jobs))), True
        if self.pool is not None:
            # big logs first, so the pool does not end on one long job
            self.jobs = sorted(jobs, key=lambda j: -_size(j.log))
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

    def call(self, fn: Callable[..., T], *args: Any) -> Pending[T]:
        """Another task for the run's workers (queued after the jobs), or run here when its result is
        asked for if the run has no pool. `fn` and `args` must cross to a worker process."""
        if self.pool is None:
            return later_here(fn, *args)
        return self.pool.submit(fn, *args)

    def _collect(self) -> Iterator[JobResult]:
        waiting: list[Future[JobResult]] = []
        help_out = f"{__package__}.reader" in sys.modules
        for job, fut in zip(reversed(self.jobs), reversed(self.futures)):
            if help_out and fut.cancel():  # not started by a worker: this process runs it
                yield run_job(job)
            else:
                waiting.append(fut)
        for fut in reversed(waiting):
            yield fut.result()

    def close(self) -> None:
        if self.pool is not None and self.own:
            self.pool.shutdown(cancel_futures=True)
        else:
            for fut in self.futures:
                fut.cancel()
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
