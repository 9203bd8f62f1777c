"""Fuzz system-description reading (decode, JSON, schema check) through validate on a small tree:
`python bench/fuzz_system_json.py -max_total_time=60`."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from fuzz_common import run, seed_files

try:
    import atheris  # type: ignore[import-not-found]

    with atheris.instrument_imports():
        from checker import api
        from checker.suites.inference import facts, kinds
except ImportError:
    from checker import api
    from checker.suites.inference import facts, kinds  # noqa: F401

from tests.hostile import base

ROOT = base.write_builtin(Path(tempfile.mkdtemp(prefix="mlcheck-fuzz-sys-")) / "sub")
OPTS = api.ValidateOptions(select=("inf.system.",), ignore=("inf.audit.",))


def target(data: bytes) -> None:
    (ROOT / base.SYSTEM_JSON).write_bytes(data)
    report = api.validate(ROOT, OPTS)
    json.dumps(report.to_dict())


if __name__ == "__main__":
    run(target, [json.dumps(base.SYSTEM_DESC).encode(), b"{}", b"[" * 50] + seed_files(
        "reference_logs/inference_v0.5/*/*/systems/*.json"))
