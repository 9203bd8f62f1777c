"""ROC-AUC (and click accuracy) for DLRM (MLPerf Inference v0.7) from the logged click predictions.

What the v0.7 reference does, and so what this module reads (mlcommons/inference,
recommendation/dlrm/pytorch; the round is r0.7 @ 75018167: python/criteo.py was read at 2f42f34f,
tools/accuracy-dlrm.py in a copy with its --day-23-file and --aggregation-trace-file options, the
ones NVIDIA's v0.7 harness passes it, inference_results_v0.7 @ 1321d137):

- A LoadGen sample is an aggregate of consecutive user-item pairs of the Criteo Terabyte test set
  (the first half of day 23, 89,137,319 pairs in 330,067 samples of at most 700 pairs). Sample i is
  the pairs [s_i, e_i); the reference dumps the split as its aggregation trace,
  `dlrm_trace_of_aggregated_samples.txt`, one line `s, e, e-s` per sample (NVIDIA names its copy
  `sample_partition_trace.txt`).
- Ground truth: the raw Criteo day-23 file, `day_23` (or `day_23.gz`), tab-separated, one pair per
  line, the click label (0 or 1) first; pair k is line k. With the trace, sample i's labels are lines
  s_i … e_i − 1, as accuracy-dlrm.py's --day-23-file mode reads them.
- Payload: float32 little-endian per pair of the sample, in pair order. The reference SUT logs
  (prediction, label) per pair (8 bytes a pair, the label as a float); a SUT may log the prediction
  alone (4 bytes a pair), which the reference scores with --day-23-file. mlcheck reads either
  (every payload must be one or the other) and always scores against day 23's labels; logged labels
  that disagree with day 23 are counted in the detail.
- Score: ROC-AUC over every pair of the logged samples (sklearn's roc_auc_score in the reference),
  in percent; computed here exactly as the Mann–Whitney statistic, a tie between a positive and a
  negative counting one half, which is what the trapezoid over sklearn's ROC curve comes to. Click
  accuracy (prediction rounded half to even equals the label) is reported apart, never as the score.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from .reader import FirstPayloads
from .score import CannotScore, GroundTruthError, Score

TRACE_NAMES = ("dlrm_trace_of_aggregated_samples.txt", "sample_partition_trace.txt")
DAY23_NAMES = ("day_23", "day_23.gz")
READ_BYTES = 16 * 1024 * 1024
MAX_LINE_BYTES = 64 * 1024  # a Criteo line is ~400 bytes; no newline in this many means not day_23

I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class CriteoTruth:
    labels: I8  # per pair, in day-23 order
    bounds: I64  # sample i is pairs bounds[i] .. bounds[i+1]-1


def load_trace(path: Path) -> I64:
    """Sample boundaries from the aggregation trace (`s, e, count` per line, samples contiguous)."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise GroundTruthError(f"cannot read the DLRM aggregation trace {path}: {exc}") from exc
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    bounds = np.zeros(len(lines) + 1, np.int64)
    for i, line in enumerate(lines):
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise GroundTruthError(f"{path.name} line {i + 1} is not 's, e, count': {line[:60]!r}")
        s, e, n = (int(p) for p in parts)
        if s != bounds[i] or e - s != n or n < 1:
            raise GroundTruthError(f"{path.name} line {i + 1}: sample {i} is pairs {s}..{e} ({n}); "
                                   f"samples are consecutive, non-empty ranges starting at {int(bounds[i])}")
        bounds[i + 1] = e
    if len(lines) == 0:
        raise GroundTruthError(f"{path.name} lists no sample")
    return bounds


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]  # a binary file object
    return path.open("rb")


def read_labels(path: Path, count: int) -> I8:
    """The click labels of the first `count` lines of a Criteo day file (label, then a tab)."""
    out = np.empty(count, np.int8)
    got = 0
    carry = b""
    try:
        with _open(path) as f:
            while got < count:
                chunk = f.read(READ_BYTES)
                if not chunk:
                    break
                buf = carry + chunk
                arr = np.frombuffer(buf, np.uint8)
                nl = np.flatnonzero(arr == 10)
                if len(nl) == 0:
                    if len(buf) > MAX_LINE_BYTES:
                        raise GroundTruthError(f"{path.name} line {got + 1} is longer than {MAX_LINE_BYTES} bytes; "
                                               "not a Criteo day file")
                    carry = buf
                    continue
                starts = np.concatenate([[0], nl[:-1] + 1])[:count - got]
                got = _take(path, arr, starts, out, got)
                carry = buf[int(nl[-1]) + 1:]
            if got < count and carry:
                got = _take(path, np.frombuffer(carry + b"\n", np.uint8), np.zeros(1, np.int64), out, got)
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise GroundTruthError(f"cannot read Criteo labels from {path}: {exc}") from exc
    if got < count:
        raise GroundTruthError(f"{path.name} has {got} lines; the aggregation trace covers {count} pairs",
                               "Pass the day_23 file of the Criteo Terabyte data set (its first half is the "
                               "MLPerf test set) with the trace of the same split.")
    return out


def _take(path: Path, arr: npt.NDArray[np.uint8], starts: I64, out: I8, got: int) -> int:
    first = arr[starts]
    second = arr[np.minimum(starts + 1, len(arr) - 1)]
    ok = ((first == 48) | (first == 49)) & (second == 9)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise GroundTruthError(f"{path.name} line {got + bad + 1} does not start with a 0/1 click label and a tab",
                               "The ground truth is the raw Criteo day_23 file (label, 13 integers, 26 "
                               "categories, tab-separated).")
    out[got:got + len(starts)] = first - 48
    return got + len(starts)


def _find(base: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        if (base / name).is_file():
            return base / name
    return None


def load_criteo(path: Path, companions: Mapping[str, Path] | None = None) -> CriteoTruth:
    """day_23 labels and the sample split: a folder holding day_23 (or day_23.gz) and the aggregation
    trace, or the day_23 file with the trace beside it (or given as --dataset criteo_trace=)."""
    day23 = _find(path, DAY23_NAMES) if path.is_dir() else path
    base = path if path.is_dir() else path.parent
    trace = (companions or {}).get("criteo_trace")
    if trace is None:
        trace = _find(base, TRACE_NAMES)
    if day23 is None or not day23.is_file() or trace is None or not Path(trace).is_file():
        missing = "day_23" if day23 is None or not day23.is_file() else "dlrm_trace_of_aggregated_samples.txt"
        raise GroundTruthError(f"the Criteo ground truth at {path} has no {missing}",
                               "Pass --dataset criteo=DIR holding day_23 (or day_23.gz) and "
                               "dlrm_trace_of_aggregated_samples.txt, the reference's aggregation trace.")
    bounds = load_trace(Path(trace))
    return CriteoTruth(read_labels(day23, int(bounds[-1])), bounds)


def roc_auc(scores: F32, labels: npt.NDArray[np.bool_]) -> tuple[float, int, int]:
    """Exact ROC-AUC: P(score of a positive > score of a negative), ties one half; (auc, positives, negatives)."""
    pos = np.sort(scores[labels])  # sorted queries walk the negatives in order: far fewer cache misses
    neg = scores[~labels]
    neg.sort()
    n_pos, n_neg = len(pos), len(neg)
    if n_pos == 0 or n_neg == 0:
        raise CannotScore(f"the logged pairs hold {n_pos} clicks and {n_neg} non-clicks; "
                          "ROC-AUC needs both")
    below = np.searchsorted(neg, pos, side="left")
    upto = np.searchsorted(neg, pos, side="right")
    twice_u = int(below.sum(dtype=np.int64)) + int(upto.sum(dtype=np.int64))  # 2·(below + ties/2), exact
    return twice_u / (2 * n_pos * n_neg), n_pos, n_neg


def score_auc(first: FirstPayloads, truth: CriteoTruth, params: Mapping[str, Any] | None = None) -> Score:
    """ROC-AUC in percent over the pairs of the logged samples; click accuracy in the detail."""
    params = params or {}
    if params.get("dtype", "float32") != "float32":
        from ..errors import RulesetError

        raise RulesetError(f"criteo_auc: dtype '{params.get('dtype')}' is not float32, the reference's")
    n = len(truth.bounds) - 1
    if len(first.qsl) and int(first.qsl.max()) >= n:
        raise CannotScore(f"qsl_idx {int(first.qsl.max())} is beyond the {n} samples of the aggregation trace")
    pairs = truth.bounds[first.qsl + 1] - truth.bounds[first.qsl]
    lens = np.diff(first.offsets)
    if len(lens) and (lens == 8 * pairs).all():
        mode, per_pair = "float32 (prediction, label) per pair", 2
    elif (lens == 4 * pairs).all():
        mode, per_pair = "float32 prediction per pair", 1
    else:
        bad = int(np.flatnonzero((lens != 8 * pairs) & (lens != 4 * pairs))[0]) if \
            ((lens != 8 * pairs) & (lens != 4 * pairs)).any() else 0
        raise CannotScore(f"qsl_idx {int(first.qsl[bad])} logs {int(lens[bad])} bytes for its {int(pairs[bad])} "
                          f"user-item pairs; a DLRM payload is {4 * int(pairs[bad])} (float32 predictions) or "
                          f"{8 * int(pairs[bad])} bytes (prediction, label), the same for every sample")
    values = first.payload.view("<f4") if len(first.payload) else np.zeros(0, np.float32)
    preds = values[0::per_pair]
    if not np.isfinite(preds).all():
        raise CannotScore(f"{int((~np.isfinite(preds)).sum())} logged predictions are NaN or infinite; "
                          "the reference's roc_auc_score refuses them")
    # the logged samples' pairs, in sample order: a contiguous run when every sample is there
    if len(first.qsl) == n:
        labels = truth.labels[:int(truth.bounds[-1])]
    else:
        present = np.zeros(n, bool)
        present[first.qsl] = True
        labels = truth.labels[np.repeat(present, np.diff(truth.bounds))]
    clicks = labels.astype(bool)
    auc, n_pos, n_neg = roc_auc(preds, clicks)
    good = int((np.round(preds) == labels).sum())
    total = len(preds)
    detail: dict[str, Any] = {
        "auc": auc, "click_accuracy": 100.0 * good / total, "good": good, "pairs": total,
        "samples": len(first.qsl), "clicks": n_pos, "non_clicks": n_neg, "payload": mode,
    }
    if per_pair == 2:
        detail["logged_label_mismatches"] = int((values[1::2] != labels).sum())
    return Score("AUC", 100.0 * auc, "criteo_auc", "float32", detail)
