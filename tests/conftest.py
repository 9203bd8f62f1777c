"""Shared fixtures: the real MLPerf corpus (skipped when absent) and the embedded sample."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """-n auto: one worker more than cores. The sample's regeneration runs LoadGen on its clock for
    over a minute at a third of a core; the extra worker keeps both cores busy meanwhile."""
    return (os.cpu_count() or 1) + 1


def _unpack() -> Path | None:
    env = os.environ.get("MLCHECK_CORPUS")
    if env:
        p = Path(env)
        return p if p.is_dir() else None
    script = SHARED / "corpus" / "unpack"
    if not script.is_file():
        return None
    try:
        out = subprocess.run(["bash", str(script)], check=True, capture_output=True, text=True, timeout=900)
    except (subprocess.SubprocessError, OSError):
        return None
    dest = Path(out.stdout.strip().splitlines()[-1])
    return dest if dest.is_dir() else None


@pytest.fixture(scope="session")
def corpus_root() -> Path:
    """The unpacked real corpus (inference_v0.5/, training_v0.6/, datasets/); skips when absent."""
    root = _unpack()
    if root is None:
        pytest.skip("the real MLPerf corpus (../shared/corpus) is not available")
    return root


@pytest.fixture(scope="session")
def shared_datasets(corpus_root: Path) -> Path:
    """The corpus datasets/ folder: imagenet/val_map.txt and wmt16/newstest2014.{en,de}."""
    return corpus_root / "datasets"


@pytest.fixture(scope="session")
def expected_dir() -> Path:
    """The folder holding the *.EXPECTED.tsv tables."""
    d = SHARED / "corpus"
    if not d.is_dir():
        pytest.skip("../shared/corpus is not available")
    return d


@pytest.fixture(scope="session")
def sample_root() -> Path:
    """The embedded sample submission generated with the real LoadGen."""
    return REPO / "reference_logs" / "inference_v0.5"
