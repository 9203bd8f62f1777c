"""Where the benches find the real corpus: the argument, else $MLCHECK_CORPUS, else the folder that
../shared/corpus/unpack (beside the repository) prints after unpacking it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
UNPACK = REPO.parent / "shared" / "corpus" / "unpack"


def corpus_dir(given: str | None = None) -> Path | None:
    """The unpacked corpus, or None when there is none to be had."""
    if given:
        return Path(given)
    if os.environ.get("MLCHECK_CORPUS"):
        return Path(os.environ["MLCHECK_CORPUS"])
    if not UNPACK.is_file():
        return None
    out = subprocess.run(["bash", str(UNPACK)], capture_output=True, text=True, check=False)
    lines = out.stdout.strip().splitlines()
    return Path(lines[-1]) if out.returncode == 0 and lines else None


def require_corpus(given: str | None = None) -> Path:
    """The unpacked corpus; exits with a message when there is none."""
    found = corpus_dir(given)
    if found is None:
        raise SystemExit("no corpus: pass its folder or set MLCHECK_CORPUS (../shared/corpus is absent)")
    return found
