"""ImageNet top-1 from an accuracy log: the predicted class per sample against val_map.txt labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .reader import FirstPayloads
from .score import CannotScore, GroundTruthError, Score

I64 = npt.NDArray[np.int64]


def load_val_map(path: Path) -> I64:
    """Labels from val_map.txt: line i is sample i, `<file name> <label>`."""
    if path.is_dir():
        path = path / "val_map.txt"
    try:
        raw = path.read_bytes()
        raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GroundTruthError(f"cannot read ImageNet labels {path}: {exc}",
                               "Pass --dataset imagenet=PATH/val_map.txt (lines '<file> <label>').") from exc
    # the common case in C: every line is exactly two fields and the second is an integer
    if b"\r" in raw:
        n_lines = len(raw.splitlines())
    else:  # the count bytes.splitlines gives, without building the list
        n_lines = raw.count(b"\n") + (1 if raw and not raw.endswith(b"\n") else 0)
    fields = raw.split()
    if len(fields) == 2 * n_lines:
        second = b" ".join(fields[1::2])
        if second.replace(b" ", b"").isdigit():  # ASCII digits only: one C pass parses them all
            labels: I64 = np.fromstring(second, dtype=np.int64, sep=" ")
            # fromstring saturates on overflow: a maximal value goes the checked way below
            if len(labels) == n_lines and not (labels == np.iinfo(np.int64).max).any():
                return labels
        try:
            labels = np.array(fields[1::2]).astype(np.int64)
        except ValueError:
            pass
        else:
            return labels
    lines = raw.splitlines()
    labels = np.empty(len(lines), dtype=np.int64)
    for i, bline in enumerate(lines):
        line = bline.decode("utf-8")
        parts = line.split()
        if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
            raise GroundTruthError(f"{path.name} line {i + 1} is not '<file> <label>': {line[:60]!r}")
        labels[i] = int(parts[1])
    return labels


def decode_classes(first: FirstPayloads, classes: int) -> tuple[I64, str]:
    """The predicted class per entry, and the payload type inferred for the whole file.

    LoadGen logs raw bytes; the type is the one under which every payload is a class index:
    int32 or float32 for 4 bytes, int64 for 8, or an int32 in the first 4 of 8 bytes (some
    submitters logged an int32 through a 64-bit buffer, leaving junk in the upper half).
    """
    fixed = first.fixed()
    if fixed is None:
        if len(first.qsl) == 0:
            return np.zeros(0, np.int64), "none"
        raise CannotScore("payloads have different lengths; a top-1 log holds one class per sample")
    width, m = fixed
    limit = classes + 1  # 1001-class models put background at 0

    def ok(v: npt.NDArray[Any]) -> bool:
        return bool(((v >= 0) & (v < limit)).all())

    if width == 4:
        as_int = m.view("<i4").reshape(-1)
        if ok(as_int):
            return as_int.astype(np.int64), "int32"
        as_f = m.view("<f4").reshape(-1)
        if np.isfinite(as_f).all() and (as_f == np.round(as_f)).all() and ok(as_f):
            return as_f.astype(np.int64), "float32"
    elif width == 8:
        as_i8 = m.view("<i8").reshape(-1)
        if ok(as_i8):
            return as_i8.astype(np.int64), "int64"
        low = np.ascontiguousarray(m[:, :4]).view("<i4").reshape(-1)
        if ok(low):
            return low.astype(np.int64), "int32 in the first 4 of 8 bytes"
        low_f = np.ascontiguousarray(m[:, :4]).view("<f4").reshape(-1)
        if np.isfinite(low_f).all() and (low_f == np.round(low_f)).all() and ok(low_f):
            return low_f.astype(np.int64), "float32 in the first 4 of 8 bytes"
    raise CannotScore(f"{width}-byte payloads are not class indices under int32, float32 or int64")


def score_top1(first: FirstPayloads, labels: I64, offsets: tuple[int, ...] = (0,), classes: int = 1000) -> Score:
    """Top-1 accuracy in percent over the distinct samples of the log (first occurrence wins), as the
    reference accuracy-imagenet.py computes it; `offsets` are the label shifts the rules allow."""
    pred, dtype = decode_classes(first, classes)
    if len(first.qsl) and int(first.qsl.max()) >= len(labels):
        raise CannotScore(f"qsl_idx {int(first.qsl.max())} is beyond the {len(labels)} labels given")
    truth = labels[first.qsl]
    total = len(pred)
    goods = [int((pred + o == truth).sum()) for o in offsets]
    best = max(range(len(offsets)), key=lambda i: (goods[i], -i))
    good = goods[best]
    value = 100.0 * good / total if total else 0.0
    return Score("top1", value, "imagenet_top1", dtype, {
        "good": good, "total": total, "class_offset": offsets[best],
        "offsets_tried": dict(zip((str(o) for o in offsets), goods)),
    })
