"""Fuzz the LoadGen summary and detail parsers (v0.5 text and :::MLLOG): `python bench/fuzz_loadgen.py -max_total_time=60`."""

from __future__ import annotations

import sys

from fuzz_common import run, seed_files

try:
    import atheris  # type: ignore[import-not-found]

    with atheris.instrument_imports():
        from checker import fs as textio
    from checker.suites.inference import loadgen
except ImportError:
    from checker import fs as textio
    from checker.suites.inference import loadgen


def target(data: bytes) -> None:
    text = textio.decode(data).text or ""
    s = loadgen.parse_summary(text)
    for key in list(s.fields)[:50]:
        s.number(key)
    loadgen.parse_detail(text)
    loadgen.parse_detail(":::MLLOG " + text)


if __name__ == "__main__":
    run(target, seed_files("reference_logs/inference_v0.5/**/mlperf_log_summary.txt",
                           "reference_logs/inference_v0.5/**/mlperf_log_detail.txt"))
    sys.exit(0)
