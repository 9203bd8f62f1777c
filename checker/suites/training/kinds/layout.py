"""Check kinds for the layout of a training submission: its folders, submission.json and system descriptions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from ....engine.registry import Hit, NoParams, Params, kind
from ....engine.rules import Rule, Ruleset
from ....findings import Severity
from ..facts import EntryFacts, SubmitterFacts, SystemFacts, TreeFacts
from ..ruledata import TrainingRound

# ---------------------------------------------------------------- tree and submitter scope


@kind("skipped_paths", "tree")
def skipped_paths(t: TreeFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Links and special files are never followed; each is reported."""
    for rel, what in t.tree.skipped:
        yield Hit({"path": rel, "what": what}, rel)


@kind("results_unread", "tree")
def results_unread(t: TreeFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Files under results/ that are neither result logs nor system descriptions: never read, each reported.

    Operating-system litter and hidden files (.DS_Store, .gitkeep) are reported at info severity.
    """
    for rel, junk in t.tree.unread:
        yield Hit({"path": rel}, rel, severity=Severity.INFO if junk else None)


class Parts(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    required: list[str]  # the folders a submitter folder must hold


@kind("submitter_layout", "submitter", Parts)
def submitter_layout(s: SubmitterFacts, rule: Rule, p: Parts, rs: Ruleset) -> Iterator[Hit]:
    """The submitter folder holds the parts the layout requires."""
    for part in p.required:
        if not s.sub.parts.get(part, False):
            yield Hit({"part": part}, s.sub.rel)


@kind("submission_json", "submitter")
def submission_json(s: SubmitterFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The v0.5-style submission.json is a JSON object naming the org."""
    if s.submission_problem is not None and s.sub.submission_json is not None:
        yield Hit({"problem": s.submission_problem}, s.sub.submission_json, s.submission_line)


# ---------------------------------------------------------------- system scope


@kind("system_present", "system")
def system_present(s: SystemFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Every results/<system> folder has a system description."""
    if s.rel is None:
        yield Hit({"system": s.system, "expected": s.expected}, s.expected)


@kind("system_json", "system")
def system_json(s: SystemFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The system description is a JSON object (a dump of log lines is read, and reported)."""
    if s.rel is not None and s.problem is not None:
        yield Hit({"problem": s.problem}, s.rel, s.problem_line)


class SchemaParams(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    # misspelt: a field close to one of the round's; field: a field's value the schema refuses;
    # required: required fields missing; unknown: fields the round's description does not define
    check: Literal["misspelt", "field", "required", "unknown"]


@kind("system_schema", "system", SchemaParams)
def system_schema(s: SystemFacts, rule: Rule, p: SchemaParams, rs: Ruleset) -> Iterator[Hit]:
    """The system description against the round's schema: misspelt, refused, missing or unknown fields."""
    if s.rel is None:
        return
    c = s.check
    if p.check == "misspelt":
        for got, suggestion in c.misspelt:
            yield Hit({"field": got, "suggestion": suggestion}, s.rel)
    elif p.check == "field":
        for where, error in c.errors:
            yield Hit({"field": where, "error": error}, s.rel)
    elif p.check == "required" and c.missing:
        yield Hit({"count": len(c.missing), "fields": list(c.missing)}, s.rel)
    elif p.check == "unknown" and c.unknown:
        yield Hit({"count": len(c.unknown), "fields": list(c.unknown)}, s.rel)


# ---------------------------------------------------------------- result scope: the folder


@kind("benchmark_known", "result")
def benchmark_known(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The benchmark folder names a benchmark of the round (aliases allowed)."""
    rnd: TrainingRound = rs.model
    if e.benchmark is None:
        folder = e.entry.benchmark_dir or f"(none: the logs name {e.named_benchmark or 'no benchmark'})"
        yield Hit({"folder": folder, "known": sorted(rnd.training.benchmarks)}, e.entry.id)


@kind("loose_logs", "result")
def loose_logs(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Logs placed directly in results/<system>/, without a benchmark folder: the benchmark is the one they name."""
    if e.entry.loose:
        named = e.named_benchmark or "none"
        yield Hit({"benchmark": e.benchmark or named, "named": named}, e.entry.id)


KINDS = (skipped_paths, results_unread, submitter_layout, submission_json, system_present, system_json,
         system_schema, benchmark_known, loose_logs)
