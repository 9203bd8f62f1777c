"""Check kinds for the compliance (audit) tests; they judge what the compliance stage read and recomputed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from ....engine.registry import Hit, NoParams, Params, kind
from ....engine.rules import Rule, Ruleset
from ....findings import Severity
from ..discover import join
from ..facts import ResultFacts, TreeFacts
from ..ruledata import InferenceRound


@kind("compliance_missing", "result")
def compliance_missing(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Every compliance test the round applies to the result's benchmark is present.

    A submitter with no compliance folder at all gets one inf.layout.audit-missing finding instead of one
    per test.
    """
    rnd: InferenceRound = rs.model
    c = r.compliance
    if c is None:
        return
    folder = rnd.compliance.folder
    if folder not in r.system.submitter.parts and not c.tests:
        return
    if r.inferred_from is not None:
        return  # an inferred result carries no tests of its own (inf.suite.inferred says so)
    for test in rnd.compliance.applicable(r.benchmark, r.scenario):
        if test not in c.tests:
            where = join(r.res.submitter_rel, folder, r.res.system, r.res.benchmark_dir, r.res.scenario_dir, test)
            yield Hit({"test": test, "where": where}, r.res.id)


def _theirs_note(theirs: str | None, ours: str | None) -> str:
    if theirs is None:
        return ""
    if theirs == ours:
        return " (the submitter's verify output agrees)"
    return f" (the submitter's verify output says TEST {theirs})"


class Checks(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    checks: list[Literal["performance", "responses", "pair"]]
    # a recomputed failure the submitter's own verify output calls a pass: conflicting evidence
    contradicted_severity: Severity | None = None


@kind("compliance_failed", "result", Checks)
def compliance_failed(r: ResultFacts, rule: Rule, p: Checks, rs: Ruleset) -> Iterator[Hit]:
    """A compliance check fails: recomputed here, or stated by the submitter's verify output where it
    cannot be recomputed. The same evidence gives the same finding whichever way it was established."""
    for o in r.compliance.outcomes if r.compliance else ():
        if o.check not in p.checks:
            continue
        if o.ours == "FAIL":
            sev = p.contradicted_severity if o.theirs == "PASS" else None
            yield Hit({"test": o.test, "check": o.check,
                       "evidence": f"recomputed: {o.detail}{_theirs_note(o.theirs, o.ours)}"}, o.path, severity=sev)
        elif o.ours is None and o.theirs == "FAIL":
            reason = f" ({o.theirs_reason})" if o.theirs_reason else ""
            yield Hit({"test": o.test, "check": o.check,
                       "evidence": f"stated by the submitter's verify output{reason}; not recomputed: {o.detail}"},
                      o.theirs_rel or o.path)


@kind("compliance_unverifiable", "result")
def compliance_unverifiable(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """A compliance check that cannot be recomputed from what was shipped, and why (a stated failure is
    reported by the failure's own rule)."""
    for o in r.compliance.outcomes if r.compliance else ():
        if o.ours is None and o.theirs != "FAIL" and not o.crashed:
            yield Hit({"test": o.test, "check": o.check, "why": o.detail}, o.path)


@kind("compliance_crashed", "result")
def compliance_crashed(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The verify script died with a traceback, and nothing else (a recomputation, a fallback) settles the check."""
    for o in r.compliance.outcomes if r.compliance else ():
        if o.crashed:
            yield Hit({"test": o.test, "check": o.check, "error": o.crashed, "why": o.detail},
                      o.theirs_rel or o.path)


@kind("compliance_settled", "result")
def compliance_settled(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """A failed response check that the accuracy fallback settles (the two accuracies within the limit)."""
    for o in r.compliance.outcomes if r.compliance else ():
        if o.settled:
            yield Hit({"test": o.test, "how": o.settled}, o.path)


class Outputs(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    # the file each check's verify script writes, as the round's compliance scripts name it
    outputs: dict[Literal["performance", "responses", "pair"], str]


@kind("compliance_verify_missing", "result", Outputs)
def compliance_verify_missing(r: ResultFacts, rule: Rule, p: Outputs, rs: Ruleset) -> Iterator[Hit]:
    """A compliance test folder lacks the output of its verify script."""
    for o in r.compliance.outcomes if r.compliance else ():
        if o.theirs is None and not o.has_output:
            yield Hit({"test": o.test, "output": p.outputs[o.check]}, o.folder or r.res.id)  # type: ignore[index]


@kind("compliance_verify_disagree", "result")
def compliance_verify_disagree(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The submitter's verify output says FAIL where the recomputation passes (the reverse is in the failure)."""
    for o in r.compliance.outcomes if r.compliance else ():
        if o.theirs == "FAIL" and o.ours == "PASS" and not o.settled:
            yield Hit({"test": o.test, "check": o.check, "theirs": "TEST FAIL", "ours": "PASS", "detail": o.detail},
                      o.theirs_rel or o.path)


@kind("compliance_verify_stale", "result")
def compliance_verify_stale(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The scores a verify output states are not the scores of the logs shipped beside it."""
    for o in r.compliance.outcomes if r.compliance else ():
        if o.stated:
            yield Hit({"detail": o.stated}, o.theirs_rel or o.path)


class TreeNotes(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    which: Literal["orphans", "layout"]


@kind("compliance_tree", "tree", TreeNotes)
def compliance_tree(t: TreeFacts, rule: Rule, p: TreeNotes, rs: Ruleset) -> Iterator[Hit]:
    """Compliance folders that belong to no result, or laid out other than the round's layout."""
    if t.compliance is None:
        return
    if p.which == "orphans":
        for rel in t.compliance.orphans:
            yield Hit({"path": rel}, rel)
    else:
        for rel, detail in t.compliance.layout:
            yield Hit({"problem": detail}, rel)


KINDS = (compliance_missing, compliance_failed, compliance_unverifiable, compliance_crashed, compliance_settled,
         compliance_verify_missing,
         compliance_verify_disagree, compliance_verify_stale, compliance_tree)
