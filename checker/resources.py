"""Locate the data that ships with mlcheck: schemas/, rules/ and reference_logs/."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder `name` (schemas, rules or reference_logs), installed or from the source tree."""
    installed = _PACKAGE / "data" / name
    if installed.is_dir():
        return installed
    source = _PACKAGE.parent / name
    if source.is_dir():
        return source
    raise FileNotFoundError(f"mlcheck data folder '{name}' is missing from this installation")


@functools.lru_cache(maxsize=16)
def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in schemas/, by its path inside that folder (read once per process)."""
    loaded: dict[str, Any] = json.loads((data_dir("schemas") / name).read_text(encoding="utf-8"))
    return loaded
