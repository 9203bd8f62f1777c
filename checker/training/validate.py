"""The training suite: discover -> parse -> engine -> Report, registered as SUITES["training"]."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..engine.core import run_scope
from ..engine.ruleset import Ruleset, available_rounds, load_ruleset
from ..errors import UsageError
from ..findings import Accuracy, Finding, Metric, Report, ResultRecord
from ..parse.training_log import FORMAT_V05, FORMAT_V06, FORMAT_V07, detect_format_bytes, read_log_bytes
from .discover import discover_training, looks_like_training
from .facts import EntryFacts, TreeFacts, build_facts
from .kinds import REGISTRY

if TYPE_CHECKING:
    from ..options import ValidateOptions

ROUND_OF_FORMAT = {FORMAT_V05: "v0.5", FORMAT_V06: "v0.6", FORMAT_V07: "v0.7"}


def detect_training_round(root: Path, known_absent: frozenset[str] = frozenset()) -> str | None:
    """The round whose log format the tree's logs use (first log in an MLPerf format decides)."""
    tree = discover_training(root, known_absent)
    for entry in tree.entries:
        for rf in entry.runs:
            if rf.absent:
                continue
            data, _ = read_log_bytes(root / rf.rel)
            if data is None:
                continue
            fmt = detect_format_bytes(data.replace(b"\x00", b""))
            if fmt in ROUND_OF_FORMAT:
                return ROUND_OF_FORMAT[fmt]
    return None


def validate_training(root: Path, opts: ValidateOptions) -> Report:
    """Validate a training tree (one submitter folder or several) and return the Report."""
    root = Path(root)
    if opts.rules_file is not None:
        round_name = opts.round or "custom"
    elif opts.round:
        if opts.round not in available_rounds("training"):
            raise UsageError(f"no training rules for round '{opts.round}'",
                             "Known rounds: " + ", ".join(available_rounds("training")) + ".")
        round_name = opts.round
    else:
        detected = detect_training_round(root, opts.known_absent)
        if detected is None:
            raise UsageError(f"cannot tell which training round {root} belongs to: no log is in an MLPerf format",
                             "Pass --round, e.g. --round v0.6.")
        round_name = detected
    ruleset = load_ruleset("training", round_name, opts.rules_file, REGISTRY.names())
    tree = discover_training(root, opts.known_absent)
    facts = build_facts(tree, ruleset, opts.max_bytes)
    if opts.only_results is not None:
        keep = opts.only_results
        facts.entries = [e for e in facts.entries if e.entry.id in keep]
    report = Report(tool=f"mlcheck {__version__}", suite="training", round=ruleset.round, root=str(root),
                    ruleset=ruleset.describe())
    report.findings.extend(run_training_rules(facts, ruleset, opts))
    for e in facts.entries:
        report.results.append(result_record(e))
    report.finalize()
    _mark_invalid_scores(report, facts)
    return report


def run_training_rules(facts: TreeFacts, ruleset: Ruleset, opts: ValidateOptions) -> list[Finding]:
    """Every rule over its scope: the tree, each submitter, each system, each result."""
    sel = opts.selected
    out: list[Finding] = []
    out.extend(run_scope(REGISTRY, ruleset, "tree", facts, selected=sel))
    for sub in facts.submitters:
        out.extend(run_scope(REGISTRY, ruleset, "submitter", sub, selected=sel))
    used = {(e.entry.submitter_rel, e.entry.system) for e in facts.entries}
    for key, sysf in sorted(facts.systems.items()):
        if key not in used:
            continue
        division = sysf.summary.get("division")
        out.extend(run_scope(REGISTRY, ruleset, "system", sysf,
                             division=division.lower() if isinstance(division, str) else None, selected=sel))
    for e in facts.entries:
        out.extend(run_scope(REGISTRY, ruleset, "result", e, result_id=e.entry.id, division=e.division,
                             benchmark=e.benchmark, selected=sel))
    return out


def _acc_json(a: Any) -> Any:
    if isinstance(a, dict):
        return {k: round(float(v), 6) for k, v in a.items()}
    return None if a is None else round(float(a), 6)


def result_record(e: EntryFacts) -> ResultRecord:
    """The JSON-facing record of one system x benchmark result."""
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
        })
    best = [r.conv.best for r in e.runs if r.conv and r.conv.best is not None and not isinstance(r.conv.best, dict)]
    rec = ResultRecord(
        id=e.entry.id, division=e.division, submitter=e.entry.submitter, system=e.entry.system,
        benchmark=e.benchmark or e.entry.benchmark_dir, scenario="",
        metric=Metric("time_to_train", None if score is None else round(score, 4), "min"),
        accuracy=Accuracy(str((e.bench.get("target") or {}).get("metric", "")),
                          min(best) if best else None,
                          float(target) if isinstance(target, (int, float)) else None),
        depends=(e.system.rel,) if e.system.rel else (),
    )
    rec.extra.update({
        "score": {"minutes": None if score is None else round(score, 4)},
        "runs": runs,
        "target": _acc_json(target) if isinstance(target, dict) else target,
        "runs_required": (e.bench.get("runs") or {}).get("value"),
        "nonconverged": sum(1 for r in e.scored if not r.converged),
        "absent": sum(1 for r in e.runs if r.file.absent),
        "system_description": dict(e.system.summary),
    })
    return rec


def _mark_invalid_scores(report: Report, facts: TreeFacts) -> None:
    """A result scored invalid by the round's policy (too many non-converged runs) is invalid too."""
    bad = {e.entry.id for e in facts.entries if e.score is not None and e.score.invalid}
    for r in report.results:
        if r.id in bad:
            r.valid = False


def register(suites: dict[str, Any]) -> None:
    """Add the training suite to a suite registry (checker.api.SUITES)."""
    suites["training"] = validate_training


__all__ = ["detect_training_round", "looks_like_training", "register", "validate_training"]
