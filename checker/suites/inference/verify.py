"""Compliance-test outputs: the submitters' verify_*.txt and the LoadGen accuracy logs they compared.

Accuracy logs can be tens of megabytes, so they are streamed block by block through the
accuracy-log reader; nothing here loads a whole log as JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 1 << 22  # 4 MiB per read when scanning an accuracy log
_KV = re.compile(r"^\s*([A-Za-z0-9_ -]+?)\s*=\s*(\S+)\s*$")
_VERDICT = re.compile(r"^\s*TEST (PASS|FAIL)\b:?\s*(.*)$")


@dataclass
class VerifyOutput:
    """What one verify script printed: its kind, verdict, the values it stated and its notes."""

    kind: str  # "accuracy", "performance", "test4" or "unknown"
    verdict: str | None  # "PASS", "FAIL", or None when the output states neither
    values: dict[str, float] = field(default_factory=dict)
    reason: str = ""  # the text after "TEST FAIL:", or a note the script printed
    warnings: list[str] = field(default_factory=list)
    crashed: str = ""  # the exception's last line when the script died with a Python traceback


def parse_verify(text: str) -> VerifyOutput:
    """Parse the output of verify_accuracy.py, verify_performance.py or verify_test4_performance.py."""
    kind = "unknown"
    if "Verifying accuracy" in text or "num_perf_log_entries" in text:
        kind = "accuracy"
    elif "TEST04-A score" in text or "TEST04-B score" in text:
        kind = "test4"
    elif "Verifying performance" in text or "reference score" in text:
        kind = "performance"
    out = VerifyOutput(kind, None)
    if "Traceback (most recent call last)" in text:
        tail = [ln.strip() for ln in text.splitlines() if ln.strip()]
        out.crashed = tail[-1][:200] if tail else "a traceback"
        if kind == "unknown" and ("verify_accuracy" in text or "accuracy" in text.lower()):
            out.kind = "accuracy"
    for raw in text.splitlines():
        line = raw.strip()
        m = _VERDICT.match(line)
        if m:
            if out.verdict != "FAIL":  # a FAIL anywhere outweighs a PASS
                out.verdict = m.group(1)
            if m.group(2):
                out.reason = m.group(2).strip()
            continue
        if line.startswith("WARNING"):
            out.warnings.append(line)
            continue
        if line.startswith("Note:") and not out.reason:
            out.reason = line[len("Note:"):].strip()
            continue
        if line.startswith("Test and reference scenarios do not match"):
            out.verdict = "FAIL"
            out.reason = line
            continue
        kv = _KV.match(line)
        if kv:
            try:
                out.values[kv.group(1).strip()] = float(kv.group(2))
            except ValueError:
                pass
    return out


def iter_accuracy_entries(path: Path) -> Iterator[tuple[int, bytes]]:
    """(qsl_idx, payload) for each well-formed entry of an accuracy log with valid hex, in file order."""
    from ...rescore.reader import iter_entries  # numpy: imported when a log is compared

    for block in iter_entries(path, CHUNK):
        if block.bad.any():
            yield from (e for e, bad in zip(block.items(), block.bad.tolist()) if not bad)
        else:
            yield from block.items()


TRUNCATION_MARK = b"\n\n...\n\n"  # later rounds keep a log's first and last 4 KiB around this
TRUNCATED_MAX_BYTES = 16 * 1024


def is_truncated(path: Path) -> bool:
    """A log cut as the round's truncation tool cuts one: small, with the mark between its two halves."""
    try:
        if path.stat().st_size > TRUNCATED_MAX_BYTES:
            return False
        return TRUNCATION_MARK in path.read_bytes()
    except OSError:
        return False


@dataclass
class ResponseComparison:
    """The counters of the round's TEST01 verify_accuracy.py, recomputed, plus a full-data comparison."""

    acc_entries: int = 0
    acc_duplicate_keys: int = 0
    acc_data_mismatch: int = 0
    perf_entries: int = 0
    perf_qsl_idx_match: int = 0
    perf_data_mismatch: int = 0  # whole response differs from the accuracy run's
    perf_first_byte_mismatch: int = 0  # the v0.5 script compared only the first byte
    perf_length_mismatch: int = 0  # responses of another size: the two runs logged different formats
    missing_qsl_idxs: int = 0
    wrapped_qsl_idxs: int = 0  # perf-mode indices past the data set, matched modulo its size (GNMT)
    examples: list[int] = field(default_factory=list)  # a few qsl_idx whose responses differ


def compare_responses(accuracy_log: Path, sampled_log: Path, dataset_samples: int | None = None) -> ResponseComparison:
    """Compare a performance run's sampled responses with the accuracy run's, by qsl_idx.

    A performance-mode QSL larger than the data set (GNMT: 3,903,900 over 3,003 sentences) repeats
    the data set, so an index past its end is matched modulo `dataset_samples`.
    """
    out = ResponseComparison()
    first: dict[int, bytes] = {}
    for idx, data in iter_accuracy_entries(accuracy_log):
        out.acc_entries += 1
        seen = first.get(idx)
        if seen is None:
            first[idx] = data
        else:
            out.acc_duplicate_keys += 1
            if seen != data:
                out.acc_data_mismatch += 1
    for idx, data in iter_accuracy_entries(sampled_log):
        out.perf_entries += 1
        ref = first.get(idx)
        if ref is None and dataset_samples and idx >= dataset_samples:
            ref = first.get(idx % dataset_samples)
            if ref is not None:
                out.wrapped_qsl_idxs += 1
        if ref is None:
            out.missing_qsl_idxs += 1
            continue
        out.perf_qsl_idx_match += 1
        if ref != data:
            out.perf_data_mismatch += 1
            if len(out.examples) < 5:
                out.examples.append(idx)
            if ref[:1] != data[:1]:
                out.perf_first_byte_mismatch += 1
            if len(ref) != len(data):
                out.perf_length_mismatch += 1
    return out
