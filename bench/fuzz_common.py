"""Shared driver for the coverage-guided fuzz targets: atheris when installed, else a hypothesis loop.

    python bench/fuzz_loadgen.py -max_total_time=60          # atheris (libFuzzer flags)
    python bench/fuzz_loadgen.py -max_total_time=60 corpus/  # keep the corpus it grows
Without atheris the same target runs under hypothesis for -max_total_time seconds (not coverage-guided).
Any exception out of a target is a finding: a parser must return a record, never raise.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _max_time(argv: list[str], default: int = 60) -> int:
    for a in argv:
        if a.startswith("-max_total_time="):
            return int(a.split("=", 1)[1])
    return default


def run(target: Callable[[bytes], None], seeds: list[bytes]) -> None:
    """Fuzz `target` (bytes -> None; raising means a bug)."""
    try:
        import atheris  # type: ignore[import-not-found]
    except ImportError:
        atheris = None
    if atheris is not None:
        import os
        import tempfile

        argv = list(sys.argv)
        if not any(not a.startswith("-") for a in argv[1:]):  # no corpus dir given: seed a temporary one
            corpus = tempfile.mkdtemp(prefix="mlcheck-fuzz-")
            for i, s in enumerate(seeds):
                Path(corpus, f"seed{i}").write_bytes(s)
            argv.append(corpus)
        os.environ.setdefault("PYTHONHASHSEED", "0")
        atheris.Setup(argv, target)
        atheris.Fuzz()
        return
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    deadline = time.monotonic() + _max_time(sys.argv)
    runs = 0
    while time.monotonic() < deadline:
        @settings(max_examples=500, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(st.one_of(st.binary(max_size=4096), st.sampled_from(seeds),
                         st.tuples(st.sampled_from(seeds), st.binary(max_size=64), st.integers(0, 4096))
                         .map(lambda t: t[0][: t[2]] + t[1] + t[0][t[2]:])))
        def loop(data: bytes) -> None:
            target(data)

        loop()
        runs += 500
    print(f"hypothesis fuzz loop: {runs} inputs, no failure")


def seed_files(*patterns: str) -> list[bytes]:
    """Seeds from the repository's own sample logs and the hostile base tree."""
    repo = Path(__file__).resolve().parents[1]
    out: list[bytes] = []
    for pat in patterns:
        for p in sorted(repo.glob(pat))[:8]:
            out.append(p.read_bytes()[:65536])
    try:
        from tests.hostile import base

        out += [t.encode() for t in (base.summary(), base.detail(), base.ACCURACY_TXT, base.accuracy_log(20))]
    except ImportError:
        pass
    return out or [b""]
