"""accuracy.txt: the accuracy the submitter's evaluation script printed.

Each benchmark's accuracy script prints its own score line; the round's rules give the one
pattern of each benchmark (a regular expression with a `value` group, and `good`/`total` where
the line states sample counts). There is no fallback to another metric's pattern: a line the
benchmark's pattern does not match states no value. Later rounds append `hash=<sha256>`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_HASH = re.compile(r"^hash=([0-9a-fA-F]{64})\s*$", re.MULTILINE)


@dataclass(frozen=True)
class AccuracyTxt:
    value: float | None = None  # in the benchmark's unit (percent, BLEU points, a fraction)
    decimals: int | None = None  # digits printed after the point: the precision of the claim
    good: int | None = None
    total: int | None = None
    hash: str | None = None  # sha256 of the untruncated accuracy log, when present
    line: int | None = None


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:  # more digits than int() converts
        return None


def parse_accuracy_txt(text: str, pattern: str | None) -> AccuracyTxt:
    """Find the benchmark's score line (the last one matching: scripts print intermediate numbers first)."""
    h = _HASH.search(text)
    digest = h.group(1).lower() if h else None
    last = None
    if pattern is not None:
        for last in re.finditer(pattern, text, re.MULTILINE):
            pass
    if last is None:
        return AccuracyTxt(hash=digest)
    groups = last.groupdict()
    raw = groups["value"]
    value = float(raw)
    return AccuracyTxt(
        value=value if math.isfinite(value) else None,  # 400 digits overflow to inf: no value stated
        decimals=len(raw.partition(".")[2]), good=_int(groups.get("good")), total=_int(groups.get("total")),
        hash=digest, line=text.count("\n", 0, last.start()) + 1,
    )
