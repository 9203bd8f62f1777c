"""What a suite gives the pipeline: its detection, its rules registry and round model, and its stages.

checker.api runs every suite through the same steps: detect the round, load the ruleset, build the
facts (the suite's stages, each handing frozen records to the next), run the rules over the scopes
the suite lays out, and turn the facts into the report's result records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.registry import Registry
from ..engine.rules import Ruleset, RulesFiles
from ..engine.run import Scope
from ..findings import ResultRecord
from ..options import ValidateOptions


@dataclass(frozen=True)
class RoundChoice:
    """The round a tree is judged by, and how that was decided (stated in the report when not empty)."""

    round: str
    how: str = ""


@dataclass(frozen=True)
class Suite:
    name: str
    registry: Registry
    model: type[Any] | None  # the typed round model the loader builds from a rules file
    detect: Callable[[Path], bool]  # does this tree look like one of the suite's submissions?
    # the round of a tree (--round decides when given); other rounds' files are read through the run's RulesFiles
    detect_round: Callable[[Path, ValidateOptions, RulesFiles], RoundChoice]
    build: Callable[[Path, Ruleset, ValidateOptions], Any]  # the facts, after every stage
    scopes: Callable[[Any, ValidateOptions], Iterable[Scope]]  # what the rules run over
    records: Callable[[Any, Ruleset], list[ResultRecord]]  # the report's results
    result_ids: Callable[[Any], list[str]]  # every result of the facts (for changed-only runs)
