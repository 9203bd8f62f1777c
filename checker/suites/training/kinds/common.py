"""What several training check kinds share: the runs whose log is in an MLPerf format, and number formats."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeGuard

from ..facts import EntryFacts, RunFacts
from ..log import FORMAT_EMPTY, FORMAT_FOREIGN, TrainingLog


def mlperf_runs(e: EntryFacts) -> Iterator[tuple[RunFacts, TrainingLog]]:
    """Runs whose log is in an MLPerf format (others are reported once by train.log.format)."""
    for r in e.runs:
        if r.log is not None and r.log.format not in (FORMAT_FOREIGN, FORMAT_EMPTY):
            yield r, r.log


def is_num(v: Any) -> TypeGuard[int | float]:
    """A number, not a boolean."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def span(seconds: float) -> str:
    """A duration as a person reads it: seconds, minutes, hours or days."""
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.1f} hours"
    if seconds >= 120:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"


def counted(e: EntryFacts, r: RunFacts) -> bool:
    """Whether the run's time is in the result's olympic mean."""
    if e.score is None:
        return False
    return any(e.scored[i] is r for i in e.score.used)
