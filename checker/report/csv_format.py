"""CSV: one row per result, with the columns of the review committee's results summary."""

from __future__ import annotations

import csv
import io

from ..findings import Report, ResultRecord, Severity
from .escape import csv_cell
from .markdown import num

COLUMNS = ("organization", "division", "system", "platform", "model", "scenario", "result", "units",
           "accuracy", "valid", "errors")


def _system_name(r: ResultRecord) -> str:
    desc = r.extra.get("system_description")
    if isinstance(desc, dict) and desc.get("system_name"):
        return str(desc["system_name"])
    return r.system


def _accuracy(r: ResultRecord) -> str:
    if r.accuracy is None:
        return ""
    value = r.accuracy.rescored if r.accuracy.rescored is not None else r.accuracy.reported
    return "" if value is None else num(value)


def text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (a name may come from a hostile submission)."""
    return csv_cell(value)


def render_csv(report: Report) -> str:
    """One row per result; system is the description's system_name, platform the system folder."""
    own: dict[str, int] = {}
    by_path: dict[str, int] = {}
    for f in report.findings:
        if f.severity is not Severity.ERROR or f.waived is not None:
            continue
        if f.result is not None:
            own[f.result] = own.get(f.result, 0) + 1
        else:
            by_path[f.path] = by_path.get(f.path, 0) + 1
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in report.results:
        errors = own.get(r.id, 0) + sum(by_path.get(d, 0) for d in r.depends)
        metric = "" if r.metric is None or r.metric.value is None else num(r.metric.value)
        writer.writerow([text(r.submitter), text(r.division), text(_system_name(r)), text(r.system),
                         text(r.benchmark), text(r.scenario or ""),
                         metric, text(r.metric.unit) if r.metric else "", _accuracy(r), str(r.valid).lower(), errors])
    return buf.getvalue()
