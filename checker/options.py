"""What `mlcheck validate` can be told: frozen options, passed down to every stage, never global."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .fs import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from .waivers import Waiver

# A stage reports progress as (what, done, total); the CLI supplies one that draws a bar.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ValidateOptions:
    """Everything a validation run can be told. Plain, frozen data."""

    suite: str | None = None  # auto-detected when None
    round: str | None = None  # auto-detected when None
    rules_file: Path | None = None
    known_absent: frozenset[str] = frozenset()
    datasets: Mapping[str, Path] = field(default_factory=dict)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    jobs: int = 0  # 0: as many as there are cores (re-scoring)
    progress: Progress | None = None
    only_results: frozenset[str] | None = None  # result ids to keep (changed-only validation)
    audit_responses: str = "small"  # TEST01 response comparison: off, small (size cap in rules) or all
    waivers: tuple[Waiver, ...] = ()  # accepted exceptions; waived findings stay in the report, marked

    def selected(self, rule_id: str) -> bool:
        """flake8-style selection: --select and --ignore take rule-id prefixes."""
        if self.select and not any(rule_id.startswith(p) for p in self.select):
            return False
        return not any(rule_id.startswith(p) for p in self.ignore)
