"""Fuzz the streaming mlperf_log_accuracy.json reader: `python bench/fuzz_accuracy_log.py -max_total_time=60`."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fuzz_common import run, seed_files

try:
    import atheris  # type: ignore[import-not-found]

    with atheris.instrument_imports():
        from checker.rescore import logscan
except ImportError:
    from checker.rescore import logscan

PATH = Path(tempfile.mkdtemp(prefix="mlcheck-fuzz-acc-")) / "mlperf_log_accuracy.json"


def target(data: bytes) -> None:
    PATH.write_bytes(data)
    for block in (64, 1 << 16):
        scan, _ = logscan.scan_log(PATH, 64, keep=True, want_hash=True, block_bytes=block)
        if scan.size != len(data):
            raise AssertionError(f"size {scan.size} != {len(data)}")


if __name__ == "__main__":
    run(target, seed_files("reference_logs/inference_v0.5/**/mlperf_log_accuracy.json"))
