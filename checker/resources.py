"""Locate the data that ships with mlcheck: schemas/, rules/ and reference_logs/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema

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


def is_own_path(path: str | Path) -> bool:
    """Whether `path` lies inside mlcheck's package or its rules and schemas (installed or in the
    source tree; the sample submissions are data a user validates, not mlcheck's own)."""
    p = Path(path)
    return any(p.is_relative_to(r) for r in (_PACKAGE, _PACKAGE.parent / "rules", _PACKAGE.parent / "schemas"))


def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in schemas/, by its path inside that folder."""
    loaded: dict[str, Any] = json.loads((data_dir("schemas") / name).read_text(encoding="utf-8"))
    return loaded


class SchemaCache:
    """Shipped schemas and their validators, loaded once per validation run (one object per run)."""

    def __init__(self) -> None:
        self._schemas: dict[str, tuple[dict[str, Any], jsonschema.protocols.Validator]] = {}

    def get(self, name: str) -> tuple[dict[str, Any], jsonschema.protocols.Validator]:
        if name not in self._schemas:
            import jsonschema  # on first use: commands that check no description never load it

            schema = load_schema(name)
            self._schemas[name] = (schema, jsonschema.Draft202012Validator(schema))
        return self._schemas[name]
