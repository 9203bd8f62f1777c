"""What a suite gives the pipeline: its detection, its rules registry and round model, and its stages.

checker.api runs every suite through the same steps: detect the round, load the ruleset, build the
facts (the suite's stages, each handing frozen records to the next), run the rules over the scopes
the suite lays out, and turn the facts into the report's result records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine.registry import Registry
from ..engine.rules import Ruleset, RulesFiles
from ..engine.run import Scope
from ..findings import ResultRecord
from ..options import ValidateOptions

if TYPE_CHECKING:
    from ..rescore.jobs import Workers


@dataclass(frozen=True)
class RoundChoice:
    """The round a tree is judged by, and how that was decided (stated in the report when not empty)."""

    round: str
    how: str = ""


@dataclass(frozen=True)
class Staged:
    """A run's facts while its last stage (the inference accuracy-log scans and response comparisons) may
    still run in worker processes: the registry's early kinds judge `facts` meanwhile, the late ones what
    `finish()` returns (the same facts with the last stage's outcomes). Leaving the suite's `start`
    context stops the stage."""

    facts: Any
    finish: Callable[[], Any]


@contextmanager
def at_once(facts: Any) -> Iterator[Staged]:
    """A suite whose stages are all done when its facts are: finish() returns them as they are."""
    yield Staged(facts, lambda: facts)


@dataclass(frozen=True)
class Suite:
    name: str
    registry: Registry
    model: type[Any] | None  # the typed round model the loader builds from a rules file
    detect: Callable[[Path], bool]  # does this tree look like one of the suite's submissions?
    # the round of a tree (--round decides when given); other rounds' files are read through the run's RulesFiles
    detect_round: Callable[[Path, ValidateOptions, RulesFiles], RoundChoice]
    # the facts but the last stage's, and the call that waits for it (see Staged); the last argument is the
    # run's worker processes when the suite asks for them (prestart), else None
    start: Callable[[Path, Ruleset, ValidateOptions, Workers | None], AbstractContextManager[Staged]]
    scopes: Callable[[Any, ValidateOptions], Iterable[Scope]]  # what the rules run over
    records: Callable[[Any, Ruleset], list[ResultRecord]]  # the report's results
    result_ids: Callable[[Any], list[str]]  # every result of the facts (for changed-only runs)
    # its last stage runs in worker processes: the pipeline starts them before the round is detected, so
    # that they import what that stage needs while this process reads the tree
    prestart: bool = False
