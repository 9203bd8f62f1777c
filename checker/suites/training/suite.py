"""The training suite: discover -> parse -> engine -> Report, registered as SUITES["training"]."""

from __future__ import annotations

import os
import re
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..engine.core import run_scope
from ..engine.ruleset import Ruleset, available_rounds, load_ruleset
from ..errors import UsageError
from ..findings import Accuracy, Finding, Metric, Report, ResultRecord
from ..fs import list_dir
from ..parse.training_log import FORMAT_V05, FORMAT_V06, FORMAT_V07, detect_format_bytes
from .discover import discover_training, looks_like_training
from .facts import EntryFacts, TreeFacts, build_facts
from .kinds import REGISTRY

if TYPE_CHECKING:
    from ..options import ValidateOptions

ROUND_OF_FORMAT = {FORMAT_V05: "v0.5", FORMAT_V06: "v0.6", FORMAT_V07: "v0.7"}
FORMAT_TOKENS = {FORMAT_V05: ":::MLPv0.5.0", FORMAT_V06: ":::MLL", FORMAT_V07: ":::MLLOG"}
# Folder names that name a round: v0.5.0 (the v0.5 round root as published), training_v0.7,
# training_results_v0.6, v0.7. Nothing looser: a path of the user's own must not pick a round.
_ROUND_DIR = re.compile(r"^(?:training_)?(?:results_)?v(\d+)\.(\d+)(?:\.\d+)?$", re.IGNORECASE)
_HEAD_BYTES = 256 * 1024  # enough to reach a log's first MLPerf token


@dataclass(frozen=True)
class RoundChoice:
    """The round a tree is judged by, and how that was decided."""

    round: str
    how: str


def named_round(root: Path) -> tuple[str, str] | None:
    """(round, folder) when the root, a folder above it, or a round root right under it names a round."""
    try:
        here = root.resolve()
    except OSError:
        return None
    for p in (here, *here.parents):
        m = _ROUND_DIR.match(p.name)
        if m:
            return f"v{int(m.group(1))}.{int(m.group(2))}", p.name
    inner = [d for d in list_dir(here).dirs if _ROUND_DIR.match(d)]
    if len(inner) == 1:
        m = _ROUND_DIR.match(inner[0])
        assert m is not None
        return f"v{int(m.group(1))}.{int(m.group(2))}", inner[0]
    return None


def _head(path: Path) -> bytes | None:
    """The first bytes of a regular file (never a link), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            return fh.read(_HEAD_BYTES)
    except OSError:
        return None
    finally:
        if fd >= 0:
            os.close(fd)


def log_formats(root: Path, known_absent: frozenset[str] = frozenset()) -> Counter[str]:
    """How many results' logs are in each MLPerf format (the first present log of each result decides)."""
    tree = discover_training(root, known_absent)
    found: Counter[str] = Counter()
    for entry in tree.entries:
        for rf in entry.runs:
            if rf.absent:
                continue
            data = _head(root / rf.rel)
            if data is None:
                continue
            fmt = detect_format_bytes(data.replace(b"\x00", b""))
            if fmt in ROUND_OF_FORMAT:
                found[fmt] += 1
                break
    return found


def choose_training_round(root: Path, known_absent: frozenset[str] = frozenset()) -> RoundChoice:
    """The round of a training tree, from its round-root name and its logs' format; never silently another round.

    A folder name (v0.5.0, training_v0.7, …) decides when the logs agree with it; logs in two
    MLPerf formats, a name the logs contradict, or a round without rules are usage errors
    that ask for --round.
    """
    known = available_rounds("training")
    named = named_round(root)
    formats = log_formats(root, known_absent)
    by_logs = {ROUND_OF_FORMAT[f] for f in formats}
    seen = ", ".join(f"{n} with {FORMAT_TOKENS[f]} lines" for f, n in formats.most_common())
    if named is not None:
        rnd, folder = named
        if rnd not in known:
            raise UsageError(f"{root} is named for training round {rnd} ('{folder}'), which mlcheck has no rules for",
                             f"Known rounds: {', '.join(known)}. Pass --round to judge it by one of them.")
        later = rnd >= "v0.7" and by_logs == {"v0.7"}  # :::MLLOG is also the format of later rounds
        if by_logs and by_logs != {rnd} and not later:
            raise UsageError(f"{root} is named for training round {rnd} ('{folder}') but its logs are in another "
                             f"round's format ({seen})", "Pass --round to choose the rules.")
        return RoundChoice(rnd, f"folder name '{folder}'" + (f"; logs agree ({seen})" if seen else ""))
    if not by_logs:
        raise UsageError(f"cannot tell which training round {root} belongs to: no log is in an MLPerf format",
                         "Pass --round, e.g. --round v0.6.")
    if len(by_logs) > 1:
        raise UsageError(f"the logs of {root} are in the formats of several training rounds ({seen})",
                         "Pass --round to choose the rules; the logs in other formats are then reported.")
    (rnd,) = by_logs
    how = f"log format ({seen})"
    if rnd == "v0.7":
        how += "; later rounds write this format too, pass --round to choose another"
    return RoundChoice(rnd, how)


def detect_training_round(root: Path, known_absent: frozenset[str] = frozenset()) -> str | None:
    """The round of a training tree, or None when it cannot be told (see choose_training_round)."""
    try:
        return choose_training_round(root, known_absent).round
    except UsageError:
        return None


def validate_training(root: Path, opts: ValidateOptions) -> Report:
    """Validate a training tree (one submitter folder or several) and return the Report."""
    root = Path(root)
    how = "--round"
    if opts.rules_file is not None:
        round_name = opts.round or "custom"
        how = "--rules"
    elif opts.round:
        if opts.round not in available_rounds("training"):
            raise UsageError(f"no training rules for round '{opts.round}'",
                             "Known rounds: " + ", ".join(available_rounds("training")) + ".")
        round_name = opts.round
    else:
        choice = choose_training_round(root, opts.known_absent)
        round_name, how = choice.round, choice.how
    ruleset = load_ruleset("training", round_name, opts.rules_file, REGISTRY.names())
    tree = discover_training(root, opts.known_absent)
    facts = build_facts(tree, ruleset, opts.max_bytes)
    if opts.only_results is not None:
        keep = opts.only_results
        facts.entries = [e for e in facts.entries if e.entry.id in keep]
    report = Report(tool=f"mlcheck {__version__}", suite="training", round=ruleset.round, root=str(root),
                    ruleset={**ruleset.describe(), "chosen_by": how})
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
            "target": _acc_json(r.target) if isinstance(r.target, dict) else r.target,
        })
    best = [r.conv.best for r in e.runs if r.conv and r.conv.best is not None and not isinstance(r.conv.best, dict)]
    rec = ResultRecord(
        id=e.entry.id, division=e.division, submitter=e.submitter or e.entry.submitter, system=e.entry.system,
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
