"""HR@10 for NCF where a log provides the ranking: payload = the item ids ranked for user i (int32)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from .reader import FirstPayloads
from .score import CannotScore, GroundTruthError, Score


def load_positives(path: Path) -> npt.NDArray[np.int64]:
    """The held-out item per user: line i is user i, either `<item>` or `<user> <item>`."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GroundTruthError(f"cannot read NCF positives {path}: {exc}") from exc
    out = np.empty(len(lines), np.int64)
    for i, line in enumerate(lines):
        parts = line.replace(",", " ").split()
        if not parts or not parts[-1].isdigit():
            raise GroundTruthError(f"{path.name} line {i + 1} holds no item id")
        if len(parts) > 1 and int(parts[0]) != i:
            raise GroundTruthError(f"{path.name} line {i + 1} is for user {parts[0]}, expected {i}")
        out[i] = int(parts[-1])
    return out


def score_hr(first: FirstPayloads, positives: npt.NDArray[np.int64], k: int = 10) -> Score:
    """Share of users whose held-out item is among the first k ranked items (HR@k, a fraction)."""
    lens = np.diff(first.offsets)
    if (lens % 4).any():
        raise CannotScore("a ranking payload is not a whole number of int32 item ids")
    if len(first.qsl) and int(first.qsl.max()) >= len(positives):
        raise CannotScore(f"user {int(first.qsl.max())} is beyond the {len(positives)} users given")
    items = first.payload.view("<i4") if len(first.payload) else np.zeros(0, np.int32)
    starts = first.offsets[:-1] // 4
    take = np.minimum(lens // 4, k)
    owner = np.repeat(np.arange(len(first.qsl)), take)
    pos = np.arange(int(take.sum())) + np.repeat(starts - np.concatenate([[0], np.cumsum(take)[:-1]]), take)
    hit_rows = owner[items[pos] == positives[first.qsl][owner]]
    hits = len(np.unique(hit_rows))
    users = len(first.qsl)
    return Score(f"HR@{k}", hits / users if users else 0.0, "ncf_hr", "int32",
                 {"hits": hits, "users": users, "k": k})
