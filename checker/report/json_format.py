"""The JSON report, described by schemas/report.schema.json."""

from __future__ import annotations

import json

from ..findings import Report


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
