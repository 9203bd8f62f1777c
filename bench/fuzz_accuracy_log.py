"""Fuzz the streaming mlperf_log_accuracy.json reader: `python bench/fuzz_accuracy_log.py -max_total_time=60`.

Any bytes: a LogScan of the file's size, never an exception. Bytes that json.loads reads as a valid
list of LoadGen entries: no problem reported and the plain reading's first payloads and counts;
bytes it rejects: at least one problem (or the truncation flag). Two block sizes, one worker.
"""

from __future__ import annotations

import json
import string
import tempfile
from pathlib import Path
from typing import Any

from fuzz_common import run, seed_files

try:
    import atheris  # type: ignore[import-not-found]

    with atheris.instrument_imports():
        from checker.rescore import reader
except ImportError:
    from checker.rescore import reader

PATH = Path(tempfile.mkdtemp(prefix="mlcheck-fuzz-acc-")) / "mlperf_log_accuracy.json"
SAMPLES = 64
KEYS = {"seq_id", "qsl_idx", "data"}
HEX = set(string.hexdigits)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({k for k, _ in pairs}) != len(pairs):
        raise ValueError("duplicate key")
    return dict(pairs)


def plain(data: bytes) -> tuple[int, dict[int, bytes]] | None:
    """(entries, first payload of each index in range), or None when not a valid log."""
    try:
        objs = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except ValueError:
        return None
    if not isinstance(objs, list):
        return None
    first: dict[int, bytes] = {}
    for o in objs:
        if not isinstance(o, dict) or set(o) != KEYS or type(o["seq_id"]) is not int:
            return None
        q, d = o["qsl_idx"], o["data"]
        if type(q) is not int or not isinstance(d, str) or len(d) % 2 or not set(d) <= HEX:
            return None
        if 0 <= q < SAMPLES:
            first.setdefault(q, bytes.fromhex(d))
    return len(objs), first


def target(data: bytes) -> None:
    PATH.write_bytes(data)
    want = plain(data)
    for block in (64, 1 << 16):
        scan, first = reader.scan_log(PATH, SAMPLES, keep=True, want_hash=True, block_bytes=block, workers=1)
        if scan.size != len(data):
            raise AssertionError(f"size {scan.size} != {len(data)}")
        if want is None:
            if scan.well_formed:
                raise AssertionError("a log json.loads rejects was read as well formed")
            continue
        assert first is not None
        got = {int(q): first.get(i) for i, q in enumerate(first.qsl)}
        if not scan.well_formed or (scan.entries, got) != want:
            raise AssertionError(f"valid log read differently: {scan.problems[:2]}")


if __name__ == "__main__":
    run(target, seed_files("reference_logs/inference_v0.5/**/mlperf_log_accuracy.json"))
