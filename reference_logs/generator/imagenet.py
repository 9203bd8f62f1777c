"""ImageNet for the samples: a synthetic (seeded) label map, the tiny classifier's answers, top-1.

The label map has the format of the real ImageNet 2012 validation map, 50,000 lines
``ILSVRC2012_val_%08d.JPEG <label>``; the labels are seeded, not the real ones. Both
samples (v0.5 and v0.7) use the same map and the same classifier.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy.typing as npt

TOTAL_SAMPLES = 50_000  # ImageNet 2012 validation set
NUM_CLASSES = 1000
VAL_MAP_SEED = 20191106  # synthetic label map
SUT_SEED = 765  # which samples the tiny SUT gets right, and its wrong answers
SUT_TOP1 = 0.765  # intended top-1 of the tiny SUT (the measured value is in accuracy.txt)

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]


def make_labels() -> I32:
    """Synthetic ImageNet validation labels, one per sample (seeded)."""
    rng = np.random.default_rng(VAL_MAP_SEED)
    return rng.integers(0, NUM_CLASSES, TOTAL_SAMPLES, dtype=np.int64).astype("<i4")


def write_val_map(path: Path, labels: npt.NDArray[np.integer]) -> None:
    """Write the label map in the ImageNet val_map.txt format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"ILSVRC2012_val_{i + 1:08d}.JPEG {int(lab)}\n" for i, lab in enumerate(labels)]
    path.write_text("".join(lines), encoding="ascii", newline="\n")


def read_val_map(path: Path) -> I64:
    """The labels of a val_map.txt, by line."""
    labels = []
    for line in path.read_text(encoding="ascii").splitlines():
        if line.strip():
            labels.append(int(line.split()[1]))
    return np.asarray(labels, dtype=np.int64)


def make_predictions(labels: npt.NDArray[np.integer]) -> I32:
    """The tiny classifier's answer for every sample index (int32, little endian).

    About SUT_TOP1 of the samples get their true label; the others get a seeded wrong label.
    """
    rng = np.random.default_rng(SUT_SEED)
    right = rng.random(labels.shape[0]) < SUT_TOP1
    offset = rng.integers(1, NUM_CLASSES, labels.shape[0])
    wrong = (labels.astype(np.int64) + offset) % NUM_CLASSES
    return np.where(right, labels, wrong).astype("<i4")


def make_modified_predictions(labels: npt.NDArray[np.integer], seed: int, changed_share: float) -> I32:
    """The classifier's answers on a modified data set (v0.5 TEST03).

    A seeded `changed_share` of the samples get a seeded answer other than their answer
    on the original data; the rest keep it.
    """
    base = make_predictions(labels).astype(np.int64)
    rng = np.random.default_rng(seed)
    changed = rng.random(base.shape[0]) < changed_share
    other = (base + rng.integers(1, NUM_CLASSES, base.shape[0])) % NUM_CLASSES
    return np.where(changed, other, base).astype("<i4")


def score_accuracy_log(accuracy_log: Path, labels: I64) -> tuple[int, int]:
    """(good, total) of an ImageNet accuracy log: int32 label payloads, first record per qsl_idx."""
    records = json.loads(accuracy_log.read_text(encoding="utf-8"))
    qsl_idx = np.fromiter((r["qsl_idx"] for r in records), dtype=np.int64, count=len(records))
    payload = "".join(r["data"][:8] for r in records)  # first 4 bytes hold the int32 label
    predicted = np.frombuffer(bytes.fromhex(payload), dtype="<i4").astype(np.int64)
    _, first = np.unique(qsl_idx, return_index=True)
    good = int(np.count_nonzero(predicted[first] == labels[qsl_idx[first]]))
    return good, int(first.shape[0])


def accuracy_line(good: int, total: int) -> str:
    """The result line of the reference accuracy-imagenet.py."""
    return f"accuracy={100.0 * good / total:.3f}%, good={good}, total={total}\n"
