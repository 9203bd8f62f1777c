"""The record every evaluator returns, and the evaluators' own error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import MlcheckError


class GroundTruthError(MlcheckError):
    """Ground truth given with --dataset cannot be used (unreadable, wrong format)."""


class CannotScore(Exception):
    """The log cannot be scored (a problem in the submission); the message says why."""


@dataclass(frozen=True)
class Score:
    """A re-computed accuracy: metric name, value in the unit accuracy.txt uses, and how it was obtained."""

    metric: str
    value: float
    evaluator: str
    dtype: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
