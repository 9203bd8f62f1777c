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


def system_description(submitter: str, division: str, system: str, notes: str, loadgen: str,
                       **after_division: Any) -> dict[str, Any]:
    """A sample system's description: the tiny CPU host both samples run on. `after_division` holds the
    round's further fields, placed after division (v0.7: system_type)."""
    return {
        "submitter": submitter,
        "division": division,
        **after_division,
        "status": "available",
        "system_name": system,
        "number_of_nodes": 1,
        "host_processor_model_name": "Generic x86-64 CPU",
        "host_processors_per_node": 1,
        "host_processor_core_count": 2,
        "host_memory_capacity": "8GB",
        "host_storage_capacity": "64GB",
        "host_storage_type": "SSD",
        "accelerators_per_node": 0,
        "accelerator_model_name": "N/A",
        "accelerator_memory_capacity": "N/A",
        "accelerator_memory_configuration": "N/A",
        "framework": "NumPy",
        "operating_system": "Linux",
        "other_software_stack": f"Python 3, MLPerf LoadGen {loadgen} (mlcommons-loadgen)",
        "sw_notes": notes,
    }
