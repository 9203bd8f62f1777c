"""The record of one pass over an accuracy log, apart from the reader that makes it.

The reader needs numpy; this record does not. A validation's worker processes scan the logs and send
these back, so the process that reads the rest of the tree never imports numpy for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LogScan:
    """What one pass over an accuracy log established; the structural checks read this."""

    path: str
    size: int = 0
    entries: int = 0
    unique: int = 0
    duplicates: int = 0
    out_of_range: int = 0
    out_of_range_examples: list[int] = field(default_factory=list)
    bad_payloads: int = 0
    payload_lengths: dict[int, int] = field(default_factory=dict)  # decoded bytes -> entries
    problems: list[str] = field(default_factory=list)  # what is malformed, with byte offsets (first few)
    truncated: bool = False
    sha256: str | None = None
    fast_blocks: int = 0  # blocks decoded as one list
    slow_blocks: int = 0  # blocks read entry by entry (something in them is malformed)
    missing_examples: list[int] = field(default_factory=list)  # dataset samples absent from the log

    @property
    def well_formed(self) -> bool:
        return not self.problems and not self.truncated

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)
