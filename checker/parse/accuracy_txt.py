"""accuracy.txt: the accuracy the submitter's evaluation script printed.

Formats seen: ImageNet `accuracy=76.034%, good=38017, total=50000`; COCO pycocotools
output ending in `mAP=22.911%`; GNMT `BLEU: 23.8`; later rounds append `hash=<sha256>`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_PATTERNS: dict[str, re.Pattern[str]] = {
    "top1": re.compile(r"accuracy\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*%(?:\s*,\s*good\s*=\s*(\d+)\s*,\s*total\s*=\s*(\d+))?"),
    "mAP": re.compile(r"\bmAP\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*%"),
    "BLEU": re.compile(r"\bBLEU\s*[:=]\s*([0-9]+(?:\.[0-9]+)?)"),
}
_HASH = re.compile(r"^hash=([0-9a-fA-F]{64})\s*$", re.MULTILINE)


@dataclass
class AccuracyTxt:
    metric: str | None = None  # top1, mAP or BLEU
    value: float | None = None  # in percent (top1, mAP) or BLEU points
    decimals: int | None = None  # digits printed after the point: the precision of the claim
    good: int | None = None
    total: int | None = None
    hash: str | None = None  # sha256 of the untruncated accuracy log, when present
    line: int | None = None


def parse_accuracy_txt(text: str, metric: str | None = None) -> AccuracyTxt:
    """Find the score line; `metric` restricts the search to one metric (the benchmark's)."""
    out = AccuracyTxt()
    h = _HASH.search(text)
    if h:
        out.hash = h.group(1).lower()
    names = [metric] if metric in _PATTERNS else list(_PATTERNS)
    best: tuple[int, str, re.Match[str]] | None = None
    for name in names:
        # the last match counts: evaluators print intermediate numbers before the final one
        for m in _PATTERNS[name].finditer(text):
            if best is None or m.start() >= best[0]:
                best = (m.start(), name, m)
    if best is None:
        return out
    pos, name, m = best
    out.metric = name
    raw = m.group(1)
    value = float(raw)
    out.value = value if math.isfinite(value) else None  # 400 digits overflow to inf: no value stated
    out.decimals = len(raw.partition(".")[2])
    out.line = text.count("\n", 0, pos) + 1
    if name == "top1" and m.group(2):
        try:
            out.good, out.total = int(m.group(2)), int(m.group(3))
        except ValueError:  # more digits than int() converts
            out.good = out.total = None
    return out
