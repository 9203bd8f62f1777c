"""Writing the submission tree: text and JSON files, and the names of the files LoadGen writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SUMMARY = "mlperf_log_summary.txt"
DETAIL = "mlperf_log_detail.txt"
ACCURACY_LOG = "mlperf_log_accuracy.json"


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write `data` as indented JSON (4 spaces) with a final newline, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=4) + "\n", encoding="utf-8")


def write_text(path: Path, text: str) -> None:
    """Write `text` as UTF-8 with LF line ends, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def read_text(path: Path) -> str:
    """Read a UTF-8 text file."""
    return path.read_text(encoding="utf-8")
