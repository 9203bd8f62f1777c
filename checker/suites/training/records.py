"""The report's record of each training result: its score, its runs and the system it ran on."""

from __future__ import annotations

from typing import Any

from ...findings import Accuracy, Metric, ResultRecord
from .facts import EntryFacts


def _acc_json(a: Any) -> Any:
    if isinstance(a, dict):
        return {k: round(float(v), 6) for k, v in a.items()}
    return None if a is None else round(float(a), 6)


def result_record(e: EntryFacts) -> ResultRecord:
    """The JSON-facing record of one system x benchmark result.

    A result whose score the round's policy refuses (too many non-converged runs) is invalid
    whatever its findings.
    """
    score = e.score.minutes if e.score is not None else None
    target = e.target
    runs: list[dict[str, Any]] = []
    for r in e.runs:
        runs.append({
            "file": r.file.name,
            "minutes": None if r.minutes is None else round(r.minutes, 4),
            "converged": r.converged if not r.file.absent and r.log is not None else None,
            "accuracy": _acc_json(r.conv.best) if r.conv else None,
            "final_accuracy": _acc_json(r.conv.final) if r.conv else None,
            "time_method": r.time.method if r.time else None,
            "status": r.status,
            "absent": r.file.absent,
            "counted": any(e.scored[i] is r for i in e.score.used) if e.score else False,
            "target": _acc_json(r.target) if isinstance(r.target, dict) else r.target,
        })
    best = [r.conv.best for r in e.runs if r.conv and r.conv.best is not None and not isinstance(r.conv.best, dict)]
    rec = ResultRecord(
        id=e.entry.id, division=e.division, submitter=e.submitter or e.entry.submitter, system=e.entry.system,
        benchmark=e.benchmark or e.entry.benchmark_dir, scenario="",
        metric=Metric("time_to_train", None if score is None else round(score, 4), "min"),
        accuracy=Accuracy(e.bench.target.metric if e.bench is not None else "",
                          min(best) if best else None,
                          float(target) if isinstance(target, (int, float)) else None),
        depends=(e.system.rel,) if e.system.rel else (),
        invalid_reason=e.score.why if e.score is not None and e.score.invalid else "",
    )
    rec.extra.update({
        "score": {"minutes": None if score is None else round(score, 4)},
        "runs": runs,
        "target": _acc_json(target) if isinstance(target, dict) else target,
        "runs_required": e.bench.runs.value if e.bench is not None else None,
        "nonconverged": sum(1 for r in e.scored if not r.converged),
        # the ones whose time is in the score (v0.6 kept them; v0.5 and v0.7 drop them)
        "nonconverged_counted": sum(1 for i in (e.score.used if e.score else ()) if not e.scored[i].converged),
        "submission": e.entry.submitter_rel,
        "absent": sum(1 for r in e.runs if r.file.absent),
        "system_description": dict(e.system.summary),
        # the published tables' row: one submitter's hardware and software; a v0.5 entry.json names the hardware
        "table_system": (str(e.system.summary.get("system_name") or e.entry.system) if e.system.form == "entry.json"
                         else e.entry.system),
    })
    return rec
