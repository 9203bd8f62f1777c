"""Fuzz accuracy.txt parsing: `python bench/fuzz_accuracy_txt.py -max_total_time=60`."""

from __future__ import annotations

from fuzz_common import run, seed_files

try:
    import atheris  # type: ignore[import-not-found]

    with atheris.instrument_imports():
        from checker import fs as textio
        from checker.suites.inference import accuracy_txt
except ImportError:
    from checker import fs as textio
    from checker.suites.inference import accuracy_txt
from checker.api import SUITES, load_suite_ruleset

# every benchmark's accuracy.txt pattern, as the v0.5 rules state it
PATTERNS = sorted({b.accuracy.pattern for b in load_suite_ruleset(SUITES["inference"], "v0.5").model.benchmarks.values()})


def target(data: bytes) -> None:
    text = textio.decode(data).text or ""
    for metric in (None, *PATTERNS):
        a = accuracy_txt.parse_accuracy_txt(text, metric)
        if a.value is not None and not (a.value == a.value and abs(a.value) != float("inf")):
            raise AssertionError(f"non-finite accuracy {a.value!r}")


if __name__ == "__main__":
    run(target, seed_files("reference_logs/inference_v0.5/**/accuracy.txt"))
