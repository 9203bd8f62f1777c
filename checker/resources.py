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
