"""Locate the data that ships with mlcheck: schemas/, rules/ and reference_logs/."""

from __future__ import annotations

from pathlib import Path

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
